import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { attachPrincipal, type AudienceResolver, IS_PUBLIC, REQUIRED_AUDIENCE, REQUIRED_ROLES, REQUIRED_SCOPES } from '../decorators';
import { InsufficientScopeException, InvalidTokenException, TokenVerificationError } from '../errors';
import { hasAnyRole, hasScopes, type Principal } from '../principal';
import { codeForJwtError } from '../verification/token-checks';
import { TokenVerifier } from '../verification/token-verifier';
import { TRUSTLINE_JWT_STRATEGY } from '../verification/trustline-jwt.strategy';
import { authorizationOf, bearerToken } from './token-extraction';

/**
 * The one guard for HTTP routes and message handlers: authenticate (verified-token cache, else the
 * passport-jwt strategy), then authorize (`@Scopes`, `@Roles`). Default-deny: only `@Public()` skips it.
 */
@Injectable()
export class SecurityGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const principal = await this.authenticate(context);
    const required = this.reflector.getAllAndOverride<string | AudienceResolver | undefined>(REQUIRED_AUDIENCE, targets);
    const audience = typeof required === 'function' ? (required(context) ?? null) : required;
    // A resolver that finds no audience for the request refuses it (null never matches): fail closed.
    if (audience !== undefined && (audience === null || !principal.audiences.includes(audience))) {
      this.verifier.report('AUDIENCE_MISMATCH');
      throw new InvalidTokenException('AUDIENCE_MISMATCH');
    }
    attachPrincipal(context, principal);

    const scopes = this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const roles = this.reflector.getAllAndOverride<string[]>(REQUIRED_ROLES, targets) ?? [];
    if (!hasScopes(principal, scopes) || !hasAnyRole(principal, roles)) throw new InsufficientScopeException(scopes, roles);
    return true;
  }

  private async authenticate(context: ExecutionContext): Promise<Principal> {
    let token: string;
    try {
      token = bearerToken(authorizationOf(context));
    } catch (error) {
      throw new InvalidTokenException((error as TokenVerificationError).code);
    }
    // A verified token seen before costs a map lookup and a denylist check, not passport and crypto.
    const cached = this.verifier.cached(token);
    if (cached) return cached;
    return this.viaPassport(token);
  }

  /** Runs the passport-jwt strategy on a request carrying just this token (works for HTTP and RPC alike). */
  private viaPassport(token: string): Promise<Principal> {
    const request = { headers: { authorization: `Bearer ${token}` }, trustlineToken: token };
    return new Promise((resolve, reject) => {
      passport.authenticate(TRUSTLINE_JWT_STRATEGY, { session: false }, (error: unknown, principal: Principal | false, info: unknown) => {
        if (principal) return resolve(principal);
        const code = codeForJwtError(error ?? info);
        this.verifier.report(code);
        reject(new InvalidTokenException(code));
      })(request, {}, () => undefined);
    });
  }
}
