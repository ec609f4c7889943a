import { CUSTOMER_ID_PATTERN } from '@trustline/service-runtime';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class CustomerDetailsParams {
  @ApiProperty({ description: "the customer's id (a user's `sub`); users may only name their own" })
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1–128 letters, digits or . _ : @ -' })
  customerId: string;
}
