import type { Socket } from 'node:net';
import { Logger, type Type } from '@nestjs/common';
import { JsonSocket, type MicroserviceOptions, type TcpOptions, type TcpSocket, Transport } from '@nestjs/microservices';
import { Counter } from 'prom-client';
import { metricsRegistry } from './metrics';

/**
 * The largest frame (in characters, as Nest counts) a TCP transport buffers from one peer. Nest's default
 * is 128 M characters (~512 MB), all held before the guard sees a token; a request here is an envelope
 * with one token and a few fields (a few KiB).
 */
export const DEFAULT_RPC_MAX_FRAME_CHARS = 64 * 1024;
/** A peer that stops sending in the middle of a frame is dropped after this long (Nest's default: 30 s). */
export const DEFAULT_RPC_INCOMPLETE_FRAME_MS = 5_000;
/** Replies queued for a peer that does not read them, in bytes, before it is dropped (Nest's default: 128 MB). */
export const DEFAULT_RPC_MAX_SEND_BUFFER_BYTES = 4 * 1024 * 1024;

const refusedFrames = new Counter({
  name: 'trustline_rpc_frames_refused_total',
  help: 'TCP RPC connections closed for a bad frame, before any token check (frame_too_large, malformed_frame, incomplete_frame, peer_not_reading)',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

/** Nest's framing errors by class name (the message may quote the frame: it is never logged). */
const REASONS: Record<string, string> = {
  MaxPacketLengthExceededException: 'frame_too_large',
  CorruptedPacketLengthException: 'malformed_frame',
  InvalidJSONFormatException: 'malformed_frame',
  IncompleteMessageTimeoutException: 'incomplete_frame',
  MaxSendBufferSizeExceededException: 'peer_not_reading',
};

type Framing = { maxBufferSize: number; incompleteMessageTimeout: number; maxSendBufferSize: number };

function boundedJsonSocket(framing: Framing): Type<TcpSocket> {
  const logger = new Logger('RpcFraming');
  return class BoundedJsonSocket extends JsonSocket {
    constructor(socket: Socket) {
      super(socket, framing);
    }

    /**
     * A peer that broke the framing is cut off at once (destroyed, not a FIN it may ignore), counted,
     * and logged by reason only: Nest's own messages quote the frame, which may hold a token.
     */
    protected override handleDataError(error: unknown): void {
      const reason = REASONS[(error as Error)?.constructor?.name] ?? 'malformed_frame';
      refusedFrames.inc({ reason });
      logger.warn(`rpc connection closed before any token check: ${reason}`);
      super.handleDataError(new Error(`rpc frame refused: ${reason}`), { destroy: true });
    }
  };
}

/**
 * Every TCP microservice transport gets small framing limits and a socket that closes on a bad frame
 * (explicit options of the caller win). Other transports pass unchanged: NATS bounds a message by the
 * server's `max_payload` (1 MB by default, set in the nats-server config), before it reaches a service.
 */
export function boundedRpcTransport(transport: MicroserviceOptions): MicroserviceOptions {
  const tcp = transport as TcpOptions;
  if ('strategy' in transport || (tcp.transport !== undefined && tcp.transport !== Transport.TCP)) return transport;
  const options = tcp.options ?? {};
  const framing: Framing = {
    maxBufferSize: options.maxBufferSize ?? DEFAULT_RPC_MAX_FRAME_CHARS,
    incompleteMessageTimeout: options.incompleteMessageTimeout ?? DEFAULT_RPC_INCOMPLETE_FRAME_MS,
    maxSendBufferSize: options.maxSendBufferSize ?? DEFAULT_RPC_MAX_SEND_BUFFER_BYTES,
  };
  return { ...tcp, transport: Transport.TCP, options: { ...options, ...framing, socketClass: options.socketClass ?? boundedJsonSocket(framing) } };
}
