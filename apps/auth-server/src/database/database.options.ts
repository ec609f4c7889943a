import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AuthServerConfig } from '../config/auth-server.config';
import { AUTH_SERVER_ENTITIES } from './entities';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { SessionsAndAudit1764400000000 } from './migrations/1764400000000-sessions-and-audit';
import { TokenLifetimes1764600000000 } from './migrations/1764600000000-token-lifetimes';

export const AUTH_SERVER_MIGRATIONS = [InitialSchema1764000000000, SessionsAndAudit1764400000000, TokenLifetimes1764600000000];

/** One function decides the database for the app, the CLI and the tests: SQLite file or PostgreSQL URL. */
export function dataSourceOptions(database: AuthServerConfig['database']): DataSourceOptions {
  const common = {
    entities: AUTH_SERVER_ENTITIES,
    migrations: AUTH_SERVER_MIGRATIONS,
    migrationsRun: true,
    // Schema changes only ever come from migrations.
    synchronize: false,
    logging: false,
  } as const;
  if (database.type === 'postgres') {
    return { ...common, type: 'postgres', url: database.url, extra: { max: 10 } };
  }
  mkdirSync(dirname(database.file), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.file,
    // WAL lets readers go on while the single writer commits; busy_timeout rides out checkpoints.
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
  };
}
