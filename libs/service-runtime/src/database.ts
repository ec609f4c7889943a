import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';

export interface ServiceDatabaseOptions {
  /** Service name: the SQLite file name. */
  name: string;
  databaseUrl?: string;
  dataDir: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * One database per service: embedded SQLite at `${DATA_DIR}/<name>.sqlite` by default, PostgreSQL when
 * DATABASE_URL is set. Migrations always, never `synchronize`.
 */
export function serviceDataSourceOptions(options: ServiceDatabaseOptions): DataSourceOptions {
  const common = { entities: options.entities, migrations: options.migrations, migrationsRun: true, synchronize: false, logging: false } as const;
  if (options.databaseUrl) return { ...common, type: 'postgres', url: options.databaseUrl, extra: { max: 10 } };
  mkdirSync(options.dataDir, { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: join(options.dataDir, `${options.name}.sqlite`),
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
    },
  };
}
