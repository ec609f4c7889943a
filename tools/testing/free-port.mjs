// Ports for processes under test (the e2e harness and the bench both use this). They are picked at
// random below the kernel's ephemeral range, where outgoing connections take their local ports: a port
// found free there cannot be taken by one of the suite's own outgoing connections before the app binds
// it (with `listen(0)` it could, and did: a gateway lost its port that way in CI).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const handedOut = new Set();

const bindable = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free TCP port on 127.0.0.1, at random below the ephemeral range, never the same twice in a process. */
export async function freePort() {
  const low = 10_000;
  const high = Math.max(low + 1_000, EPHEMERAL_LOW) - 1;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found below the ephemeral range');
}
