import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Provider from 'oidc-provider';
import type { Repository } from 'typeorm';
import { AttemptLimits } from '../attempts/attempt-limits.service';
import { AuditService } from '../audit/audit.service';
import { ClientsService } from '../clients/clients.service';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { OidcPayloadEntity } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { SigningKeysService } from '../keys/signing-keys.service';
import { RevocationsService } from '../revocation/revocations.service';
import { UsersService } from '../users/users.service';
import { createOidcProvider } from './oidc-provider.factory';

/**
 * Holds the running OpenID Provider and replaces it when the signing keys change. node-oidc-provider
 * reads its key set once, at construction; a rotation therefore builds a new engine over the same
 * database (sessions, grants and interactions live there, cookie keys derive from the same secret) and
 * swaps it in: requests in flight finish on the old one, the next request meets the new keys. Every
 * replica polls the key table, so a rotation made by the CLI or by another replica reaches it within
 * KEY_RELOAD_MS.
 */
@Injectable()
export class OidcProviderHost implements OnApplicationShutdown {
  private readonly logger = new Logger('OidcProvider');
  private current: Provider | undefined;
  private handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  private fingerprint = '';
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
    private readonly keys: SigningKeysService,
    @InjectRepository(OidcPayloadEntity) private readonly payloads: Repository<OidcPayloadEntity>,
    private readonly writes: WriteSerializer,
    private readonly clients: ClientsService,
    private readonly users: UsersService,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
    private readonly attempts: AttemptLimits,
  ) {}

  /** Builds the first engine and starts watching the keys. */
  async start(): Promise<void> {
    await this.keys.ensureKeys();
    await this.reload();
    this.timer = setInterval(() => void this.reloadIfKeysChanged().catch((error: Error) => this.logger.error(`key reload failed: ${error.message}`)), this.config.keyReloadMs);
    this.timer.unref();
  }

  get provider(): Provider {
    if (!this.current) throw new Error('the OpenID Provider is not started');
    return this.current;
  }

  /** The engine's request handler (the Fastify mount calls this for every engine route). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    if (!this.handler) throw new Error('the OpenID Provider is not started');
    this.handler(request, response);
  }

  /** Rebuilds the engine when the key set changed (rotation, revocation, retirement). */
  async reloadIfKeysChanged(): Promise<void> {
    await this.keys.expireRetired();
    if ((await this.keys.fingerprint()) !== this.fingerprint) await this.reload();
  }

  /** Rebuilds the engine with the keys as stored now; one rebuild at a time. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      const fingerprint = await this.keys.fingerprint();
      const provider = createOidcProvider({
        config: this.config,
        jwks: await this.keys.providerJwks(),
        payloads: this.payloads,
        writes: this.writes,
        clients: this.clients,
        users: this.users,
        revocations: this.revocations,
        audit: this.audit,
        attempts: this.attempts,
        onRevocationWriteError: (error) => this.logger.error(`grant revocation not recorded: ${(error as Error).message}`),
      });
      this.handler = provider.callback();
      this.current = provider;
      if (this.fingerprint) this.logger.log(`signing keys changed; the provider now serves ${fingerprint.split(',').length} published key(s)`);
      this.fingerprint = fingerprint;
    });
    return this.reloading;
  }

  /** Picks up a key change made in this process at once (a no-op where no engine runs, e.g. the CLI). */
  async refresh(): Promise<void> {
    if (this.current) await this.reload();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
