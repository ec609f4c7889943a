import { SERVICES, type SystemOptions } from './system';

/**
 * The environment for a system whose tokens live `ttlSeconds` and whose every verifier (auth server,
 * gateway, services) allows `toleranceSeconds` of clock skew, so a test can cross a token's whole
 * acceptance window (exp + skew) in seconds.
 */
export function shortLifetimes(ttlSeconds: number, toleranceSeconds: number): SystemOptions['env'] {
  const tolerance = { CLOCK_TOLERANCE_SECONDS: String(toleranceSeconds) };
  return {
    'auth-server': { ACCESS_TOKEN_TTL: String(ttlSeconds), ...tolerance },
    gateway: tolerance,
    ...Object.fromEntries(SERVICES.map((service) => [service, tolerance])),
  };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
