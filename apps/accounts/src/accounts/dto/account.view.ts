import { ApiProperty } from '@nestjs/swagger';
import type { Account } from '../account.entity';

/** An account as the API shows it (money in minor units). */
export class AccountView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() customerId: string;
  @ApiProperty({ example: 'Everyday' }) name: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty({ description: 'minor units, never negative' }) balance: number;
  @ApiProperty({ description: 'send it back (or as If-Match) when changing the account' }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(account: Account): AccountView {
    return Object.assign(new AccountView(), {
      id: account.id,
      customerId: account.customerId,
      name: account.name,
      currency: account.currency,
      balance: account.balance,
      version: account.version,
      createdAt: account.createdAt.toISOString(),
      updatedAt: account.updatedAt.toISOString(),
    });
  }
}
