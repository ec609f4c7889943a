/**
 * The path and query relayed upstream for a route under `prefix`, or undefined when the path is not
 * under it or could escape it once an HTTP client or the upstream normalises it (dot segments, encoded
 * slashes or dots, backslashes, empty segments): `/api/accounts/../../metrics` must never reach `/metrics`.
 * Paths are never rewritten, so a path works through the relay and directly.
 */
export function relayPathUnder(prefix: string, url: string): string | undefined {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  if (/%2f|%5c|%2e|\\/i.test(path)) return undefined;
  const segments = path.split('/').slice(1);
  if (segments.some((segment, index) => segment === '.' || segment === '..' || (segment === '' && index < segments.length - 1))) return undefined;
  return url;
}
