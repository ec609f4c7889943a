import { relayPathUnder } from '@trustline/relay';

/**
 * The services behind the gateway and their conventional ports (CONVENTIONS.md). Everything else (the
 * `<SERVICE>_URL` variables, the routes, the audiences accepted) follows from this list;
 * `nx g @trustline/workspace:service <name>` adds to it.
 */
export const GATEWAY_SERVICES: readonly { service: string; port: number }[] = [
  { service: 'accounts', port: 8081 },
  { service: 'loans', port: 8082 },
  { service: 'cards', port: 8083 },
  // trustline-generator: gateway-services
];

/** One public route prefix: the service behind it, the audience a token needs there, and its scopes. */
export interface ServiceRoute {
  service: string;
  prefix: string;
  audience: string;
  /** The service's replicas' base URLs (`<SERVICE>_URL`, comma-separated). */
  upstreams: readonly string[];
  readScope: string;
  writeScope: string;
}

export const audienceOf = (service: string) => `urn:trustline:${service}`;
export const upstreamVariable = (service: string) => `${service.toUpperCase().replace(/-/g, '_')}_URL`;

/** The routing table: paths are never rewritten, so a path works through the gateway and directly. */
export function serviceRoutes(env: Readonly<Record<string, unknown>>): Record<string, ServiceRoute> {
  return Object.fromEntries(
    GATEWAY_SERVICES.map(({ service }) => [
      service,
      {
        service,
        prefix: `/api/${service}`,
        audience: audienceOf(service),
        upstreams: ([] as string[]).concat(env[upstreamVariable(service)] as string | string[]),
        readScope: `${service}:read`,
        writeScope: `${service}:write`,
      },
    ]),
  );
}

const SERVICE_NAMES = new Set(GATEWAY_SERVICES.map(({ service }) => service));

/** The service a request path is for (`/api/<service>` or below), if it is one behind the gateway. */
function serviceOfPath(url: string): string | undefined {
  const service = /^\/api\/([a-z][a-z0-9-]*)(?:[/?]|$)/.exec(url)?.[1];
  return service && SERVICE_NAMES.has(service) ? service : undefined;
}

/** The audience a request's route requires (the `@Audience` resolver of the relay), if it is a route. */
export function audienceForPath(url: string): string | undefined {
  const service = serviceOfPath(url);
  return service ? audienceOf(service) : undefined;
}

/** The route a request path belongs to (`/api/<service>` or below), if any. */
export function routeFor(routes: Record<string, ServiceRoute>, url: string): ServiceRoute | undefined {
  const service = serviceOfPath(url);
  return service ? routes[service] : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The scope a request needs at the gateway, from its method: reads need `<service>:read`, anything that
 * can change data `<service>:write`. The service checks its own, finer rules again.
 */
export function requiredScope(route: ServiceRoute, method: string): string {
  return SAFE_METHODS.has(method.toUpperCase()) ? route.readScope : route.writeScope;
}

/** The path and query relayed upstream, or undefined when it could leave the route's prefix (see relayPathUnder). */
export function relayPath(route: ServiceRoute, url: string): string | undefined {
  return relayPathUnder(route.prefix, url);
}
