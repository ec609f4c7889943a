// The public API of @trustline/security. Explicit names only: what is not exported here is internal.
export { SecurityModule, type M2mCredentials, type SecurityModuleAsyncOptions } from './security.module';
export { type SecurityModuleOptions, type SecurityObserver, SECURITY_OPTIONS, ASYMMETRIC_ALGORITHMS, MAX_CLOCK_TOLERANCE_SECONDS } from './security.options';
export { Public, Scopes, Roles, Audience, type AudienceResolver, CurrentPrincipal, principalOf } from './decorators';
export { type Principal, hasScopes, hasAnyRole } from './principal';
export { SecurityGuard } from './guards/security.guard';
export { TokenVerifier, type VerificationOutcome } from './verification/token-verifier';
export { RemoteKeyStore } from './keys/remote-key-store';
export { Denylist, type RevocationEntry } from './denylist/denylist';
export { RevocationFeed, DEFAULT_MAX_STALENESS_MS, type RevocationFeedStatus, type RevocationFeedOutcome } from './denylist/revocation-feed';
export { LookbackCursor } from './denylist/lookback-cursor';
export { RevocationEvents, REVOCATION_SUBJECT } from './denylist/revocation-events';
export { natsConnectionOptions, redactedNatsUrl } from './nats-module';
export { TokenVerificationError, type TokenErrorCode, InvalidTokenException, InsufficientScopeException } from './errors';
export { ClientCredentialsTokenClient, TokenRequestError, parseRetryAfter, type ClientCredentialsOptions } from './m2m/client-credentials-token-client';
export { m2mFetch, m2mSend, type M2mTarget, type M2mMessageOptions } from './m2m/m2m-calls';
export { rpcEnvelope, rpcData, type RpcEnvelope } from './rpc/rpc-envelope';
export { bearerToken } from './guards/token-extraction';
export { createLogger, loggableUrl, PinoNestLogger } from './logging/logger';
