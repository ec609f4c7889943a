import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { WriteSerializer } from '@trustline/service-runtime';
import { DataSource, type Logger as TypeOrmLogger, type Repository } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dataSourceOptions } from '../database/database.options';
import { AuditEventEntity } from '../database/entities';
import { type AuditEvent, AuditService } from './audit.service';

const event = (subject: string): AuditEvent => ({ type: 'token.issued', outcome: 'success', clientId: 'demo-cli', subject, details: { grant_type: 'client_credentials' } });

/** A promise and its resolver, to hold an INSERT until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Lets pending callbacks, I/O and immediates run. */
const settle = async () => {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** Holds each write until the test opens its gate (none held unless asked). */
class GatedWrites extends WriteSerializer {
  readonly gates: ReturnType<typeof gate>[] = [];
  started = 0;

  override async write<T>(work: () => Promise<T>): Promise<T> {
    const held = this.gates[this.started++];
    if (held) await held.opened;
    return super.write(work);
  }
}

describe('AuditService group commit', () => {
  let directory: string;
  let dataSource: DataSource;
  let events: Repository<AuditEventEntity>;
  let writes: GatedWrites;
  let audit: AuditService;
  let errors: ReturnType<typeof vi.spyOn>;
  /** Every INSERT into audit_events the database was sent, with its parameters. */
  let inserts: { sql: string; parameters: unknown[] }[];

  const stored = async () => (await events.find({ order: { id: 'ASC' } })).map((row) => row.subject);
  /** Tracks whether a promise has settled yet. */
  const watch = (promise: Promise<void>) => {
    const state = { done: false, promise: promise.then(() => void (state.done = true)) };
    return state;
  };

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'trustline-audit-'));
    inserts = [];
    const logger: TypeOrmLogger = {
      logQuery: (sql, parameters) => {
        if (/^INSERT INTO "audit_events"/.test(sql)) inserts.push({ sql, parameters: parameters ?? [] });
      },
      logQueryError: () => undefined,
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    dataSource = await new DataSource({ ...dataSourceOptions({ type: 'sqlite', file: join(directory, 'audit.sqlite') }), logging: true, logger }).initialize();
    events = dataSource.getRepository(AuditEventEntity);
    writes = new GatedWrites(dataSource);
    audit = new AuditService(events, writes);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await dataSource.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  it('stores the events recorded in the same tick with one INSERT', async () => {
    await Promise.all([audit.record(event('a')), audit.record(event('b')), audit.record(event('c'))]);
    expect(inserts).toHaveLength(1);
    expect(await stored()).toEqual(['a', 'b', 'c']);
    const [row] = await events.find({ where: { subject: 'a' } });
    expect(row).toMatchObject({
      type: 'token.issued',
      outcome: 'success',
      clientId: 'demo-cli',
      reason: null,
      requestId: null,
      details: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(Date.now() - row.at).toBeLessThan(10_000);

    // A batch of another size, then one of the same size again: each one INSERT, every value bound.
    await Promise.all([audit.record(event('d')), audit.record(event('e'))]);
    await Promise.all([audit.record(event('f')), audit.record(event('g')), audit.record(event('h'))]);
    expect(inserts).toHaveLength(3);
    expect(inserts[2].sql).toEqual(inserts[0].sql);
    expect(inserts[2].sql).not.toMatch(/\d{10}/);
    expect(await stored()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('resolves each record() only once its own row is stored', async () => {
    writes.gates.push(gate(), gate());
    const first = watch(audit.record(event('first')));
    await vi.waitFor(() => expect(writes.started).toBe(1));
    // Recorded while the first INSERT is under way: it waits for the next batch.
    const second = watch(audit.record(event('second')));
    await settle();
    expect(first.done).toBe(false);
    expect(second.done).toBe(false);
    expect(await stored()).toEqual([]);

    writes.gates[0].open();
    await first.promise;
    expect(await stored()).toEqual(['first']);
    await settle();
    expect(second.done).toBe(false);

    writes.gates[1].open();
    await second.promise;
    expect(await stored()).toEqual(['first', 'second']);
    expect(inserts).toHaveLength(2);
  });

  it('does not reject record() when the INSERT fails: the log line stays, the next batch is stored', async () => {
    await dataSource.query('ALTER TABLE "audit_events" RENAME TO "audit_events_away"');
    await expect(Promise.all([audit.record(event('lost-1')), audit.record(event('lost-2'))])).resolves.toBeDefined();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toMatch(/^2 audit event\(s\) not stored \(token\.issued\): .*audit_events/);
    expect(Logger.prototype.log).toHaveBeenCalledWith(expect.objectContaining({ event: 'token.issued', sub: 'lost-1' }));

    await dataSource.query('ALTER TABLE "audit_events_away" RENAME TO "audit_events"');
    await audit.record(event('kept'));
    expect(await stored()).toEqual(['kept']);
  });

  it('stores the rows still queued before the application shuts down', async () => {
    writes.gates.push(gate());
    // Not awaited: the requests that recorded them are gone, the rows are only in the queue.
    void audit.record(event('one'));
    void audit.record(event('two'));
    await vi.waitFor(() => expect(writes.started).toBe(1));
    void audit.record(event('three'));

    const shutdown = watch(audit.beforeApplicationShutdown());
    await settle();
    expect(shutdown.done).toBe(false);
    writes.gates[0].open();
    await shutdown.promise;
    expect(await stored()).toEqual(['one', 'two', 'three']);
  });

  it('shuts down at once when nothing is queued', async () => {
    await audit.record(event('only'));
    await expect(audit.beforeApplicationShutdown()).resolves.toBeUndefined();
    expect(await stored()).toEqual(['only']);
  });
});
