import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Synchronizer token for the login and consent forms: an HMAC of the interaction id under a server key.
 * The interaction id lives only in the victim's own browser (URL and a path-scoped, SameSite cookie), so
 * a cross-site page can neither read nor compute it. Defence in depth beside the cookie binding.
 */
export class CsrfTokens {
  constructor(private readonly key: string) {}

  issue(interactionUid: string): string {
    return createHmac('sha256', this.key).update(`interaction:${interactionUid}`).digest('base64url');
  }

  verify(interactionUid: string, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const expected = Buffer.from(this.issue(interactionUid));
    const actual = Buffer.from(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
