import { Controller, Get, Query } from '@nestjs/common';
import { Scopes } from '@trustline/security';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { FEED_PAGE_SIZE, RevocationsService } from './revocations.service';

class FeedQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  since?: number;
}

/**
 * The revocation feed (CONVENTIONS.md): verifiers without a broker pull it, and every verifier pulls it
 * from its last cursor when it starts or reconnects, so a missed event is never a missed revocation.
 */
@Controller('revocations')
export class RevocationsController {
  constructor(private readonly revocations: RevocationsService) {}

  @Scopes('revocations:read')
  @Get()
  async feed(@Query() query: FeedQuery) {
    const since = query.since ?? 0;
    const rows = await this.revocations.since(since);
    const entries = rows.map(({ type, value, at, exp }) => ({ type, value, at, exp }));
    // `more`: a full page, so the verifier asks again from `cursor` (it keeps paging while the cursor moves).
    return { entries, cursor: rows.length ? Number(rows[rows.length - 1].id) : since, more: rows.length === FEED_PAGE_SIZE };
  }
}
