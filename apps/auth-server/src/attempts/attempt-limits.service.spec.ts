import { describe, expect, it } from 'vitest';
import { loadAuthServerConfig } from '../config/auth-server.config';
import { AttemptLimits } from './attempt-limits.service';

const limits = (env: Record<string, string> = {}) =>
  new AttemptLimits(
    loadAuthServerConfig({
      LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '3',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
      LOGIN_ACCOUNT_SLOWDOWN_SECONDS: '30',
      CLIENT_AUTH_MAX_FAILURES_PER_CLIENT_AND_IP: '4',
      AUTHORIZATION_MAX_PER_IP: '2',
      ...env,
    }),
  );

describe('AttemptLimits (in memory)', () => {
  it('lets no more than the limit of concurrent login attempts through, before any is evaluated', async () => {
    const shared = limits();
    const concurrent = await Promise.all(Array.from({ length: 300 }, () => shared.beginLogin('bob', '10.0.0.1')));
    expect(concurrent.filter((attempt) => attempt.wait === 0)).toHaveLength(3);
    expect(concurrent.filter((attempt) => attempt.wait > 0).every((attempt) => attempt.limit === 'address' && attempt.wait > 800)).toBe(true);
    // The same account from another address, and another account from this one, are not affected: the
    // refused attempts did not spend the address's own budget.
    expect((await shared.beginLogin('bob', '10.0.0.2')).wait).toBe(0);
    expect((await shared.beginLogin('alice', '10.0.0.1')).wait).toBe(0);
  });

  it('slows an account down past its budget instead of locking it: one evaluation per slowdown period', async () => {
    const shared = limits();
    const spread = await Promise.all(Array.from({ length: 40 }, (_, index) => shared.beginLogin('Bob ', `10.1.0.${index}`)));
    expect(spread.filter((attempt) => attempt.wait === 0)).toHaveLength(6);
    const slowed = spread.filter((attempt) => attempt.wait > 0);
    expect(slowed.every((attempt) => attempt.limit === 'account' && attempt.wait <= 30)).toBe(true);
  });

  it('gives the points of a successful login back and clears its (account, address) count', async () => {
    const shared = limits();
    for (let round = 0; round < 10; round += 1) {
      const attempt = await shared.beginLogin('bob', '10.2.0.1');
      expect(attempt.wait).toBe(0);
      await attempt.succeeded();
    }
    for (let failure = 0; failure < 2; failure += 1) await shared.beginLogin('bob', '10.2.0.1');
    await (await shared.beginLogin('bob', '10.2.0.1')).succeeded();
    expect((await shared.beginLogin('bob', '10.2.0.1')).wait).toBe(0);
  });

  it('counts client authentication per (client, address): of 100 concurrent wrong secrets 4 are evaluated; the same client from another address is served', async () => {
    const shared = limits();
    let evaluated = 0;
    const concurrent = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const attempt = await shared.beginClientAuth('loans-service', '10.3.0.1');
        if (attempt.wait > 0) return attempt;
        evaluated += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        await attempt.failed();
        return attempt;
      }),
    );
    expect(evaluated).toBe(4);
    expect(concurrent.filter((attempt) => attempt.wait > 0).every((attempt) => attempt.limit === 'address' && attempt.wait > 200)).toBe(true);
    expect((await shared.beginClientAuth('loans-service', '10.3.0.2')).wait).toBe(0);
    expect((await shared.beginClientAuth('cards-service', '10.3.0.1')).wait).toBe(0);
  });

  it("clears a client's failures from an address once it authenticates from there: a client that fails now and then is never blocked", async () => {
    const shared = limits();
    for (let round = 0; round < 20; round += 1) {
      await shared.beginClientAuth('loans-service', '10.5.0.1');
      const attempt = await shared.beginClientAuth('loans-service', '10.5.0.1');
      expect(attempt.wait).toBe(0);
      await attempt.succeeded();
      await (await shared.beginClientAuth('loans-service', '10.5.0.1')).succeeded();
    }
  });

  it("serves a client's burst of concurrent right secrets from one address, far beyond the failure limit: in-flight attempts are not failures", async () => {
    const shared = limits();
    const burst = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const attempt = await shared.beginClientAuth('gateway', '10.6.0.1');
        if (attempt.wait === 0) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          await attempt.succeeded();
        }
        return attempt.wait;
      }),
    );
    expect(burst.filter((wait) => wait > 0)).toEqual([]);
    // And the burst left no failure behind: wrong secrets from there still have their whole budget.
    let evaluated = 0;
    for (let guess = 0; guess < 10; guess += 1) {
      const attempt = await shared.beginClientAuth('gateway', '10.6.0.1');
      if (attempt.wait === 0) {
        evaluated += 1;
        await attempt.failed();
      }
    }
    expect(evaluated).toBe(4);
  });

  it('holds no point for a public client (nothing to guess), yet counts its failures and refuses once they are spent', async () => {
    const shared = limits();
    const burst = await Promise.all(Array.from({ length: 60 }, () => shared.beginClientAuth('portal', '10.7.0.1', 'no credential')));
    expect(burst.every((attempt) => attempt.wait === 0)).toBe(true);
    for (let failure = 0; failure < 4; failure += 1) await (await shared.beginClientAuth('nobody', '10.7.0.1', 'no credential')).failed();
    expect((await shared.beginClientAuth('nobody', '10.7.0.1', 'no credential')).wait).toBeGreaterThan(200);
    expect((await shared.beginClientAuth('nobody', '10.7.0.1')).wait).toBeGreaterThan(200);
  });

  it('limits authorization requests per address', async () => {
    const shared = limits();
    expect(await shared.authorizationWait('10.4.0.1')).toBe(0);
    expect(await shared.authorizationWait('10.4.0.1')).toBe(0);
    expect(await shared.authorizationWait('10.4.0.1')).toBeGreaterThan(0);
    expect(await shared.authorizationWait('10.4.0.2')).toBe(0);
  });
});
