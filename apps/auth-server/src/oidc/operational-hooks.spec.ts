import { describe, expect, it } from 'vitest';
import { parse } from 'node:querystring';
import { claimedClientId } from './operational-hooks';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const jwt = (payload: object) => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('claimedClientId', () => {
  it('finds the client a token request claims to be, whatever the authentication method', () => {
    expect(claimedClientId(basic('loans-service', 'x'), undefined)).toBe('loans-service');
    expect(claimedClientId(basic('a b+c', 'x'), undefined)).toBe('a b+c');
    expect(claimedClientId('', parse('client_id=loans-service&client_secret=x'))).toBe('loans-service');
    expect(claimedClientId('', parse(`client_assertion=${jwt({ sub: 'loans-service', iss: 'loans-service' })}`))).toBe('loans-service');
  });

  it('finds none in a malformed request', () => {
    expect(claimedClientId('Bearer x', undefined)).toBeUndefined();
    expect(claimedClientId('', parse('client_assertion=not.a-jwt'))).toBeUndefined();
    expect(claimedClientId('', parse('client_id=a&client_id=b'))).toBeUndefined();
    expect(claimedClientId('', undefined)).toBeUndefined();
  });
});
