import { Controller, Get, Module, Post, Query } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from './bootstrap';
import { originForm, strictQueryString } from './request-checks';

describe('strictQueryString', () => {
  it('parses a well-formed query like the default parser (repeated names, +, encoded reserved characters)', () => {
    expect(strictQueryString('')).toEqual({});
    expect({ ...strictQueryString('a=1&b=x+y&a=2&c=%2F..%2F&d=%25zz&e=%e2%82%ac&f') }).toEqual({ a: ['1', '2'], b: 'x y', c: '/../', d: '%zz', e: '€', f: '' });
  });

  it('marks a malformed percent-encoding instead of throwing (it runs inside the router)', () => {
    for (const query of ['%ff=%fe', 'x=%zz', 'x=%', 'x=%e2%82', 'a=1&b=%g0', '#%zz']) {
      const parsed = strictQueryString(query);
      expect(Object.isFrozen(parsed), query).toBe(true);
      expect(Object.keys(parsed), query).toEqual([]);
    }
  });
});

describe('originForm', () => {
  it('turns an absolute-form target into origin-form (RFC 9112 §3.2.2) and keeps every other target as it is', () => {
    expect(originForm({ url: '/api/x?a=1' })).toBe('/api/x?a=1');
    expect(originForm({ url: 'http://evil.example/api/x/../y?a=1' })).toBe('/api/x/../y?a=1');
    expect(originForm({ url: 'https://user@h:8443?a=1' })).toBe('/?a=1');
    expect(originForm({ url: 'http://h#f' })).toBe('/#f');
    expect(originForm({ url: 'http://h' })).toBe('/');
    expect(originForm({ url: '*' })).toBe('*');
  });
});

@Controller()
class EchoController {
  @Get('echo')
  echo(@Query() query: Record<string, unknown>) {
    return { query: { ...query } };
  }

  @Post('echo')
  posted() {
    return { posted: true };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

let app: NestFastifyApplication;
let port: number;

beforeAll(async () => {
  app = await createService({ name: 'checks', module: EchoModule, logLevel: 'silent' });
  await app.listen(0, '127.0.0.1');
  port = (app.getHttpServer().address() as AddressInfo).port;
});

afterAll(async () => app?.close());

/** One request on its own connection, with the interim responses it got (100 Continue). */
function send(path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: unknown; informational: number[] }> {
  return new Promise((resolve, reject) => {
    const informational: number[] = [];
    const request = httpRequest({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, informational }));
    });
    request.on('information', (info) => informational.push(info.statusCode));
    request.on('error', reject);
    request.end(body);
  });
}

describe('the checks every app makes before any route', () => {
  it('refuses a malformed percent-encoding in the query with 400 in Nest’s error shape', async () => {
    for (const path of ['/echo?%ff=%fe', '/echo?x=%zz', '/echo?x=%', '/echo?x=%e2%82', '/echo#%zz']) {
      expect(await send(path), path).toEqual({
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: 'malformed percent-encoding in the query string' },
        informational: [],
      });
    }
    expect(await send('/echo?x=%25zz&y=%e2%82%ac')).toMatchObject({ status: 200, body: { query: { x: '%zz', y: '€' } } });
  });

  it('refuses any expectation but 100-continue with 417 (RFC 9110 §10.1.1), and never says 100 Continue to it', async () => {
    const failed = { status: 417, body: { statusCode: 417, error: 'Expectation Failed', message: 'the only expectation supported is 100-continue' }, informational: [] };
    for (const expectation of ['100-continue-nope', 'foo', '100-continue, foo', 'x-100-continue']) {
      expect(await send('/echo', { expect: expectation }), expectation).toEqual(failed);
      expect(await send('/echo', { expect: expectation, 'content-type': 'application/json' }, '{}'), expectation).toEqual(failed);
    }
  });

  it('routes an absolute-form target like its origin-form', async () => {
    expect(await send('http://elsewhere.example/echo?x=1')).toMatchObject({ status: 200, body: { query: { x: '1' } } });
  });

  it('answers 100-continue with 100 Continue, then the route', async () => {
    expect(await send('/echo', { expect: '100-Continue', 'content-type': 'application/json' }, '{}')).toEqual({ status: 201, body: { posted: true }, informational: [100] });
  });
});
