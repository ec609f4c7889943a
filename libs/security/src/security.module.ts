import { type DynamicModule, Logger, Module, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { Denylist } from './denylist/denylist';
import { RevocationFeed } from './denylist/revocation-feed';
import { Rfc6750ExceptionFilter } from './guards/rfc6750.filter';
import { SecurityGuard } from './guards/security.guard';
import { RemoteKeyStore } from './keys/remote-key-store';
import { ClientCredentialsTokenClient } from './m2m/client-credentials-token-client';
import { RevocationEvents } from './denylist/revocation-events';
import { type ResolvedSecurityOptions, resolveSecurityOptions, SECURITY_OPTIONS, type SecurityModuleOptions } from './security.options';
import { TokenVerifier } from './verification/token-verifier';
import { TrustlineJwtStrategy } from './verification/trustline-jwt.strategy';
import { VerifiedTokenCache } from './verification/verified-token-cache';

/** Client credentials of the service itself, for its own M2M calls (CLIENT_ID / CLIENT_SECRET). */
export interface M2mCredentials {
  clientId: string;
  clientSecret: string;
}

export interface SecurityModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: unknown[];
  useFactory: (...args: never[]) => (SecurityModuleOptions & { m2m?: M2mCredentials }) | Promise<SecurityModuleOptions & { m2m?: M2mCredentials }>;
}

const RAW_OPTIONS = Symbol('TRUSTLINE_SECURITY_RAW_OPTIONS');

/** Loads keys and catches up on revocations before the app serves; stops both on shutdown. */
class VerifierLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly keys: RemoteKeyStore,
    private readonly feed: RevocationFeed | null,
    private readonly events: RevocationEvents | null,
  ) {}
  async onModuleInit() {
    await this.keys.start();
    if (this.feed) {
      // Fail open on start-up would mean serving revoked tokens: a failed catch-up is retried by the
      // poller, and readiness (RevocationFeed.status) stays false until one succeeds.
      await this.feed.catchUp().catch(() => undefined);
      this.feed.start();
      this.events?.start();
    }
  }
  async onApplicationShutdown() {
    this.keys.stop();
    this.feed?.stop();
    await this.events?.stop();
  }
}

function providers(globalGuard: (options: ResolvedSecurityOptions) => boolean): Provider[] {
  return [
    { provide: SECURITY_OPTIONS, inject: [RAW_OPTIONS], useFactory: (raw: SecurityModuleOptions) => resolveSecurityOptions(raw) },
    // Entries outlive their exp by this verifier's clock tolerance: it accepts tokens that long.
    { provide: Denylist, inject: [SECURITY_OPTIONS], useFactory: (options: ResolvedSecurityOptions) => new Denylist(options.clockToleranceSeconds) },
    {
      provide: RemoteKeyStore,
      inject: [SECURITY_OPTIONS],
      useFactory: (options: ResolvedSecurityOptions) =>
        new RemoteKeyStore({
          issuer: options.issuer,
          authInternalUrl: options.authInternalUrl,
          algorithms: options.algorithms,
          refreshMinIntervalMs: options.jwksRefreshMinIntervalMs,
          refreshIntervalMs: 60_000,
          fetch: options.fetch,
          onRefresh: (result) => options.observer.jwksRefresh?.(result),
        }),
    },
    {
      provide: VerifiedTokenCache,
      inject: [SECURITY_OPTIONS, Denylist, RemoteKeyStore],
      useFactory: (options: ResolvedSecurityOptions, denylist: Denylist, keys: RemoteKeyStore) =>
        new VerifiedTokenCache(options.verifiedTokenCacheSize, denylist, keys, options.verifiedTokenCacheMaxAgeSeconds),
    },
    {
      provide: TokenVerifier,
      inject: [SECURITY_OPTIONS, RemoteKeyStore, Denylist, VerifiedTokenCache],
      useFactory: (options: ResolvedSecurityOptions, keys: RemoteKeyStore, denylist: Denylist, cache: VerifiedTokenCache) =>
        new TokenVerifier(options, keys, denylist, cache, (outcome) => options.observer.verification?.(outcome)),
    },
    {
      provide: RevocationFeed,
      inject: [RAW_OPTIONS, SECURITY_OPTIONS, ClientCredentialsTokenClient, Denylist, RemoteKeyStore],
      useFactory: (raw: SecurityModuleOptions, options: ResolvedSecurityOptions, tokens: ClientCredentialsTokenClient | null, denylist: Denylist, keys: RemoteKeyStore) => {
        if (!raw.revocationFeed) return null;
        if (!tokens) throw new TypeError('SecurityModule: "revocationFeed" needs "m2m" credentials with revocations:read');
        const { pollMs, maxStalenessSeconds, refusedGraceMs, lookbackMs } = raw.revocationFeed;
        const logger = new Logger('RevocationFeed');
        return new RevocationFeed({
          authInternalUrl: options.authInternalUrl,
          pollMs: pollMs ?? 1000,
          tokens,
          denylist,
          keys,
          fetch: options.fetch,
          ...(maxStalenessSeconds !== undefined ? { maxStalenessMs: maxStalenessSeconds * 1000 } : {}),
          refusedGraceMs,
          lookbackMs,
          logger: { log: (message) => logger.log(message), warn: (message) => logger.warn(message), error: (message) => logger.error(message) },
          observer: { pull: (outcome) => options.observer.revocationFeedPull?.(outcome), staleness: (seconds) => options.observer.revocationFeedStaleness?.(seconds) },
        });
      },
    },
    {
      provide: RevocationEvents,
      inject: [RAW_OPTIONS, RevocationFeed],
      useFactory: (raw: SecurityModuleOptions & { m2m?: M2mCredentials }, feed: RevocationFeed | null) => {
        const natsUrl = raw.revocationFeed ? raw.revocationFeed.natsUrl : undefined;
        if (!feed || !natsUrl) return null;
        const logger = new Logger('RevocationEvents');
        return new RevocationEvents({ natsUrl, feed, name: raw.m2m?.clientId ?? 'trustline-verifier', onError: (error) => logger.warn(`NATS: ${error.message}`) });
      },
    },
    {
      provide: VerifierLifecycle,
      inject: [RemoteKeyStore, RevocationFeed, RevocationEvents],
      useFactory: (keys: RemoteKeyStore, feed: RevocationFeed | null, events: RevocationEvents | null) => new VerifierLifecycle(keys, feed, events),
    },
    TrustlineJwtStrategy,
    SecurityGuard,
    { provide: APP_FILTER, useClass: Rfc6750ExceptionFilter },
    {
      provide: APP_GUARD,
      inject: [SECURITY_OPTIONS, SecurityGuard],
      useFactory: (options: ResolvedSecurityOptions, guard: SecurityGuard) => (globalGuard(options) ? guard : { canActivate: () => true }),
    },
    {
      provide: ClientCredentialsTokenClient,
      inject: [RAW_OPTIONS, SECURITY_OPTIONS],
      useFactory: (raw: { m2m?: M2mCredentials }, options: ResolvedSecurityOptions) =>
        raw.m2m
          ? new ClientCredentialsTokenClient({
              issuer: options.issuer,
              authInternalUrl: options.authInternalUrl,
              ...raw.m2m,
              fetch: options.fetch,
              onTokenRequest: (outcome) => options.observer.m2mToken?.(outcome),
            })
          : null,
    },
  ];
}

const EXPORTS = [SECURITY_OPTIONS, TokenVerifier, Denylist, RemoteKeyStore, SecurityGuard, ClientCredentialsTokenClient, RevocationFeed];

/**
 * Zero-trust verification for a NestJS service in a few lines:
 * @example
 * ```ts
 * @Module({ imports: [SecurityModule.forRoot({ issuer: env.ISSUER_URL, audience: 'urn:trustline:accounts' })] })
 * export class AppModule {}
 * ```
 * Every route and message handler then requires a valid access token for this audience, unless marked
 * `@Public()`; `@Scopes()` and `@Roles()` narrow it further.
 */
@Module({})
export class SecurityModule {
  static forRoot(options: SecurityModuleOptions & { m2m?: M2mCredentials }): DynamicModule {
    // Validate now: a misconfigured service must not get as far as listening.
    resolveSecurityOptions(options);
    return {
      module: SecurityModule,
      global: true,
      imports: [PassportModule],
      providers: [{ provide: RAW_OPTIONS, useValue: options }, ...providers((resolved) => resolved.globalGuard)],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: SecurityModuleAsyncOptions): DynamicModule {
    return {
      module: SecurityModule,
      global: true,
      imports: [PassportModule, ...(options.imports ?? [])],
      providers: [{ provide: RAW_OPTIONS, inject: (options.inject ?? []) as never[], useFactory: options.useFactory }, ...providers((resolved) => resolved.globalGuard)],
      exports: EXPORTS,
    };
  }
}
