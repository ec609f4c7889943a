import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ACCOUNT_NAME_MAX_LENGTH, ACCOUNT_NAME_PATTERN, MAX_MINOR_UNITS } from '../account-rules';

/** Exactly one of deposit, withdraw or name (400 otherwise), against the version it was computed from. */
export class UpdateAccountDto {
  @ApiPropertyOptional({ description: 'money paid in, in minor units', minimum: 1, example: 2500 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  deposit?: number;

  @ApiPropertyOptional({ description: 'money taken out, in minor units; at most the balance (422 otherwise)', minimum: 1, example: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  withdraw?: number;

  @ApiPropertyOptional({ description: 'a new name', minLength: 1, maxLength: ACCOUNT_NAME_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT_NAME_PATTERN, { message: `name must be 1 to ${ACCOUNT_NAME_MAX_LENGTH} characters, without control characters or surrounding blanks` })
  name?: string;

  @ApiPropertyOptional({ description: 'the version the change was computed from (or send If-Match)', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}
