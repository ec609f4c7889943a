import { CUSTOMER_ID_PATTERN } from '@trustline/service-runtime';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_MINOR_UNITS } from '../loan-rules';

export class CreateLoanDto {
  @ApiPropertyOptional({ description: "the borrower's customer id (a user's `sub`); users may omit it (their own), clients must give it", example: 'b1c2…' })
  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1–128 letters, digits or . _ : @ -' })
  customerId?: string;

  @ApiProperty({ description: 'the principal lent, in minor units (e.g. cents)', minimum: 1, maximum: MAX_MINOR_UNITS, example: 500000 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  amount: number;

  @ApiProperty({ description: 'ISO 4217 currency code', example: 'EUR' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code in capitals' })
  currency: string;
}
