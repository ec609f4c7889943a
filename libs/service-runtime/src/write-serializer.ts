import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs writes that span rows in one transaction. TypeORM's SQLite driver shares one connection, so two
 * transactions at once fail and a lone statement sent meanwhile would join (and vanish with) another
 * caller's transaction: on SQLite every write queues behind one mutex; PostgreSQL needs none.
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
    return this.mutex ? this.mutex.runExclusive(work) : work();
  }
}
