// The gateway's proxy path, as a library so that the gateway and the benchmark's unverified baseline run
// the same code. It verifies nothing: the gateway's security guard runs before it.
export { UpstreamRelay, type RelayTarget } from './upstream-relay';
export { registerRelay } from './register-relay';
export { relayPathUnder } from './prefix-path';
export { upstreamFailure } from './upstream-failure';
export { nextTraceparent } from './trace-context';
