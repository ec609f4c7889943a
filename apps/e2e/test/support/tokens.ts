/** The portal's token endpoint calls, as a public client does them (client_id in the body, no secret). */
export async function refreshGrant(issuer: string, refreshToken: string, resource: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'portal', refresh_token: refreshToken, resource }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function revokeAsPortal(issuer: string, token: string, hint: 'access_token' | 'refresh_token'): Promise<number> {
  const response = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'portal', token, token_type_hint: hint }),
  });
  return response.status;
}

/** Polls `probe` until it returns true, or gives up after `timeoutMs` (returns whether it did). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 5_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
