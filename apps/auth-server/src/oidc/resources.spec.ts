import { describe, expect, it } from 'vitest';
import { clientMayHold, DELEGATED_SCOPES, RESOURCE_SERVERS, scopesOfResource } from './resources';

const ACCOUNTS = 'urn:trustline:accounts';
const entitled = (audiences: string[], scopes: string[]) => ({ audiences, scopes: new Set(scopes) });

describe('scopes a deputy accepts on behalf of its caller', () => {
  it('offers loans:read and cards:read on the accounts audience, owned by loans and cards', () => {
    expect(scopesOfResource(ACCOUNTS)).toEqual(['accounts:read', 'accounts:write', 'loans:read', 'cards:read']);
    expect(DELEGATED_SCOPES[ACCOUNTS]).toEqual({ 'loans:read': 'urn:trustline:loans', 'cards:read': 'urn:trustline:cards' });
    // Only read scopes, and only scopes some resource server owns.
    for (const [deputy, delegated] of Object.entries(DELEGATED_SCOPES)) {
      for (const [scope, owner] of Object.entries(delegated)) {
        expect(scope.endsWith(':read'), scope).toBe(true);
        expect(RESOURCE_SERVERS[owner], `${deputy} ${scope}`).toContain(scope);
      }
    }
  });

  it('gives a delegated scope only to a client holding it on its owner audience', () => {
    const accountsOnly = entitled([ACCOUNTS], ['accounts:read', 'loans:read', 'cards:read']);
    expect(clientMayHold(ACCOUNTS, 'accounts:read', accountsOnly)).toBe(true);
    expect(clientMayHold(ACCOUNTS, 'loans:read', accountsOnly)).toBe(false);
    expect(clientMayHold(ACCOUNTS, 'cards:read', accountsOnly)).toBe(false);
    const withLoans = entitled([ACCOUNTS, 'urn:trustline:loans'], ['accounts:read', 'loans:read']);
    expect(clientMayHold(ACCOUNTS, 'loans:read', withLoans)).toBe(true);
    expect(clientMayHold(ACCOUNTS, 'cards:read', withLoans)).toBe(false);
    // The owner audience without the scope is not enough either.
    expect(clientMayHold(ACCOUNTS, 'cards:read', entitled([ACCOUNTS, 'urn:trustline:cards'], ['accounts:read']))).toBe(false);
  });

  it('never lets a scope cross to an audience that does not accept it', () => {
    const everything = entitled(Object.keys(RESOURCE_SERVERS), Object.values(RESOURCE_SERVERS).flat());
    expect(clientMayHold('urn:trustline:loans', 'cards:read', everything)).toBe(false);
    expect(clientMayHold('urn:trustline:loans', 'accounts:read', everything)).toBe(false);
    expect(clientMayHold(ACCOUNTS, 'loans:write', everything)).toBe(false);
    expect(clientMayHold('urn:trustline:nowhere', 'loans:read', everything)).toBe(false);
  });
});
