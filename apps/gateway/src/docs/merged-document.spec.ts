import { describe, expect, it } from 'vitest';
import { type DocumentSource, MergedDocument, type OpenApiDocument } from './merged-document';

const sources: DocumentSource[] = ['accounts', 'loans', 'cards'].map((service) => ({
  service,
  prefix: `/api/${service}`,
  audience: `urn:trustline:${service}`,
  url: `http://${service}/docs/openapi.json`,
}));
const documentOf = (service: string): OpenApiDocument => ({
  openapi: '3.0.0',
  paths: { [`/api/${service}`]: { get: { summary: service } }, '/health/live': { get: {} } },
  components: { schemas: { [`${service}View`]: { type: 'object' } } },
});

/** A fake upstream that counts fetches per service, answers after a tick, and can be taken down. */
function fakeUpstreams(down: Set<string>) {
  const fetches: Record<string, number> = {};
  const fetchDocument = async (url: string) => {
    const service = new URL(url).hostname;
    fetches[service] = (fetches[service] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (down.has(service)) throw new Error('ECONNREFUSED');
    return documentOf(service);
  };
  return { fetches, fetchDocument };
}

describe('MergedDocument', () => {
  it('costs one fetch per service for 50 concurrent requests, and none while fresh, with a service down', async () => {
    const upstreams = fakeUpstreams(new Set(['cards']));
    let now = 1_000;
    const merged = new MergedDocument(sources, { openapi: '3.0.0' }, { ...upstreams, freshMs: 60_000, retryMs: 10_000, now: () => now });
    const answers = await Promise.all(Array.from({ length: 50 }, () => merged.document()));
    expect(upstreams.fetches).toEqual({ accounts: 1, loans: 1, cards: 1 });
    for (const answer of answers) {
      expect(Object.keys(answer.paths as object)).toEqual(['/api/accounts', '/api/loans']);
      expect(answer['x-unavailable']).toEqual(['cards']);
    }
    expect(answers[0].paths).toMatchObject({ '/api/loans': { get: { summary: 'loans', 'x-trustline-audience': 'urn:trustline:loans' } } });

    now += 9_999;
    await Promise.all(Array.from({ length: 50 }, () => merged.document()));
    expect(upstreams.fetches).toEqual({ accounts: 1, loans: 1, cards: 1 });
  });

  it('retries a failing service at most once per retry interval, serving its last good paths meanwhile, marked', async () => {
    const down = new Set<string>();
    const upstreams = fakeUpstreams(down);
    let now = 0;
    const merged = new MergedDocument(sources, {}, { ...upstreams, freshMs: 60_000, retryMs: 10_000, now: () => now });
    expect((await merged.document())['x-unavailable']).toBeUndefined();

    down.add('loans');
    now = 60_000; // every document is due: loans fails, the others are fetched again
    const during = await Promise.all(Array.from({ length: 50 }, () => merged.document()));
    // Served at once from what was there; the refresh runs behind the requests.
    expect(during.every((answer) => answer['x-unavailable'] === undefined)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(upstreams.fetches).toEqual({ accounts: 2, loans: 2, cards: 2 });
    const stale = await merged.document();
    expect(stale['x-unavailable']).toEqual(['loans']);
    expect(Object.keys(stale.paths as object)).toContain('/api/loans');

    for (const later of [65_000, 69_999]) {
      now = later;
      await Promise.all(Array.from({ length: 50 }, () => merged.document()));
    }
    expect(upstreams.fetches.loans).toBe(2);

    down.delete('loans');
    now = 70_000;
    await Promise.all(Array.from({ length: 50 }, () => merged.document()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(upstreams.fetches).toEqual({ accounts: 2, loans: 3, cards: 2 });
    expect((await merged.document())['x-unavailable']).toBeUndefined();
  });
});
