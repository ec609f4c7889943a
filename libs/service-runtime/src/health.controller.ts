import { Controller, type DynamicModule, Get, Inject, Injectable, Module, Optional } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { HealthCheck, HealthCheckService, HealthIndicatorService, MicroserviceHealthIndicator, TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { natsConnectionOptions, Public, RemoteKeyStore, RevocationFeed } from '@trustline/security';

export interface ServiceHealthOptions {
  /** Ping the service's database (TypeORM). */
  database: boolean;
  /** Require the issuer's keys to be loaded (a service that cannot verify is not ready). */
  keys: boolean;
  /** Ping the broker when the app uses one (NATS_URL). */
  natsUrl?: string;
}

const HEALTH_OPTIONS = Symbol('TRUSTLINE_HEALTH_OPTIONS');

/** Ready once the issuer's keys have been loaded; stays ready while the auth server is down (cached keys verify). */
@Injectable()
export class SigningKeysHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly keys: RemoteKeyStore,
  ) {}

  check(key: string) {
    const indicator = this.indicators.check(key);
    return this.keys.ready ? indicator.up() : indicator.down();
  }
}

/**
 * Ready once the revocation feed has been read to the end at least once; not ready while it is refused
 * (4xx, past a few poll periods: fail closed) or the auth server has been unreachable past the maximum
 * staleness (RevocationFeed.status, docs/security-model.md). Up when the app follows no feed.
 */
@Injectable()
export class RevocationFeedHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Optional() @Inject(RevocationFeed) private readonly feed?: RevocationFeed | null,
  ) {}

  get active(): boolean {
    return Boolean(this.feed);
  }

  check(key: string) {
    const indicator = this.indicators.check(key);
    if (!this.feed) return indicator.up();
    const { ready, state } = this.feed.status();
    return ready ? indicator.up({ state }) : indicator.down({ state });
  }
}

/**
 * `/health/live` (the process answers) and `/health/ready` (it can do its job: database, the issuer's
 * keys, the revocation feed, the broker), with @nestjs/terminus. No token, and no internal details: only each dependency's
 * up/down (503 when one is down), never hosts, URLs or error messages.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(HEALTH_OPTIONS) private readonly options: ServiceHealthOptions,
    @Optional() private readonly database?: TypeOrmHealthIndicator,
    @Optional() private readonly signingKeys?: SigningKeysHealthIndicator,
    @Optional() private readonly microservices?: MicroserviceHealthIndicator,
    @Optional() private readonly revocationFeed?: RevocationFeedHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const { database, signingKeys, microservices, revocationFeed, options } = this;
    const natsUrl = options.natsUrl;
    return this.health.check([
      ...(options.database && database ? [() => database.pingCheck('database', { timeout: 1_500 })] : []),
      ...(options.keys && signingKeys ? [() => signingKeys.check('signing_keys')] : []),
      ...(revocationFeed?.active ? [() => revocationFeed.check('revocation_feed')] : []),
      ...(natsUrl && microservices
        ? [() => microservices.pingCheck('broker', { transport: Transport.NATS, options: natsConnectionOptions(natsUrl) as never, timeout: 1_500 })]
        : []),
    ]);
  }
}

/** The health endpoints every app has (CONVENTIONS.md). */
@Module({})
export class ServiceHealthModule {
  static forRoot(options: ServiceHealthOptions): DynamicModule {
    return {
      module: ServiceHealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json', logger: false })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_OPTIONS, useValue: options }, ...(options.keys ? [SigningKeysHealthIndicator, RevocationFeedHealthIndicator] : [])],
    };
  }
}
