import { CUSTOMER_ID_PATTERN } from '@trustline/service-runtime';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_MINOR_UNITS } from '../card-rules';

export class CreateCardDto {
  @ApiPropertyOptional({ description: "the holder's customer id (a user's `sub`); users may omit it (their own), clients must give it" })
  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1–128 letters, digits or . _ : @ -' })
  customerId?: string;

  @ApiProperty({ description: 'credit limit in minor units (e.g. cents)', minimum: 1, maximum: MAX_MINOR_UNITS, example: 200000 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  limit: number;

  @ApiProperty({ description: 'ISO 4217 currency code', example: 'EUR' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code in capitals' })
  currency: string;
}
