import { describe, expect, it } from 'vitest';
import { FixedWindowMemoryStorage } from './rate-limits';

describe('FixedWindowMemoryStorage (per-caller counters in one process)', () => {
  it('counts hits per key up to the limit, then blocks until the window ends', async () => {
    const storage = new FixedWindowMemoryStorage();
    const hit = () => storage.increment('user:alice', 60_000, 3, 60_000, 'caller');
    const records = [await hit(), await hit(), await hit(), await hit()];
    expect(records.map((record) => record.totalHits)).toEqual([1, 2, 3, 4]);
    expect(records.map((record) => record.isBlocked)).toEqual([false, false, false, true]);
    expect(records[3].timeToBlockExpire).toBeGreaterThan(0);
    expect(records[3].timeToBlockExpire).toBeLessThanOrEqual(60);
    expect(records[0].timeToBlockExpire).toBe(0);
  });

  it('keeps callers and throttlers apart', async () => {
    const storage = new FixedWindowMemoryStorage();
    for (let i = 0; i < 3; i += 1) await storage.increment('user:alice', 60_000, 3, 60_000, 'caller');
    expect((await storage.increment('user:bob', 60_000, 3, 60_000, 'caller')).isBlocked).toBe(false);
    expect((await storage.increment('user:alice', 60_000, 3, 60_000, 'other')).isBlocked).toBe(false);
    expect((await storage.increment('user:alice', 60_000, 3, 60_000, 'caller')).isBlocked).toBe(true);
  });

  it('starts a new window once the old one has passed', async () => {
    const storage = new FixedWindowMemoryStorage();
    for (let i = 0; i < 2; i += 1) await storage.increment('client:x', 1_000, 1, 1_000, 'caller');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await storage.increment('client:x', 1_000, 1, 1_000, 'caller')).isBlocked).toBe(false);
  });
});
