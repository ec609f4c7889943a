import { type NatsOptions, type TcpOptions, Transport } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { boundedRpcTransport, DEFAULT_RPC_INCOMPLETE_FRAME_MS, DEFAULT_RPC_MAX_FRAME_CHARS } from './rpc-framing';

describe('boundedRpcTransport', () => {
  it("gives a TCP transport a frame limit of tens of KiB (not Nest 11.2's 128 M characters) and a socket that closes on a bad frame", () => {
    const bounded = boundedRpcTransport({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 4000 } }) as TcpOptions;
    expect(bounded.options).toMatchObject({ host: '127.0.0.1', port: 4000, maxBufferSize: 64 * 1024, incompleteMessageTimeout: DEFAULT_RPC_INCOMPLETE_FRAME_MS });
    expect(DEFAULT_RPC_MAX_FRAME_CHARS).toBeLessThan(128 * 1024);
    expect(bounded.options?.socketClass?.name).toBe('BoundedJsonSocket');
  });

  it("treats a transport without a name as TCP (Nest's default) and keeps what the caller set", () => {
    const bounded = boundedRpcTransport({ options: { port: 4000, maxBufferSize: 1_024 } } as TcpOptions) as TcpOptions;
    expect(bounded.transport).toBe(Transport.TCP);
    expect(bounded.options?.maxBufferSize).toBe(1_024);
  });

  it('leaves NATS alone (the server bounds a message by max_payload)', () => {
    const nats: NatsOptions = { transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'] } };
    expect(boundedRpcTransport(nats)).toBe(nats);
  });
});
