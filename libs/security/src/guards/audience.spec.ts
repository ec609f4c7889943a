import { All, Controller, Module } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audience, CurrentPrincipal, type Principal, SecurityModule } from '../index';
import { TestIssuer } from '../testing';

const ACCOUNTS = 'urn:trustline:accounts';
const LOANS = 'urn:trustline:loans';

// A gateway-shaped module: one verifier for several audiences, one audience per route.
@Controller()
class RoutesController {
  @Audience(ACCOUNTS)
  @All('accounts')
  accounts(@CurrentPrincipal() principal: Principal) {
    return { audiences: principal.audiences };
  }

  @Audience(LOANS)
  @All('loans')
  loans(@CurrentPrincipal() principal: Principal) {
    return { audiences: principal.audiences };
  }

  // One handler for several routes: the audience comes from the request.
  @Audience((context) => ({ a: ACCOUNTS, l: LOANS })[String(context.switchToHttp().getRequest<{ query: { to?: string } }>().query.to)])
  @All('either')
  either(@CurrentPrincipal() principal: Principal) {
    return { audiences: principal.audiences };
  }
}

let issuer: TestIssuer;
let app: NestFastifyApplication;

beforeAll(async () => {
  issuer = await new TestIssuer().start();
  @Module({ imports: [SecurityModule.forRoot({ issuer: issuer.issuer, audience: [ACCOUNTS, LOANS] })], controllers: [RoutesController] })
  class GatewayLikeModule {}
  const moduleRef = await Test.createTestingModule({ imports: [GatewayLikeModule] }).compile();
  app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
});

afterAll(async () => {
  await app?.close();
  await issuer?.stop();
});

const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

describe('@Audience', () => {
  it('lets a token through only on the route of its own audience', async () => {
    const loansToken = issuer.mint(LOANS);
    expect((await get('/loans', loansToken)).statusCode).toBe(200);
    const refused = await get('/accounts', loansToken);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses on the second route even when the first request put the token in the verified cache', async () => {
    const accountsToken = issuer.mint(ACCOUNTS);
    expect((await get('/accounts', accountsToken)).statusCode).toBe(200);
    expect((await get('/loans', accountsToken)).statusCode).toBe(401);
  });

  it("takes a resolver's audience per request, and refuses when it names none", async () => {
    const loansToken = issuer.mint(LOANS);
    expect((await get('/either?to=l', loansToken)).statusCode).toBe(200);
    expect((await get('/either?to=a', loansToken)).statusCode).toBe(401);
    expect((await get('/either?to=nowhere', loansToken)).statusCode).toBe(401);
  });

  it('accepts a token naming both audiences on both routes, and says which it matched', async () => {
    const both = issuer.mint(ACCOUNTS, { claims: { aud: [LOANS, 'urn:other', ACCOUNTS] } });
    const answer = await get('/loans', both);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ audiences: [ACCOUNTS, LOANS] });
    expect((await get('/accounts', both)).statusCode).toBe(200);
  });
});
