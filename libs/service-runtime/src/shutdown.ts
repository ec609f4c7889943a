/** What a shutdown signal closes: a Nest application (or anything with the same `close`). */
export interface Closeable {
  close(): Promise<unknown>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const open = new Set<Closeable>();
let installed = false;
let closing = false;

/**
 * Graceful stop on SIGINT (Ctrl-C) and SIGTERM (`docker stop`, Kubernetes, launchers): every registered
 * application is closed (Nest's shutdown hooks run, the server stops listening, connections and the
 * database are released), then the process exits 0, so a clean stop is told apart from a crash (Nest's
 * own `enableShutdownHooks` re-raises the signal, and the process then looks killed). A close that fails
 * or hangs past `timeoutMs` exits 1; signals that arrive while closing (Ctrl-C reaches a whole process
 * group, and its launcher forwards one too) do not cut the close short.
 */
export function exitCleanlyOnSignal(app: Closeable, timeoutMs = 10_000): void {
  open.add(app);
  if (installed) return;
  installed = true;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      process.stderr.write(`shutdown after ${signal} did not finish within ${timeoutMs} ms\n`);
      process.exit(1);
    }, timeoutMs).unref();
    Promise.all([...open].map((each) => each.close())).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown after ${signal} failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, stop);
}
