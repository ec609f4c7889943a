import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { And, type FindOptionsWhere, LessThan, MoreThanOrEqual, Repository } from 'typeorm';
import { AuditEventEntity, type AuditOutcome } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { PreparedWrite } from '../database/row-lookup';

/** What happened; the names are the `type` column and the log's `event` field. */
export type AuditEventType =
  | 'token.issued'
  | 'token.refreshed'
  | 'token.refused'
  | 'token.revoked'
  | 'login.success'
  | 'login.failure'
  | 'login.blocked'
  | 'client_auth.blocked'
  | 'authorization.denied'
  | 'logout'
  | 'user.sessions_ended'
  | 'client.tokens_revoked'
  | 'key.rotated'
  | 'key.revoked'
  | 'client.changed'
  | 'role.changed';

export interface AuditEvent {
  type: AuditEventType;
  outcome: AuditOutcome;
  reason?: string;
  clientId?: string;
  subject?: string;
  requestId?: string;
  ip?: string;
  /** Grant type, scope, resource and the like. Never a token, a secret or a password. */
  details?: Record<string, string | number | boolean | undefined>;
}

export interface AuditQuery {
  type?: string;
  subject?: string;
  clientId?: string;
  /** Epoch milliseconds. */
  since?: number;
  before?: number;
  limit?: number;
}

const clip = (value: string | undefined, length: number) => (value === undefined ? null : value.slice(0, length));

/** Rows per INSERT at most (9 bound values each, well under SQLite's and PostgreSQL's parameter limits). */
const MAX_BATCH = 500;

type PendingRow = { row: Omit<AuditEventEntity, 'id'>; stored: () => void };

/**
 * The audit log: every event goes to the structured log at once and to the database, where
 * administrators query it (GET /admin/audit). Writes never fail the request they describe: a
 * database hiccup loses the row, not the log line and not the login.
 *
 * Rows are group-committed: events recorded while a write is under way are stored together by the
 * next one, in one multi-row INSERT (one statement, one commit), and each `record()` resolves only once
 * its own row is stored. Under load this turns one INSERT (and, on SQLite, one commit behind the write
 * lock) per token grant into one per batch: the token endpoint measured 3× slower than the bare engine
 * with a row per grant (docs/benchmarks.md, section 1). Alone, an event is written at once, as before.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private queue: PendingRow[] = [];
  private flushing: Promise<void> | undefined;
  /** One INSERT statement per batch size met so far (SQL built once; at most MAX_BATCH of them). */
  private readonly inserts = new Map<number, ReturnType<typeof PreparedWrite.insert<AuditEventEntity>>>();

  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly writes: WriteSerializer,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    const at = Date.now();
    const line = {
      event: event.type,
      outcome: event.outcome,
      reason: event.reason,
      client_id: event.clientId,
      sub: event.subject,
      request_id: event.requestId,
      ip: event.ip,
      ...event.details,
    };
    if (event.outcome === 'failure') this.logger.warn(line);
    else this.logger.log(line);
    const row = {
      at,
      type: event.type,
      outcome: event.outcome,
      reason: clip(event.reason, 128),
      clientId: clip(event.clientId, 128),
      subject: clip(event.subject, 256),
      requestId: clip(event.requestId, 128),
      ip: clip(event.ip, 64),
      details: event.details ? JSON.stringify(event.details) : null,
    };
    await new Promise<void>((stored) => {
      this.queue.push({ row, stored });
      this.flushing ??= this.flush();
    });
  }

  /** Writes the queued rows, batch after batch, until none is left (one flush at a time). */
  private async flush(): Promise<void> {
    // Let the events of this turn of the event loop (every grant finished by the I/O just polled) join
    // the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.writes.write(() => this.insert(batch.map((pending) => pending.row)));
      } catch (error) {
        this.logger.error(`${batch.length} audit event(s) not stored (${[...new Set(batch.map((pending) => pending.row.type))].join(', ')}): ${(error as Error).message}`);
      }
      for (const pending of batch) pending.stored();
    }
    this.flushing = undefined;
  }

  /** `events.insert(rows)`, with the statement for this many rows built once. */
  private insert(rows: Omit<AuditEventEntity, 'id'>[]): Promise<void> {
    let insert = this.inserts.get(rows.length);
    if (!insert) this.inserts.set(rows.length, (insert = PreparedWrite.insert(this.events, rows.length)));
    return insert.run(rows);
  }

  /** Rows still queued are written before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flushing;
  }

  /** Newest first. */
  async query(query: AuditQuery) {
    const where: FindOptionsWhere<AuditEventEntity> = {};
    if (query.type) where.type = query.type;
    if (query.subject) where.subject = query.subject;
    if (query.clientId) where.clientId = query.clientId;
    if (query.since !== undefined && query.before !== undefined) where.at = And(MoreThanOrEqual(query.since), LessThan(query.before));
    else if (query.since !== undefined) where.at = MoreThanOrEqual(query.since);
    else if (query.before !== undefined) where.at = LessThan(query.before);
    const rows = await this.events.find({ where, order: { id: 'DESC' }, take: Math.min(query.limit ?? 100, 1000) });
    return rows.map((row) => ({
      id: Number(row.id),
      at: new Date(row.at).toISOString(),
      type: row.type,
      outcome: row.outcome,
      reason: row.reason ?? undefined,
      clientId: row.clientId ?? undefined,
      subject: row.subject ?? undefined,
      requestId: row.requestId ?? undefined,
      ip: row.ip ?? undefined,
      details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : undefined,
    }));
  }
}
