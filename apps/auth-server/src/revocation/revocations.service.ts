import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, MoreThanOrEqual, Repository } from 'typeorm';
import { RevocationEntity, type RevocationType } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { AuditService } from '../audit/audit.service';
import { RevocationEventsPublisher } from './revocation-events.publisher';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { TokenLifetimes } from './token-lifetimes.service';

/** Rows per page of the revocation feed. */
export const FEED_PAGE_SIZE = 1000;

/**
 * How long past its stored `exp` the feed keeps serving an entry and the purge keeps its row: the
 * largest clock skew any verifier may allow. `record()` already puts that skew into `exp`; this second
 * margin covers rows written before it did, so a new replica still learns of a revoked token that
 * another verifier's clock would still accept.
 */
const FEED_GRACE_SECONDS = MAX_CLOCK_TOLERANCE_SECONDS;

/** The claims of a verified access token that a revocation can touch. */
export interface RevocableClaims {
  jti?: unknown;
  gid?: unknown;
  sub?: unknown;
  client_id?: unknown;
  iat?: unknown;
}

/**
 * The record of revoked JWT access tokens, grants, subjects, clients and keys. The engine cannot revoke
 * its own JWTs (it never stores them), so this table is Trustline's revocation state and the source of
 * the revocation feed that verifiers pull or receive.
 */
@Injectable()
export class RevocationsService {
  constructor(
    @InjectRepository(RevocationEntity) private readonly revocations: Repository<RevocationEntity>,
    private readonly writes: WriteSerializer,
    private readonly events: RevocationEventsPublisher,
    private readonly audit: AuditService,
    private readonly lifetimes: TokenLifetimes,
  ) {}

  /**
   * Records a revocation (the feed's next entry), then announces it on the broker if there is one. Its
   * horizon is decided here, for every caller: a `jti` entry lives until that token's `exp` (required)
   * plus the largest clock skew any verifier allows, since verifiers accept a token that long past its
   * `exp`; a `grant`, `sub`, `client` or `kid` entry until the longest access token ever issued (not the
   * current ACCESS_TOKEN_TTL) could still be accepted, or `tokenExp` plus the skew if that is later.
   */
  async record(type: RevocationType, value: string, tokenExp?: number): Promise<void> {
    const at = Math.floor(Date.now() / 1000);
    if (type === 'jti' && typeof tokenExp !== 'number') throw new TypeError('a jti revocation needs the token exp');
    const skewed = typeof tokenExp === 'number' ? tokenExp + MAX_CLOCK_TOLERANCE_SECONDS : 0;
    const exp = type === 'jti' ? skewed : Math.max(skewed, await this.lifetimes.horizonFromNow(at));
    const inserted = await this.writes.write(() => this.revocations.insert({ type, value, at, exp }));
    const id = Number(inserted.identifiers[0]?.id);
    await this.events.publish({ id, type, value, at, exp });
    // jti and grant values identify tokens, not people: logged as the kind of revocation only.
    await this.audit.record({
      type: 'token.revoked',
      outcome: 'success',
      reason: type,
      ...(type === 'sub' ? { subject: value } : type === 'client' ? { clientId: value } : {}),
      details: { entry: id },
    });
  }

  /** Whether a token with these claims has been revoked (by jti, its grant, its subject or its client). */
  async isRevoked(claims: RevocableClaims): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    const candidates: [RevocationType, unknown][] = [
      ['jti', claims.jti],
      ['grant', claims.gid],
      ['sub', claims.sub],
      ['client', claims.client_id],
    ];
    for (const [type, value] of candidates) {
      if (typeof value !== 'string') continue;
      const rows = await this.revocations.find({ where: { type, value, exp: MoreThan(now) } });
      // A jti entry kills that one token, a grant entry every token of the grant (a revoked grant never
      // issues again); the others kill every token issued up to the revocation.
      if (rows.some((row) => type === 'jti' || type === 'grant' || (typeof claims.iat === 'number' && claims.iat <= row.at))) return true;
    }
    return false;
  }

  /**
   * Live entries after a cursor, oldest first (the feed's page). Expired rows are filtered here, in SQL,
   * so a page is never empty while live entries follow it. On PostgreSQL ids commit out of order under
   * concurrent writers: readers re-read a look-back window (LookbackCursor) rather than trust the cursor.
   */
  async since(cursor: number, limit = FEED_PAGE_SIZE): Promise<RevocationEntity[]> {
    const horizon = Math.floor(Date.now() / 1000) - FEED_GRACE_SECONDS;
    return this.revocations.find({ where: { id: MoreThan(cursor), exp: MoreThanOrEqual(horizon) }, order: { id: 'ASC' }, take: limit });
  }

  /** Deletes entries past their `exp` and the largest verifier skew (the scheduled purge); returns how many. */
  async purgeExpired(): Promise<number> {
    const horizon = Math.floor(Date.now() / 1000) - FEED_GRACE_SECONDS;
    const result = await this.writes.write(() => this.revocations.delete({ exp: LessThan(horizon) }));
    return result.affected ?? 0;
  }
}
