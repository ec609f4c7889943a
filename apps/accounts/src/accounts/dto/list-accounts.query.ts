import { CUSTOMER_ID_PATTERN } from '@trustline/service-runtime';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

export class ListAccountsQuery {
  @ApiPropertyOptional({ description: 'whose accounts; users default to their own, clients must give it' })
  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1–128 letters, digits or . _ : @ -' })
  customerId?: string;
}
