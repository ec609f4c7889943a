/** An RPC message over a transport without headers (Nest's TCP): CONVENTIONS.md's envelope. */
export interface RpcEnvelope<T> {
  meta: { authorization: string };
  data: T;
}

export function rpcEnvelope<T>(authorization: string, data: T): RpcEnvelope<T> {
  return { meta: { authorization }, data };
}

/** The payload of a message that may or may not be enveloped. */
export function rpcData<T>(message: unknown): T {
  return (message && typeof message === 'object' && 'meta' in message && 'data' in message ? (message as RpcEnvelope<T>).data : message) as T;
}
