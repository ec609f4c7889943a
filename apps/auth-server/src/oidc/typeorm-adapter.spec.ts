import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteSerializer } from '@trustline/service-runtime';
import { ClientsService } from '../clients/clients.service';
import type { AuthServerConfig } from '../config/auth-server.config';
import { dataSourceOptions } from '../database/database.options';
import { ClientEntity, OidcPayloadEntity } from '../database/entities';
import { AlreadyConsumedError, TypeOrmOidcAdapter } from './typeorm-adapter';

async function admin(sql: string): Promise<void> {
  const connection = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await connection.connect();
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

/** SQLite always; PostgreSQL where the infra profile names a server (TEST_PG_ADMIN_URL). */
const drivers: { name: string; open(): Promise<{ database: AuthServerConfig['database']; drop(): Promise<void> }> }[] = [
  {
    name: 'SQLite',
    open: async () => {
      const directory = mkdtempSync(join(tmpdir(), 'trustline-adapter-'));
      return { database: { type: 'sqlite', file: join(directory, 'adapter.sqlite') }, drop: async () => rmSync(directory, { recursive: true, force: true }) };
    },
  },
  ...(process.env.TEST_PG_ADMIN_URL
    ? [
        {
          name: 'PostgreSQL',
          open: async () => {
            const name = `${process.env.TEST_DB_PREFIX ?? 'trustline_test'}_adapter_${randomBytes(4).toString('hex')}`;
            await admin(`CREATE DATABASE ${name}`);
            const url = new URL(process.env.TEST_PG_ADMIN_URL!);
            url.pathname = `/${name}`;
            return { database: { type: 'postgres' as const, url: url.toString() }, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
          },
        },
      ]
    : []),
];

describe.each(drivers)('TypeOrmOidcAdapter.consume ($name)', ({ open }) => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let adapter: TypeOrmOidcAdapter;

  beforeAll(async () => {
    const opened = await open();
    drop = opened.drop;
    dataSource = await new DataSource(dataSourceOptions(opened.database)).initialize();
    const writes = new WriteSerializer(dataSource);
    adapter = new TypeOrmOidcAdapter('RefreshToken', dataSource.getRepository(OidcPayloadEntity), writes, new ClientsService(dataSource.getRepository(ClientEntity), writes));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });

  it('lets exactly one of many concurrent consumers win; the others get reuse, naming the grant', async () => {
    await adapter.upsert('rt-1', { jti: 'rt-1', kind: 'RefreshToken', grantId: 'grant-1', accountId: 'user-1', clientId: 'portal' }, 3600);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => adapter.consume('rt-1')));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected').map((outcome) => outcome.reason as unknown);
    expect(refused).toHaveLength(9);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(AlreadyConsumedError);
      expect(reason).toMatchObject({ error: 'invalid_grant', error_detail: 'refresh token already used', statusCode: 400, grantId: 'grant-1', model: 'RefreshToken' });
    }
    expect(await adapter.find('rt-1')).toMatchObject({ jti: 'rt-1', consumed: expect.any(Number) });
  });

  it('refuses to consume a token consumed before, or one that is gone', async () => {
    await adapter.upsert('rt-2', { jti: 'rt-2', kind: 'RefreshToken', grantId: 'grant-2' }, 3600);
    await adapter.consume('rt-2');
    await expect(adapter.consume('rt-2')).rejects.toMatchObject({ grantId: 'grant-2' });
    await expect(adapter.consume('never-stored')).rejects.toBeInstanceOf(AlreadyConsumedError);
  });
});
