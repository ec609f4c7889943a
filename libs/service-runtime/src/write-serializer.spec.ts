import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { WriteSerializer } from './write-serializer';

const dataSource = (type: string) => ({ options: { type } }) as unknown as DataSource;
const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('WriteSerializer', () => {
  it('runs SQLite writes one at a time', async () => {
    const serializer = new WriteSerializer(dataSource('better-sqlite3'));
    const order: string[] = [];
    const slow = serializer.write(async () => {
      order.push('a:start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('a:end');
    });
    const fast = serializer.write(async () => void order.push('b'));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a:start', 'a:end', 'b']);
  });

  it('runs a write again when another process held the SQLite lock, and gives up on anything else', async () => {
    const serializer = new WriteSerializer(dataSource('better-sqlite3'));
    let calls = 0;
    await expect(serializer.write(async () => (++calls < 3 ? Promise.reject(busy()) : 'written'))).resolves.toBe('written');
    expect(calls).toBe(3);
    let failures = 0;
    await expect(serializer.write(async () => (failures++, Promise.reject(new Error('constraint failed'))))).rejects.toThrow('constraint failed');
    expect(failures).toBe(1);
  });

  it('leaves PostgreSQL alone (no queue, no retry: the server has real locking)', async () => {
    const serializer = new WriteSerializer(dataSource('postgres'));
    let calls = 0;
    await expect(serializer.write(async () => (calls++, Promise.reject(busy())))).rejects.toThrow('locked');
    expect(calls).toBe(1);
  });
});
