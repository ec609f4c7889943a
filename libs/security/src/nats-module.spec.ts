import { describe, expect, it } from 'vitest';
import { natsConnectionOptions, redactedNatsUrl } from './nats-module';

describe('natsConnectionOptions', () => {
  it('takes the credentials out of the URL into user and pass (the NATS client ignores them in a URL)', () => {
    expect(natsConnectionOptions('nats://cards:s%40cret%2Fx@nats:4222')).toEqual({ servers: ['nats://nats:4222'], user: 'cards', pass: 's@cret/x' });
  });

  it('leaves a URL without credentials as it is', () => {
    expect(natsConnectionOptions('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
  });

  it('never keeps the password in the URL it hands on or logs', () => {
    expect(redactedNatsUrl('nats://accounts:demo-password@nats:4222')).toBe('nats://nats:4222');
    expect(JSON.stringify(natsConnectionOptions('nats://accounts:demo-password@nats:4222').servers)).not.toContain('demo-password');
  });
});
