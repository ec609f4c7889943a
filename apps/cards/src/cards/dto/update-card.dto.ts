import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_MINOR_UNITS } from '../card-rules';

/** Applied as one step: repayment, then limit, then charge; each keeps 0 ≤ used ≤ limit (422 otherwise). */
export class UpdateCardDto {
  @ApiPropertyOptional({ description: 'amount drawn, in minor units; at most the available credit', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  charge?: number;

  @ApiPropertyOptional({ description: 'amount paid back, in minor units; at most the balance', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  repayment?: number;

  @ApiPropertyOptional({ description: 'new credit limit in minor units; not below the balance', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR_UNITS)
  limit?: number;

  @ApiPropertyOptional({ description: 'the version the change was computed from (or send If-Match)', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}
