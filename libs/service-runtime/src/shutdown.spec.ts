import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The handler is process-wide state: each test loads a fresh copy of the module.
async function load() {
  vi.resetModules();
  return import('./shutdown');
}

describe('exitCleanlyOnSignal', () => {
  let exit: ReturnType<typeof vi.spyOn>;
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };

  beforeEach(() => {
    exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  });

  afterEach(() => {
    exit.mockRestore();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.removeAllListeners(signal);
      for (const listener of listeners[signal]) process.on(signal, listener);
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('closes every registered app on %s, once, then exits 0', async (signal) => {
    const { exitCleanlyOnSignal } = await load();
    const closed: string[] = [];
    let finish!: () => void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    exitCleanlyOnSignal({ close: async () => void closed.push('a') });
    exitCleanlyOnSignal({ close: () => slow.then(() => void closed.push('b')) });
    process.emit(signal, signal);
    process.emit('SIGTERM', 'SIGTERM'); // the launcher's forwarded signal while closing changes nothing
    await new Promise((resolve) => setImmediate(resolve));
    expect(exit).not.toHaveBeenCalled(); // not before every app has closed
    finish();
    await vi.waitFor(() => expect(exit).toHaveBeenCalledTimes(1));
    expect(exit).toHaveBeenCalledWith(0);
    expect(closed).toEqual(['a', 'b']);
  });

  it('exits 1 when a close fails', async () => {
    const { exitCleanlyOnSignal } = await load();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    exitCleanlyOnSignal({ close: () => Promise.reject(new Error('database gone')) });
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(stderr).toHaveBeenCalledWith('shutdown after SIGTERM failed: database gone\n');
    stderr.mockRestore();
  });

  it('exits 1 when closing hangs past the bound', async () => {
    const { exitCleanlyOnSignal } = await load();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    exitCleanlyOnSignal({ close: () => new Promise(() => undefined) }, 50);
    process.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(stderr).toHaveBeenCalledWith('shutdown after SIGINT did not finish within 50 ms\n');
    stderr.mockRestore();
  });
});
