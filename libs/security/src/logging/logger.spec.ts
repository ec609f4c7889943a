import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggableUrl, PinoNestLogger } from './logger';

function captureLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('info', 'test', sink), output: () => lines.join('') };
}

describe('loggableUrl', () => {
  it('redacts tokens and codes in query strings, keeps the rest', () => {
    expect(loggableUrl('/session/end?id_token_hint=eyJhbGciOi.x.y&state=abc')).toBe('/session/end?id_token_hint=[redacted]&state=abc');
    expect(loggableUrl('/callback?code=secret-code')).toBe('/callback?code=[redacted]');
    expect(loggableUrl('/jwks')).toBe('/jwks');
  });
});

describe('createLogger', () => {
  it('logs requests without headers and with secret query values redacted', () => {
    const { logger, output } = captureLogger();
    logger.info({ req: { id: 'r1', method: 'GET', url: '/me?access_token=leaked-token', headers: { authorization: 'Bearer secret-token', cookie: 'sid=1' } } }, 'request');
    expect(output()).toContain('"url":"/me?access_token=[redacted]"');
    expect(output()).not.toContain('secret-token');
    expect(output()).not.toContain('leaked-token');
    expect(output()).not.toContain('sid=1');
  });

  it('redacts passwords, secrets and tokens in logged objects', () => {
    const { logger, output } = captureLogger();
    logger.info({ body: { password: 'hunter2', client_secret: 'cs', refresh_token: 'rt-value', username: 'alice' } }, 'login');
    expect(output()).not.toContain('hunter2');
    expect(output()).not.toContain('rt-value');
    expect(output()).not.toMatch(/"client_secret":"cs"/);
    expect(output()).toContain('alice');
  });
});

describe('PinoNestLogger', () => {
  it('turns a structured message into fields of the line, still redacted', () => {
    const { logger, output } = captureLogger();
    new PinoNestLogger(logger).warn({ event: 'authorization.denied', reason: 'TOKEN_EXPIRED', client_id: 'c1', authorization: 'Bearer secret-token' }, 'Authorization');
    const line = JSON.parse(output().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'authorization.denied', reason: 'TOKEN_EXPIRED', client_id: 'c1', context: 'Authorization', level: 40 });
    expect(output()).not.toContain('secret-token');
  });
});
