import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { TokenVerificationError } from '../errors';
import { RemoteKeyStore } from '../keys/remote-key-store';
import type { Principal } from '../principal';
import { type ResolvedSecurityOptions, SECURITY_OPTIONS } from '../security.options';
import { inspectHeader, jwtVerifyOptions } from './token-checks';
import { TokenVerifier } from './token-verifier';

export const TRUSTLINE_JWT_STRATEGY = 'trustline-jwt';

/**
 * passport-jwt over the issuer's JWKS. The key provider runs the header checks and hands jsonwebtoken a
 * cached KeyObject (never a PEM re-parsed per request); `validate` runs the same post-signature checks as
 * TokenVerifier, so HTTP, RPC and the gateway refuse exactly the same tokens.
 */
@Injectable()
export class TrustlineJwtStrategy extends PassportStrategy(Strategy, TRUSTLINE_JWT_STRATEGY) {
  constructor(
    @Inject(SECURITY_OPTIONS) options: ResolvedSecurityOptions,
    keys: RemoteKeyStore,
    private readonly verifier: TokenVerifier,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      passReqToCallback: true,
      // passport-jwt merges these into jsonwebtoken's verify options.
      algorithms: [...options.algorithms],
      issuer: options.issuer,
      audience: jwtVerifyOptions(options).audience,
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
      secretOrKeyProvider: (request: { trustlineKid?: string }, rawJwtToken: string, done: (error: unknown, key?: KeyObject) => void) => {
        try {
          const header = inspectHeader(rawJwtToken, options);
          request.trustlineKid = header.kid;
          keys.keyFor(header.kid, header.alg).then(
            (key) => done(null, key),
            (error: unknown) => done(error),
          );
        } catch (error) {
          done(error);
        }
      },
    } as never);
  }

  validate(request: { trustlineKid?: string; trustlineToken?: string }, payload: Record<string, unknown>): Principal {
    if (!request.trustlineKid || !request.trustlineToken) throw new TokenVerificationError('TOKEN_MALFORMED');
    return this.verifier.accept(request.trustlineToken, request.trustlineKid, payload);
  }
}
