import { createHash, generateKeyPairSync } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AUTH_SERVER_CONFIG, type AuthServerConfig } from '../config/auth-server.config';
import { SigningKeyEntity, type SigningKeyStatus } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { openPrivateJwk, sealPrivateJwk } from './key-encryption';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@trustline/security';
import { TokenLifetimes } from '../revocation/token-lifetimes.service';

export const SIGNING_ALG = 'ES256';
/** A retired key stays published this long past the longest access-token lifetime: the largest clock skew any verifier allows. */
export const RETIREMENT_SKEW_SECONDS = MAX_CLOCK_TOLERANCE_SECONDS;

export interface KeyRotation {
  activated: string;
  retired: string;
  next: string;
}

export interface KeyRevocation {
  revoked: string;
  /** The fresh key that signs now, when the revoked one was signing. */
  activated?: string;
  wasSigning: boolean;
}

export interface KeySummary {
  kid: string;
  alg: string;
  status: string;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
}

export class UnknownKeyError extends Error {
  constructor(kid: string) {
    super(`no live signing key ${kid}`);
    this.name = 'UnknownKeyError';
  }
}

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
    private readonly lifetimes: TokenLifetimes,
  ) {}

  /**
   * An active key and a published `next` one; idempotent. Keeping the next key published long before it
   * signs is what makes a rotation invisible to verifiers: they hold it from their last JWKS fetch.
   */
  async ensureKeys(): Promise<void> {
    await this.writes.transaction(async (manager) => {
      const keys = manager.getRepository(SigningKeyEntity);
      const now = Math.floor(Date.now() / 1000);
      if (!(await keys.existsBy({ status: 'active' }))) await keys.insert(this.newKeyRow('active', now));
      if (!(await keys.existsBy({ status: 'next' }))) await keys.insert(this.newKeyRow('next', now));
    });
  }

  /**
   * Planned rotation: the published next key starts signing, the active one retires (still published
   * until the tokens it signed have expired), and a new next key is published for the rotation after.
   */
  async rotate(): Promise<KeyRotation> {
    await this.ensureKeys();
    const rotation = await this.writes.transaction(async (manager) => {
      const keys = manager.getRepository(SigningKeyEntity);
      const now = Math.floor(Date.now() / 1000);
      const active = await keys.findOneByOrFail({ status: 'active' });
      const next = await keys.findOneByOrFail({ status: 'next' });
      await keys.update({ kid: active.kid, status: 'active' }, { status: 'retired', retiredAt: now });
      await keys.update({ kid: next.kid, status: 'next' }, { status: 'active', activatedAt: now });
      const published = this.newKeyRow('next', now);
      await keys.insert(published);
      return { activated: next.kid, retired: active.kid, next: String(published.kid) };
    });
    this.logger.log(`rotated signing keys: ${rotation.activated} signs now, ${rotation.retired} retired, ${rotation.next} published next`);
    return rotation;
  }

  /**
   * Emergency rollover: the key is withdrawn from JWKS at once. When it was the signing key, a freshly
   * generated key (never published, so never exposed with the others) takes over. The caller records the
   * `kid` revocation so verifiers drop the key without waiting for their next JWKS fetch.
   */
  async revoke(kid: string): Promise<KeyRevocation> {
    const result = await this.writes.transaction(async (manager) => {
      const keys = manager.getRepository(SigningKeyEntity);
      const key = await keys.findOneBy({ kid });
      if (!key || key.status === 'revoked' || key.status === 'expired') return undefined;
      const now = Math.floor(Date.now() / 1000);
      await keys.update({ kid }, { status: 'revoked', retiredAt: now });
      let activated: string | undefined;
      if (key.status === 'active') {
        const fresh = this.newKeyRow('active', now);
        await keys.insert(fresh);
        activated = String(fresh.kid);
      }
      if (key.status === 'next') await keys.insert(this.newKeyRow('next', now));
      return { revoked: kid, activated, wasSigning: key.status === 'active' };
    });
    if (!result) throw new UnknownKeyError(kid);
    this.logger.warn(`revoked signing key ${kid}${result.activated ? `; ${result.activated} signs now` : ''}`);
    return result;
  }

  /** Retired keys whose tokens have all expired leave JWKS (the longest lifetime ever issued plus the allowed skew). */
  async expireRetired(): Promise<string[]> {
    const horizon = Math.floor(Date.now() / 1000) - (await this.lifetimes.longestAccessTokenTtl()) - RETIREMENT_SKEW_SECONDS;
    const done = await this.keys.find({ where: { status: 'retired', retiredAt: LessThan(horizon) } });
    if (!done.length) return [];
    await this.writes.write(() => this.keys.update({ kid: In(done.map((key) => key.kid)), status: 'retired' }, { status: 'expired' }));
    return done.map((key) => key.kid);
  }

  /** The keys and their states, newest first (never the private parts). */
  async list(): Promise<KeySummary[]> {
    const rows = await this.keys.find({ order: { createdAt: 'DESC' } });
    return rows.map((row) => ({ kid: row.kid, alg: row.alg, status: row.status, createdAt: row.createdAt, activatedAt: row.activatedAt, retiredAt: row.retiredAt }));
  }

  /** Changes whenever a key changes state: a cheap way for each auth-server replica to notice a rotation. */
  async fingerprint(): Promise<string> {
    const rows = await this.keys.find({ select: { kid: true, status: true }, where: { status: In(['active', 'next', 'retired']) }, order: { kid: 'ASC' } });
    return rows.map((row) => `${row.kid}:${row.status}`).join(',');
  }

  private newKeyRow(status: 'active' | 'next', now: number): QueryDeepPartialEntity<SigningKeyEntity> {
    const key = generateSigningKey();
    return <QueryDeepPartialEntity<SigningKeyEntity>>{
      kid: key.kid,
      alg: SIGNING_ALG,
      status,
      publicJwk: key.publicJwk,
      privateJwk: sealPrivateJwk(key.privateJwk, key.kid, this.config.keyEncryptionSecret),
      createdAt: now,
      activatedAt: status === 'active' ? now : null,
      retiredAt: null,
    };
  }

  /**
   * The engine's key set: the active key first (the engine signs with the first key of an alg), then
   * the published-but-not-signing ones, which it serves in JWKS.
   */
  async providerJwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const rows = await this.keys.find({ where: { status: In(['active', 'next', 'retired']) }, order: { createdAt: 'DESC' } });
    const rank: Record<SigningKeyStatus, number> = { active: 0, next: 1, retired: 2, expired: 3, revoked: 4 };
    rows.sort((a, b) => rank[a.status] - rank[b.status]);
    return { keys: rows.map((row) => openPrivateJwk(row.privateJwk, row.kid, this.config.keyEncryptionSecret)) };
  }
}
