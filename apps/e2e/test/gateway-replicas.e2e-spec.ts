import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken, type RunningProcess, startApp } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, startSystem } from './support/system';

/**
 * Several replicas of a service behind one gateway (`<SERVICE>_URL` lists them): requests are shared
 * out in turn, and each replica still verifies every token itself. The replicas share one database.
 */
let system: RunningSystem;
let secondReplica: RunningProcess;
let gateway: RunningProcess;

const servedMe = async (replica: RunningProcess) => {
  const text = await (await fetch(replica.metricsUrl())).text();
  return Number(/http_request_duration_seconds_count\{method="GET",route="\/api\/accounts\/me",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
};

beforeAll(async () => {
  system = await startSystem();
  const first = system.services.accounts;
  const { PORT: _port, METRICS_PORT: _metrics, REDIS_KEY_PREFIX: _prefix, ...shared } = first.env;
  secondReplica = await startApp({ name: 'accounts', database: false, env: shared as Record<string, string> });
  const { PORT: _gatewayPort, METRICS_PORT: _gatewayMetrics, REDIS_KEY_PREFIX: _gatewayPrefix, ...gatewayEnv } = system.gateway.env;
  gateway = await startApp({ name: 'gateway', database: false, env: { ...(gatewayEnv as Record<string, string>), ACCOUNTS_URL: `${first.url},${secondReplica.url}` } });
});

afterAll(async () => {
  await gateway?.stop();
  await secondReplica?.stop();
  await system?.stop();
});

describe('two replicas of accounts behind the gateway', () => {
  it('share the requests in turn', async () => {
    const token = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.accounts, 'accounts:read');
    const before = await Promise.all([servedMe(system.services.accounts), servedMe(secondReplica)]);
    for (let i = 0; i < 6; i += 1) expect((await call(gateway.url, 'GET', '/api/accounts/me', token)).status).toBe(200);
    const after = await Promise.all([servedMe(system.services.accounts), servedMe(secondReplica)]);
    expect(after.map((count, index) => count - before[index])).toEqual([3, 3]);
  });

  it('each verify the token themselves: both refuse a forged one directly', async () => {
    for (const replica of [system.services.accounts, secondReplica]) {
      const answer = await call(replica.url, 'GET', '/api/accounts/me', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
      expect(answer.status).toBe(401);
    }
  });
});
