import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal } from './principal';

export const IS_PUBLIC = 'trustline:public';
export const REQUIRED_SCOPES = 'trustline:scopes';
export const REQUIRED_ROLES = 'trustline:roles';
export const REQUIRED_AUDIENCE = 'trustline:audience';

/**
 * Marks a handler (or controller) as reachable without a token. Everything else is protected: a route
 * without a decision is denied to anonymous callers.
 * @example `@Public() @Get('health/live') live() {}`
 */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Requires every listed scope in the access token (RFC 6750 `insufficient_scope` otherwise).
 * @example `@Scopes('accounts:read') @Get() list() {}`
 */
export const Scopes = (...scopes: string[]) => SetMetadata(REQUIRED_SCOPES, scopes);

/**
 * Requires at least one of the listed roles (user tokens carry `roles`).
 * @example `@Roles('admin') @Delete(':id') remove() {}`
 */
export const Roles = (...roles: string[]) => SetMetadata(REQUIRED_ROLES, roles);

/** The audience a request needs, decided from the request itself (undefined: none fits, refused). */
export type AudienceResolver = (context: ExecutionContext) => string | undefined;

/**
 * Requires this audience in the token for this handler, when the module accepts several (a gateway: a
 * loans token is refused on the accounts route). A token for another audience is an invalid token here
 * (401), exactly as a service with that single audience would answer. A handler that serves several
 * routes passes a resolver that names the audience of the route a request is on.
 * @example `@Audience('urn:trustline:accounts') @All('api/accounts/*') relay() {}`
 */
export const Audience = (audience: string | AudienceResolver) => SetMetadata(REQUIRED_AUDIENCE, audience);

const PRINCIPALS = new WeakMap<object, Principal>();

/** Where the guard leaves the principal: the HTTP request, or the RPC context of one message. */
export function principalCarrier(context: ExecutionContext): object {
  return context.getType() === 'rpc' ? ((context.switchToRpc().getContext() as object) ?? context.switchToRpc().getData()) : context.switchToHttp().getRequest();
}

export function attachPrincipal(context: ExecutionContext, principal: Principal): void {
  PRINCIPALS.set(principalCarrier(context), principal);
}

/** The verified caller, for guards and interceptors that run after `SecurityGuard` (undefined on `@Public()` handlers). */
export function principalOf(context: ExecutionContext): Principal | undefined {
  return PRINCIPALS.get(principalCarrier(context));
}

/**
 * The verified caller (user or client) of this request or message.
 * @example `@Get('me') me(@CurrentPrincipal() principal: Principal) {}`
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = principalOf(context);
  // The guard runs before any parameter is resolved; no principal here means a @Public() handler asked for one.
  if (!principal) throw new Error('CurrentPrincipal used on a handler that is not protected');
  return principal;
});
