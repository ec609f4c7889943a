import type { GatewayEnv } from '../gateway.env';

/** One public route prefix: the service behind it, the audience a token needs there, and its scopes. */
export interface ServiceRoute {
  service: 'accounts' | 'loans' | 'cards';
  prefix: string;
  audience: string;
  upstream: string;
  readScope: string;
  writeScope: string;
}

export const ACCOUNTS_AUDIENCE = 'urn:trustline:accounts';
export const LOANS_AUDIENCE = 'urn:trustline:loans';
export const CARDS_AUDIENCE = 'urn:trustline:cards';

/** CONVENTIONS.md's routing table: paths are never rewritten, so a path works through the gateway and directly. */
export function serviceRoutes(env: Pick<GatewayEnv, 'ACCOUNTS_URL' | 'LOANS_URL' | 'CARDS_URL'>): Record<ServiceRoute['service'], ServiceRoute> {
  return {
    accounts: { service: 'accounts', prefix: '/api/accounts', audience: ACCOUNTS_AUDIENCE, upstream: env.ACCOUNTS_URL, readScope: 'accounts:read', writeScope: 'accounts:write' },
    loans: { service: 'loans', prefix: '/api/loans', audience: LOANS_AUDIENCE, upstream: env.LOANS_URL, readScope: 'loans:read', writeScope: 'loans:write' },
    cards: { service: 'cards', prefix: '/api/cards', audience: CARDS_AUDIENCE, upstream: env.CARDS_URL, readScope: 'cards:read', writeScope: 'cards:write' },
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The scope a request needs at the gateway, from its method: reads need `<service>:read`, anything that
 * can change data `<service>:write`. The service checks its own, finer rules again.
 */
export function requiredScope(route: ServiceRoute, method: string): string {
  return SAFE_METHODS.has(method.toUpperCase()) ? route.readScope : route.writeScope;
}

/**
 * The path and query relayed upstream, or undefined when the path could escape its prefix once an HTTP
 * client or the upstream normalises it (dot segments, encoded slashes or dots, backslashes, empty
 * segments): `/api/accounts/../../metrics` must never reach `/metrics`.
 */
export function relayPath(route: ServiceRoute, url: string): string | undefined {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (path !== route.prefix && !path.startsWith(`${route.prefix}/`)) return undefined;
  if (/%2f|%5c|%2e|\\/i.test(path)) return undefined;
  const segments = path.split('/').slice(1);
  if (segments.some((segment, index) => segment === '.' || segment === '..' || (segment === '' && index < segments.length - 1))) return undefined;
  return url;
}
