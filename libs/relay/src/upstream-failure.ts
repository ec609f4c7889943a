type UpstreamError = Error & { statusCode?: number; code?: string; cause?: { code?: string } };

interface RelayFailure {
  status: number;
  body: { error: string; message: string; statusCode?: number };
}

/**
 * Refusals of the HTTP client itself, raised before anything is sent: a request it will not send as it
 * came (a header it does not relay, an invalid value). The caller's request, not the service, is at fault.
 */
const UNRELAYABLE = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/**
 * What a caller is told when a request cannot be relayed or the service behind a route fails: fast,
 * JSON, never the internals. A request the relay cannot send as it came (undici's argument checks, a
 * target @fastify/reply-from refuses, a malformed escape) is the caller's 400, in the services' error
 * shape (Nest's), not a 502; a timeout is 504, an unreachable service 503, anything else 502.
 */
export function upstreamFailure(service: string, error: UpstreamError): RelayFailure {
  const code = error.cause?.code ?? error.code;
  if (error instanceof URIError || error.statusCode === 400 || (code !== undefined && UNRELAYABLE.has(code))) {
    return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'the request cannot be relayed as sent' } };
  }
  if (error.statusCode === 504 || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { status: 504, body: { error: 'upstream_timeout', message: `${service} did not answer in time` } };
  }
  if (error.statusCode === 503 || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { status: 503, body: { error: 'upstream_unavailable', message: `${service} is unavailable` } };
  }
  return { status: 502, body: { error: 'bad_gateway', message: `${service} failed to answer` } };
}

export type { RelayFailure, UpstreamError };
