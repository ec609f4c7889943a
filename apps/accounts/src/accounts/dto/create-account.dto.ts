import { CUSTOMER_ID_PATTERN } from '@trustline/service-runtime';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ACCOUNT_NAME_MAX_LENGTH, ACCOUNT_NAME_PATTERN, MAX_MINOR_UNITS } from '../account-rules';

export class CreateAccountDto {
  @ApiPropertyOptional({ description: "the holder's customer id (a user's `sub`); users may omit it (their own), clients must give it", example: 'b1c2…' })
  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1–128 letters, digits or . _ : @ -' })
  customerId?: string;

  @ApiProperty({ description: "the holder's label for the account", minLength: 1, maxLength: ACCOUNT_NAME_MAX_LENGTH, example: 'Everyday' })
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: `name must be 1 to ${ACCOUNT_NAME_MAX_LENGTH} characters, without control characters or surrounding blanks` })
  name: string;

  @ApiProperty({ description: 'ISO 4217 currency code', example: 'EUR' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code in capitals' })
  currency: string;

  @ApiPropertyOptional({ description: 'opening balance in minor units (e.g. cents); 0 when absent', minimum: 0, maximum: MAX_MINOR_UNITS, example: 10000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR_UNITS)
  balance?: number;
}
