import { createHash, generateKeyPairSync } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { SigningKeyEntity } from '../database/entities';
import { WriteSerializer } from '../database/write-serializer';
import { openPrivateJwk, sealPrivateJwk } from './key-encryption';

export const SIGNING_ALG = 'ES256';

/** RFC 7638 JWK thumbprint of a P-256 public key: a stable, collision-free `kid`. */
export function jwkThumbprint(jwk: { crv?: unknown; kty?: unknown; x?: unknown; y?: unknown }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateSigningKey(): { kid: string; publicJwk: Record<string, unknown>; privateJwk: Record<string, unknown> } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateJwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const { d: _private, ...publicPart } = privateJwk;
  const kid = jwkThumbprint(publicPart);
  const decorate = (jwk: Record<string, unknown>) => ({ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' });
  return { kid, publicJwk: decorate(publicPart), privateJwk: decorate(privateJwk) };
}

/**
 * Signing keys live in the database (private parts sealed at rest). The active key signs; `next` keys
 * are already published so verifiers learn them before they sign; retired keys stay published until
 * every token they signed has expired; revoked keys are gone from everywhere at once.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);

  constructor(
    @InjectRepository(SigningKeyEntity) private readonly keys: Repository<SigningKeyEntity>,
    @Inject(AUTH_SERVER_CONFIG) private readonly config: AuthServerConfig,
    private readonly writes: WriteSerializer,
  ) {}

  /** Creates the first key on an empty database; idempotent. */
  async ensureActiveKey(): Promise<void> {
    if (await this.keys.existsBy({ status: 'active' })) return;
    const key = generateSigningKey();
    const now = Math.floor(Date.now() / 1000);
    await this.writes.write(() =>
      this.keys.insert(<QueryDeepPartialEntity<SigningKeyEntity>>{
        kid: key.kid,
        alg: SIGNING_ALG,
        status: 'active',
        publicJwk: key.publicJwk,
        privateJwk: sealPrivateJwk(key.privateJwk, key.kid, this.config.keyEncryptionSecret),
        createdAt: now,
        activatedAt: now,
        retiredAt: null,
      }),
    );
    this.logger.log(`created signing key ${key.kid} (${SIGNING_ALG})`);
  }

  /**
   * The engine's key set: the active key first (the engine signs with the first key of an alg), then
   * the published-but-not-signing ones, which it serves in JWKS.
   */
  async providerJwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const rows = await this.keys.find({ where: { status: In(['active', 'next', 'retired']) }, order: { createdAt: 'DESC' } });
    const rank = { active: 0, next: 1, retired: 2, revoked: 3 } as const;
    rows.sort((a, b) => rank[a.status] - rank[b.status]);
    return { keys: rows.map((row) => openPrivateJwk(row.privateJwk, row.kid, this.config.keyEncryptionSecret)) };
  }
}
