import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { LessThan, Repository } from 'typeorm';
import { WriteSerializer } from '@trustline/service-runtime';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { TokenLifetimeEntity } from '../database/entities';

const ACCESS_TOKEN = 'access_token';

/**
 * The longest access-token lifetime this deployment has ever issued with. Every replica records its
 * ACCESS_TOKEN_TTL at boot, before it can issue a token, and the stored value is only ever raised: a TTL
 * lowered later (or a replica still running the old setting) must not shorten the horizon of a
 * revocation below the life of a token already out. Read from the database each time (revocations are
 * rare, and another replica may have raised it since this one started).
 */
@Injectable()
export class TokenLifetimes implements OnModuleInit {
  private readonly logger = new Logger('TokenLifetimes');

  constructor(
    @InjectRepository(TokenLifetimeEntity) private readonly lifetimes: Repository<TokenLifetimeEntity>,
    private readonly writes: WriteSerializer,
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const ttl = this.config.accessTokenTtl;
    // Two atomic statements, safe between replicas: create the row if absent, then raise it if lower.
    await this.writes.write(() => this.lifetimes.createQueryBuilder().insert().values({ kind: ACCESS_TOKEN, maxSeconds: ttl }).orIgnore().execute());
    await this.writes.write(() => this.lifetimes.update({ kind: ACCESS_TOKEN, maxSeconds: LessThan(ttl) }, { maxSeconds: ttl }));
    const longest = await this.longestAccessTokenTtl();
    if (longest > ttl) this.logger.log(`revocations keep covering access tokens of up to ${longest} s issued earlier (ACCESS_TOKEN_TTL is ${ttl} s now)`);
  }

  /** Seconds: the longest access token ever issued here (never less than the current setting). */
  async longestAccessTokenTtl(): Promise<number> {
    const row = await this.lifetimes.findOneBy({ kind: ACCESS_TOKEN });
    return Math.max(row?.maxSeconds ?? 0, this.config.accessTokenTtl);
  }

  /**
   * Until when a revocation recorded now must be kept: the end of the longest token it can touch, plus
   * the largest clock skew any verifier allows (they accept a token that much past its `exp`).
   */
  async horizonFromNow(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    return nowSeconds + (await this.longestAccessTokenTtl()) + MAX_CLOCK_TOLERANCE_SECONDS;
  }
}
