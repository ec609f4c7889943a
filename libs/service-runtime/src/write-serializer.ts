import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQLite refused a write because another process holds the write lock (SQLITE_BUSY / _SNAPSHOT). */
function isBusy(error: unknown): boolean {
  const driver = (error as { driverError?: { code?: unknown } } | undefined)?.driverError;
  const code = String(driver?.code ?? (error as { code?: unknown } | undefined)?.code ?? '');
  return code.startsWith('SQLITE_BUSY') || /database is locked/.test(String((error as Error | undefined)?.message));
}

/**
 * Runs writes that span rows in one transaction. TypeORM's SQLite driver shares one connection, so two
 * transactions at once fail and a lone statement sent meanwhile would join (and vanish with) another
 * caller's transaction: on SQLite every write queues behind one mutex; PostgreSQL needs none.
 *
 * Another process may write the same SQLite file (an operator's CLI next to the server). busy_timeout
 * makes a statement wait for the lock, but a transaction that read first and then wants to write gets
 * SQLITE_BUSY at once when the other process committed meanwhile; the whole transaction (rolled back,
 * so nothing half-done) is then run again, a few times, with jittered backoff.
 */
export class WriteSerializer {
  private readonly mutex: Mutex | undefined;

  constructor(private readonly dataSource: DataSource) {
    this.mutex = dataSource.options.type === 'better-sqlite3' ? new Mutex() : undefined;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.write(() => this.dataSource.transaction(work));
  }

  write<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex ? this.mutex.runExclusive(() => this.retryWhileBusy(work)) : work();
  }

  private async retryWhileBusy<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= 8 || !isBusy(error)) throw error;
        await sleep(5 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }
}
