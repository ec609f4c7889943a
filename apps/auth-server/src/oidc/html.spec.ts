import { describe, expect, it } from 'vitest';
import { HTML_SECURITY_HEADERS, htmlSecurityHeaders } from './html';

describe('htmlSecurityHeaders', () => {
  it("lets a page's forms go on to the client's origin only (Chromium applies form-action to the redirect after a post)", () => {
    expect(htmlSecurityHeaders('https://portal.example/callback?x=1')['content-security-policy']).toContain("form-action 'self' https://portal.example;");
  });

  it('stays same-origin without a usable target', () => {
    for (const target of [undefined, 42, 'not a url', 'data:text/html,hi']) {
      expect(htmlSecurityHeaders(target)['content-security-policy']).toContain("form-action 'self';");
    }
    expect(htmlSecurityHeaders()).toEqual(HTML_SECURITY_HEADERS);
  });

  it('keeps the Origin header on same-origin posts (same-origin referrer policy, never no-referrer)', () => {
    expect(HTML_SECURITY_HEADERS['referrer-policy']).toBe('same-origin');
    expect(HTML_SECURITY_HEADERS['x-frame-options']).toBe('DENY');
  });
});
