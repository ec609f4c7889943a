import { createHash } from 'node:crypto';
import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { WriteSerializer } from './write-serializer';

/**
 * The demo users' subject ids (`sub`, the customer id in every bank service). The auth server's demo
 * seed creates alice and bob with exactly these, so the rows each service seeds are theirs.
 */
export const DEMO_CUSTOMERS = {
  alice: 'a11ce5ed-0000-4000-8000-00000000a11c',
  bob: 'b0b5eed0-0000-4000-8000-000000000b0b',
} as const;

/** Demo rows exist on every start outside production, and never with NODE_ENV=production. */
export function demoSeedEnabled(env: { NODE_ENV?: string }): boolean {
  return env.NODE_ENV !== 'production';
}

/** A stable UUID-shaped id for one demo row (the same on every start and every replica). */
export function demoRowId(service: string, key: string): string {
  const hex = createHash('sha256').update(`trustline demo seed\0${service}\0${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * What every demo row shares: a stable id, its owner, a fixed idempotency key (unique per customer, so
 * the database refuses a second copy) and creation times in the past, so the rows list first and
 * whatever the user creates follows them.
 */
export function demoRowBase(service: string, customer: keyof typeof DEMO_CUSTOMERS, index: number) {
  const created = new Date(Date.UTC(2026, 0, 1) + index * 60_000);
  return {
    id: demoRowId(service, `${customer}-${index}`),
    customerId: DEMO_CUSTOMERS[customer],
    idempotencyKey: `demo-seed:${index}`,
    version: 1,
    createdAt: created,
    updatedAt: created,
  };
}

export interface DemoSeedOptions<T extends ObjectLiteral> {
  /** The entity the rows belong to (the service's own table, through its own TypeORM data source). */
  entity: EntityTarget<T>;
  /** The rows. Each must carry a fixed primary key and a fixed unique key (e.g. its idempotency key). */
  rows: () => T[];
  nodeEnv: string | undefined;
}

/**
 * Inserts the demo rows that are not there yet, in one statement that skips rows whose keys exist
 * (`ON CONFLICT DO NOTHING` on PostgreSQL, `INSERT OR IGNORE` on SQLite): a restart adds nothing, and
 * replicas starting at once cannot double-seed because the database's unique keys decide, not a
 * check-then-insert. A row a user changed stays as changed; one a user deleted comes back on the next
 * start (it is demo data). Returns how many rows the table gained (for the log).
 */
export async function seedDemoRows<T extends ObjectLiteral>(dataSource: DataSource, options: DemoSeedOptions<T>): Promise<number> {
  if (!demoSeedEnabled({ NODE_ENV: options.nodeEnv })) return 0;
  const rows = options.rows();
  if (rows.length === 0) return 0;
  const repository = dataSource.getRepository(options.entity);
  const before = await repository.count();
  await new WriteSerializer(dataSource).write(() => repository.createQueryBuilder().insert().into(options.entity).values(rows).orIgnore().execute());
  return (await repository.count()) - before;
}

const DEMO_SEED_OPTIONS = Symbol('DEMO_SEED_OPTIONS');

@Injectable()
class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoSeed');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DEMO_SEED_OPTIONS) private readonly options: DemoSeedOptions<ObjectLiteral>,
  ) {}

  /** Before the app listens (and prints its ready line): the first request already sees the rows. */
  async onApplicationBootstrap(): Promise<void> {
    const inserted = await seedDemoRows(this.dataSource, this.options);
    if (inserted) this.logger.warn(`demo data created for alice and bob (${inserted} rows; never in production)`);
  }
}

/** A service's demo rows for alice and bob, seeded at start outside production (see seedDemoRows). */
@Module({})
export class DemoSeedModule {
  static forRoot<T extends ObjectLiteral>(options: DemoSeedOptions<T>): DynamicModule {
    return { module: DemoSeedModule, providers: [{ provide: DEMO_SEED_OPTIONS, useValue: options }, DemoSeeder] };
  }
}
