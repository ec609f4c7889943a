import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Epoch seconds as a number on both drivers: PostgreSQL's `bigint` comes back as a string from `pg`,
 * SQLite's INTEGER as a number.
 */
const epochSeconds = { to: (value?: number | null) => value, from: (value?: string | number | null) => (value == null ? null : Number(value)) };
const json = { to: (value: unknown) => (value === undefined ? null : JSON.stringify(value)), from: (value: string | null) => (value == null ? null : JSON.parse(value)) };

@Entity('users')
export class UserEntity {
  /** The OIDC `sub` and the customer id in the bank services. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 128 })
  username: string;

  @Column({ type: 'varchar', length: 256, name: 'password_hash' })
  passwordHash: string;

  @Column({ type: 'text', transformer: json })
  roles: string[];

  @Column({ type: 'varchar', length: 256, nullable: true })
  name: string | null;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochSeconds })
  createdAt: number;
}

@Entity('roles')
export class RoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  /** Resource scopes a user with this role may be granted (the scope-to-role mapping). */
  @Column({ type: 'text', transformer: json })
  scopes: string[];
}

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

@Entity('clients')
export class ClientEntity {
  @PrimaryColumn({ type: 'varchar', length: 128, name: 'client_id' })
  clientId: string;

  @Column({ type: 'varchar', length: 256 })
  name: string;

  /** SHA-256 (hex) of the secret; the secret itself is never stored. Null for public and private_key_jwt clients. */
  @Column({ type: 'varchar', length: 64, name: 'secret_digest', nullable: true })
  secretDigest: string | null;

  @Column({ type: 'varchar', length: 32, name: 'token_endpoint_auth_method' })
  tokenEndpointAuthMethod: ClientAuthMethod;

  /** Public keys for private_key_jwt (a JWK Set). */
  @Column({ type: 'text', nullable: true, transformer: json })
  jwks: { keys: Record<string, unknown>[] } | null;

  @Column({ type: 'text', name: 'grant_types', transformer: json })
  grantTypes: string[];

  @Column({ type: 'text', name: 'redirect_uris', transformer: json })
  redirectUris: string[];

  @Column({ type: 'text', name: 'post_logout_redirect_uris', transformer: json })
  postLogoutRedirectUris: string[];

  /** Resource scopes this client may receive (its own for client credentials; a ceiling for users' tokens). */
  @Column({ type: 'text', name: 'allowed_scopes', transformer: json })
  allowedScopes: string[];

  /** Resource indicators (RFC 8707) this client may ask tokens for. */
  @Column({ type: 'text', transformer: json })
  audiences: string[];

  /** First-party clients skip the consent screen; every other client asks the user. */
  @Column({ type: 'boolean', name: 'first_party', default: false })
  firstParty: boolean;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochSeconds })
  createdAt: number;
}

/**
 * A key's life: `next` (published, not signing yet) → `active` (signs) → `retired` (published until every
 * token it signed has expired) → `expired` (gone). `revoked`: withdrawn at once (compromise).
 */
export type SigningKeyStatus = 'next' | 'active' | 'retired' | 'expired' | 'revoked';

@Entity('signing_keys')
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  alg: string;

  @Index()
  @Column({ type: 'varchar', length: 16 })
  status: SigningKeyStatus;

  @Column({ type: 'text', name: 'public_jwk', transformer: json })
  publicJwk: Record<string, unknown>;

  /** The private JWK, sealed with AES-256-GCM when a key-encryption secret is configured (see key-encryption.ts). */
  @Column({ type: 'text', name: 'private_jwk' })
  privateJwk: string;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochSeconds })
  createdAt: number;

  @Column({ type: 'bigint', name: 'activated_at', nullable: true, transformer: epochSeconds })
  activatedAt: number | null;

  @Column({ type: 'bigint', name: 'retired_at', nullable: true, transformer: epochSeconds })
  retiredAt: number | null;
}

/** One row per artefact of the protocol engine (sessions, grants, codes, refresh tokens, interactions …). */
@Entity('oidc_payloads')
@Index(['model', 'grantId'])
@Index(['model', 'uid'])
@Index(['model', 'userCode'])
export class OidcPayloadEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  model: string;

  @PrimaryColumn({ type: 'varchar', length: 256 })
  id: string;

  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 256, name: 'grant_id', nullable: true })
  grantId: string | null;

  @Column({ type: 'varchar', length: 256, name: 'user_code', nullable: true })
  userCode: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  uid: string | null;

  /** The user it belongs to (sessions, grants, codes, refresh tokens), for ending all of a user's sessions. */
  @Column({ type: 'varchar', length: 256, name: 'account_id', nullable: true })
  accountId: string | null;

  /** The client it was issued to, for revoking everything of a client. */
  @Column({ type: 'varchar', length: 128, name: 'client_id', nullable: true })
  clientId: string | null;

  @Index()
  @Column({ type: 'bigint', name: 'expires_at', nullable: true, transformer: epochSeconds })
  expiresAt: number | null;

  @Column({ type: 'bigint', name: 'consumed_at', nullable: true, transformer: epochSeconds })
  consumedAt: number | null;
}

export type RevocationType = 'jti' | 'grant' | 'sub' | 'client' | 'kid';

export type AuditOutcome = 'success' | 'failure';

/** One security-relevant event (token issued/refreshed/revoked, login, denial). Never holds a token. */
@Entity('audit_events')
export class AuditEventEntity {
  /** PostgreSQL's bigint arrives as a string: read it through Number(). */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number | string;

  /** Epoch milliseconds. */
  @Column({ type: 'bigint', transformer: epochSeconds })
  at: number;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ type: 'varchar', length: 128, nullable: true })
  reason: string | null;

  @Column({ type: 'varchar', length: 128, name: 'client_id', nullable: true })
  clientId: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  subject: string | null;

  @Column({ type: 'varchar', length: 128, name: 'request_id', nullable: true })
  requestId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'text', nullable: true })
  details: string | null;
}

/** The revocation feed (CONVENTIONS.md): the autoincrement id is the cursor. */
@Entity('revocations')
@Index(['type', 'value'])
export class RevocationEntity {
  /** The feed cursor. PostgreSQL's bigint arrives as a string: read it through Number(). */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number | string;

  @Column({ type: 'varchar', length: 16 })
  type: RevocationType;

  @Column({ type: 'varchar', length: 256 })
  value: string;

  /** Epoch seconds of the revocation; `sub`/`client`/`grant` entries refuse tokens with `iat` ≤ `at`. */
  @Column({ type: 'bigint', transformer: epochSeconds })
  at: number;

  /** Kept until this moment: the end of the longest-lived token the entry can touch. */
  @Index()
  @Column({ type: 'bigint', transformer: epochSeconds })
  exp: number;
}

/**
 * The longest lifetime ever configured for a kind of token (`access_token`), only ever raised: a
 * revocation of a subject, client, grant or key must outlive every token already out, even after the
 * TTL setting was lowered.
 */
@Entity('token_lifetimes')
export class TokenLifetimeEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'bigint', name: 'max_seconds', transformer: epochSeconds })
  maxSeconds: number;
}

export const AUTH_SERVER_ENTITIES = [UserEntity, RoleEntity, ClientEntity, SigningKeyEntity, OidcPayloadEntity, RevocationEntity, AuditEventEntity, TokenLifetimeEntity];
