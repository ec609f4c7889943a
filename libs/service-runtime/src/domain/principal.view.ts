import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Principal } from '@trustline/security';

/**
 * The caller as this service verified it (`GET /api/<service>/me`), under the token's claim names (`sub`,
 * `client_id`, `scope`, `aud`) and the library's (`subject`, `clientId`, `scopes`, `audience`). Never the token.
 */
export class PrincipalView {
  @ApiProperty({ enum: ['user', 'client'] }) kind: 'user' | 'client';
  @ApiProperty() sub: string;
  @ApiProperty() subject: string;
  @ApiProperty() client_id: string;
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'space-separated, as in the token' }) scope: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty() aud: string;
  @ApiProperty() audience: string;
  @ApiProperty({ type: [String] }) roles: string[];
  @ApiPropertyOptional({ description: 'the grant of a user token' }) gid?: string;
  @ApiProperty({ description: 'expiry, epoch seconds' }) exp: number;

  static of(principal: Principal): PrincipalView {
    return Object.assign(new PrincipalView(), {
      kind: principal.kind,
      sub: principal.subject,
      subject: principal.subject,
      client_id: principal.clientId,
      clientId: principal.clientId,
      scope: principal.scopes.join(' '),
      scopes: [...principal.scopes],
      aud: principal.audience,
      audience: principal.audience,
      roles: [...principal.roles],
      ...(principal.grantId ? { gid: principal.grantId } : {}),
      exp: principal.expiresAt,
    });
  }
}
