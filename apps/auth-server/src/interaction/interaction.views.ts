import { escapeHtml, page } from '../oidc/html';

export function loginPage(input: { uid: string; csrf: string; clientName: string; username?: string; error?: string }): string {
  return page(
    'Sign in',
    `<h1>Sign in to Trustline</h1>
<p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(input.uid)}/login" autocomplete="on">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<label for="username">Username</label>
<input id="username" type="text" name="username" value="${escapeHtml(input.username ?? '')}" required maxlength="128" autofocus autocomplete="username">
<label for="password">Password</label>
<input id="password" type="password" name="password" required maxlength="1024" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(input.uid)}/abort">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<button type="submit">Cancel</button>
</form>`,
  );
}

export function consentPage(input: { uid: string; csrf: string; clientName: string; identityScopes: string[]; resources: { resource: string; scopes: string[] }[] }): string {
  const identity = input.identityScopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const apis = input.resources.map((entry) => `<li>${escapeHtml(entry.resource)}: ${entry.scopes.map(escapeHtml).join(', ') || 'no scopes'}</li>`).join('');
  return page(
    'Authorize',
    `<h1>Authorize ${escapeHtml(input.clientName)}</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> asks for access to your account.</p>
${identity ? `<p>Identity:</p><ul>${identity}</ul>` : ''}
${apis ? `<p>APIs:</p><ul>${apis}</ul>` : ''}
<form method="post" action="/interaction/${escapeHtml(input.uid)}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<button type="submit" autofocus>Allow</button>
</form>
<form method="post" action="/interaction/${escapeHtml(input.uid)}/abort">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<button type="submit">Deny</button>
</form>`,
  );
}
