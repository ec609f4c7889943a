import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_MINOR_UNITS } from '../loan-rules';

/** A repayment; the only change a loan accepts. */
export class PayLoanDto {
  @ApiProperty({ description: 'amount repaid, in minor units; at most the outstanding', minimum: 1, example: 2500 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  payment: number;

  @ApiPropertyOptional({ description: 'the version the payment was computed from (or send If-Match)', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}
