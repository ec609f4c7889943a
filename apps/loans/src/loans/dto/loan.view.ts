import { ApiProperty } from '@nestjs/swagger';
import type { Loan } from '../loan.entity';

/** A loan as the API shows it (amounts in minor units). */
export class LoanView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() customerId: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty() amount: number;
  @ApiProperty() paid: number;
  @ApiProperty({ description: 'amount − paid' }) outstanding: number;
  @ApiProperty({ description: 'send it back (or as If-Match) when paying' }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(loan: Loan): LoanView {
    return Object.assign(new LoanView(), {
      id: loan.id,
      customerId: loan.customerId,
      currency: loan.currency,
      amount: loan.amount,
      paid: loan.paid,
      outstanding: loan.outstanding,
      version: loan.version,
      createdAt: loan.createdAt.toISOString(),
      updatedAt: loan.updatedAt.toISOString(),
    });
  }
}
