import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { principalOf } from '@trustline/security';

export const CALLER_THROTTLER = 'caller';

/**
 * Rate limit per verified caller: a user by subject, an M2M client by client id. It runs after the
 * security guard, so a forged token cannot spend someone else's budget; the per-IP limit in front of it
 * (counted before verification) keeps floods of bad tokens from reaching the verifier.
 */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>, context?: ExecutionContext): Promise<string> {
    const principal = context ? principalOf(context) : undefined;
    if (!principal) return `ip:${String(request.ip)}`;
    return principal.kind === 'user' ? `user:${principal.subject}` : `client:${principal.clientId}`;
  }
}
