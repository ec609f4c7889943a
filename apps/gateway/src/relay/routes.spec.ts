import { describe, expect, it } from 'vitest';
import { audienceForPath, relayPath, requiredScope, routeFor, serviceRoutes } from './routes';

const routes = serviceRoutes({ ACCOUNTS_URL: 'http://a', LOANS_URL: 'http://l', CARDS_URL: 'http://c' });

describe('relayPath', () => {
  it('relays paths under the prefix unchanged, query included', () => {
    expect(relayPath(routes.accounts, '/api/accounts')).toBe('/api/accounts');
    expect(relayPath(routes.accounts, '/api/accounts/me')).toBe('/api/accounts/me');
    expect(relayPath(routes.accounts, '/api/accounts?customerId=alice&x=..%2F')).toBe('/api/accounts?customerId=alice&x=..%2F');
    expect(relayPath(routes.loans, '/api/loans/3f1c/')).toBe('/api/loans/3f1c/');
  });

  it('refuses anything that could leave the prefix once normalised', () => {
    for (const url of [
      '/api/accounts/../../metrics',
      '/api/accounts/./me',
      '/api/accounts/..',
      '/api/accounts/%2e%2e/%2e%2e/metrics',
      '/api/accounts/..%2f..%2fmetrics',
      '/api/accounts/..%5c..%5cmetrics',
      '/api/accounts/a\\..\\..\\metrics',
      '/api/accounts//metrics',
      '/api/accountsX',
      '/api/loans/1',
    ]) {
      expect(relayPath(routes.accounts, url), url).toBeUndefined();
    }
  });
});

describe('requiredScope', () => {
  it('asks reads for the read scope and every other method for the write scope', () => {
    expect(requiredScope(routes.cards, 'GET')).toBe('cards:read');
    expect(requiredScope(routes.cards, 'HEAD')).toBe('cards:read');
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) expect(requiredScope(routes.cards, method)).toBe('cards:write');
  });
});

describe('routeFor', () => {
  it('finds the service of a path by its first segment under /api', () => {
    expect(routeFor(routes, '/api/loans')?.service).toBe('loans');
    expect(routeFor(routes, '/api/loans/1?x=2')?.service).toBe('loans');
    expect(routeFor(routes, '/api/cards?customerId=1')?.service).toBe('cards');
    for (const url of ['/api/loansX', '/api/unknown/1', '/loans', '/api/', '/api/Loans']) expect(routeFor(routes, url), url).toBeUndefined();
  });
});

describe('audienceForPath', () => {
  it("names the audience of the route's service, and none for anything else (the guard then refuses)", () => {
    expect(audienceForPath('/api/accounts/me')).toBe('urn:trustline:accounts');
    expect(audienceForPath('/api/cards?x=1')).toBe('urn:trustline:cards');
    for (const url of ['/api/unknown', '/api/accountsX', '/health/ready']) expect(audienceForPath(url), url).toBeUndefined();
  });
});
