import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs multi-row writes in a transaction. TypeORM's SQLite drivers share one connection, so two
 * transactions at once fail ("cannot start a transaction within a transaction"): on SQLite they queue
 * behind one mutex; PostgreSQL gives each its own pooled connection.
 */
export class WriteSerializer {
  private readonly mutex: Mutex | undefined;

  constructor(private readonly dataSource: DataSource) {
    this.mutex = dataSource.options.type === 'better-sqlite3' ? new Mutex() : undefined;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.write(() => this.dataSource.transaction(work));
  }

  /**
   * A single-statement write. On SQLite it still queues: a statement sent while another caller's
   * transaction is open would join that transaction and vanish with its rollback.
   */
  write<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex ? this.mutex.runExclusive(work) : work();
  }
}
