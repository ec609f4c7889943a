import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, Index, PrimaryColumn } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the test helper every e2e test uses (a fresh database in the infra profile)
import { freshPostgresDatabase } from '../../../tools/testing/processes';
import { DEMO_CUSTOMERS, demoRowId, demoSeedEnabled, seedDemoRows } from './demo-seed';

@Entity('things')
@Index('UQ_things_customer_key', ['customerId', 'idempotencyKey'], { unique: true })
class Thing {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 128, name: 'customer_id' }) customerId: string;
  @Column({ type: 'varchar', length: 128, name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column({ type: 'varchar', length: 64 }) label: string;
}

const rows = (): Thing[] => [
  { id: demoRowId('things', 'alice-1'), customerId: DEMO_CUSTOMERS.alice, idempotencyKey: 'demo-seed:1', label: 'first' },
  { id: demoRowId('things', 'alice-2'), customerId: DEMO_CUSTOMERS.alice, idempotencyKey: 'demo-seed:2', label: 'second' },
  { id: demoRowId('things', 'bob-1'), customerId: DEMO_CUSTOMERS.bob, idempotencyKey: 'demo-seed:1', label: 'bob' },
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two data sources on one database, as two replicas (or two processes on one SQLite file) have. */
async function database(kind: 'sqlite' | 'postgres'): Promise<() => Promise<DataSource>> {
  let options: ConstructorParameters<typeof DataSource>[0];
  if (kind === 'postgres') {
    const created = await freshPostgresDatabase();
    if (!created) throw new Error('no PostgreSQL');
    cleanups.push(created.drop);
    options = { type: 'postgres', url: created.url, entities: [Thing] };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'demo-seed-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    options = {
      type: 'better-sqlite3',
      database: join(dir, 'things.sqlite'),
      entities: [Thing],
      prepareDatabase: (db: { pragma(s: string): unknown }) => db.pragma('busy_timeout = 5000'),
    };
  }
  const schema = new DataSource({ ...options, synchronize: true } as never);
  await schema.initialize();
  await schema.destroy();
  return async () => {
    const source = new DataSource(options);
    await source.initialize();
    cleanups.push(() => source.destroy());
    return source;
  };
}

const profiles: ('sqlite' | 'postgres')[] = ['sqlite', ...(process.env.TEST_PG_ADMIN_URL ? (['postgres'] as const) : [])];

describe('demo seed', () => {
  it('is on outside production and never with NODE_ENV=production', () => {
    expect(demoSeedEnabled({ NODE_ENV: 'development' })).toBe(true);
    expect(demoSeedEnabled({ NODE_ENV: 'test' })).toBe(true);
    expect(demoSeedEnabled({})).toBe(true);
    expect(demoSeedEnabled({ NODE_ENV: 'production' })).toBe(false);
  });

  it('gives every row one stable UUID-shaped id', () => {
    expect(demoRowId('things', 'alice-1')).toBe(demoRowId('things', 'alice-1'));
    expect(demoRowId('things', 'alice-1')).not.toBe(demoRowId('things', 'alice-2'));
    expect(demoRowId('things', 'alice-1')).not.toBe(demoRowId('other', 'alice-1'));
    expect(demoRowId('things', 'alice-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  describe.each(profiles)('on %s', (kind) => {
    it('inserts the rows once: a restart adds nothing and keeps what a user changed', async () => {
      const open = await database(kind);
      const source = await open();
      expect(await seedDemoRows(source, { entity: Thing, rows, nodeEnv: 'development' })).toBe(3);
      await source.getRepository(Thing).update({ id: demoRowId('things', 'alice-1') }, { label: 'renamed by alice' });
      expect(await seedDemoRows(source, { entity: Thing, rows, nodeEnv: 'development' })).toBe(0);
      const stored = await source.getRepository(Thing).find({ order: { label: 'ASC' } });
      expect(stored.map((thing) => [thing.customerId, thing.idempotencyKey, thing.label])).toEqual([
        [DEMO_CUSTOMERS.bob, 'demo-seed:1', 'bob'],
        [DEMO_CUSTOMERS.alice, 'demo-seed:1', 'renamed by alice'],
        [DEMO_CUSTOMERS.alice, 'demo-seed:2', 'second'],
      ]);
    });

    it('does not double-seed when replicas start at once', async () => {
      const open = await database(kind);
      const replicas = await Promise.all(Array.from({ length: 4 }, () => open()));
      const inserted = await Promise.all(replicas.map((source) => seedDemoRows(source, { entity: Thing, rows, nodeEnv: 'development' })));
      expect(inserted.every((count) => count >= 0 && count <= 3)).toBe(true);
      expect(await replicas[0].getRepository(Thing).count()).toBe(3);
    });

    it('writes nothing with NODE_ENV=production', async () => {
      const open = await database(kind);
      const source = await open();
      expect(await seedDemoRows(source, { entity: Thing, rows, nodeEnv: 'production' })).toBe(0);
      expect(await source.getRepository(Thing).count()).toBe(0);
    });
  });
});
