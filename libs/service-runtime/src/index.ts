// Shared service defaults. Explicit names only.
export { createService, startService, runService, type ServiceBootstrapOptions } from './bootstrap';
export { serviceDataSourceOptions, type ServiceDatabaseOptions } from './database';
export { WriteSerializer } from './write-serializer';
export { exitCleanlyOnSignal, type Closeable } from './shutdown';
export { DEMO_CUSTOMERS, DemoSeedModule, demoRowBase, demoRowId, demoSeedEnabled, seedDemoRows, type DemoSeedOptions } from './demo-seed';
export { ServiceHealthModule, HealthController, type ServiceHealthOptions } from './health.controller';
export { baseServiceEnv, loadServiceEnv, refuseDemoSecretInProduction, ServiceConfigurationError } from './service-env';
// The bank services' shared HTTP conventions: ownership, domain errors as JSON, versions and idempotency.
export { CUSTOMER_ID_PATTERN, isAdmin, mayActFor, ownedOrNotFound, targetCustomer } from './domain/customer-access';
export {
  DomainError,
  ResourceNotFoundError,
  InvalidRequestError,
  ForeignCustomerError,
  VersionRequiredError,
  VersionConflictError,
  StateConflictError,
  BusinessRuleError,
} from './domain/domain-errors';
export { DomainErrorFilter } from './domain/domain-error.filter';
export { PrincipalView } from './domain/principal.view';
export { entityTag, expectedVersion } from './domain/expected-version';
export { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey, IdempotencyKey } from './domain/idempotency-key';
export { minorUnitsColumn, epochMillisColumn, isUniqueViolation } from './columns';
export { requestIdFrom } from './request-id';
export { updateAtVersion, insertOrReplayWinner, deleteWhere } from './domain/versioned-writes';
export { boundedRpcTransport, DEFAULT_RPC_MAX_FRAME_CHARS, DEFAULT_RPC_INCOMPLETE_FRAME_MS, DEFAULT_RPC_MAX_SEND_BUFFER_BYTES } from './rpc-framing';
export { metricsRegistry, securityMetrics, instrumentHttp, startMetricsServer } from './metrics';
