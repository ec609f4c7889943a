type UpstreamError = Error & { statusCode?: number; cause?: { code?: string } };

/** What a caller is told when the service behind a route fails: fast, JSON, never the internals. */
export function upstreamFailure(service: string, error: UpstreamError): { status: number; body: { error: string; message: string } } {
  const code = error.cause?.code;
  if (error.statusCode === 504 || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { status: 504, body: { error: 'upstream_timeout', message: `${service} did not answer in time` } };
  }
  if (error.statusCode === 503 || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { status: 503, body: { error: 'upstream_unavailable', message: `${service} is unavailable` } };
  }
  return { status: 502, body: { error: 'bad_gateway', message: `${service} failed to answer` } };
}

export type { UpstreamError };
