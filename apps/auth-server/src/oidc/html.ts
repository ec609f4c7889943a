/** Escapes text for HTML bodies and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The one page shell of the auth server's HTML (login, consent, logout, errors): no scripts at all. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · Trustline</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:22rem}
h1{font-size:1.25rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem;cursor:pointer}.error{color:#b00020}ul{padding-left:1.2rem}
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

/**
 * Security headers for every HTML page: no framing (clickjacking on the login form), no inline scripts.
 * `form-action` also governs the redirects that follow a form post (Chromium enforces it), so a page whose
 * form ends in a redirect to the client (login, consent, logout) names that client's origin: the one
 * the engine already matched exactly against the registered redirect URI.
 */
export function htmlSecurityHeaders(redirectTarget?: unknown): Record<string, string> {
  let formTargets = "'self'";
  if (typeof redirectTarget === 'string') {
    try {
      const { origin } = new URL(redirectTarget);
      if (origin !== 'null') formTargets += ` ${origin}`;
    } catch {
      // not a URL: the form stays same-origin only
    }
  }
  return {
    ...HTML_SECURITY_HEADERS,
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`,
  };
}

export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the login form's
  // POST, which the Origin check must refuse. Other origins still get no Referer at all.
  'referrer-policy': 'same-origin',
};
