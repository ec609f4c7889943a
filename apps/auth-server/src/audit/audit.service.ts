import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { And, type FindOptionsWhere, LessThan, MoreThanOrEqual, Repository } from 'typeorm';
import { AuditEventEntity, type AuditOutcome } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';

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

/**
 * The audit log: every event goes to the structured log at once and to the database, where
 * administrators query it (GET /admin/audit). Writes never fail the request they describe: a
 * database hiccup loses the row, not the log line and not the login.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

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
    try {
      await this.writes.write(() =>
        this.events.insert({
          at,
          type: event.type,
          outcome: event.outcome,
          reason: clip(event.reason, 128),
          clientId: clip(event.clientId, 128),
          subject: clip(event.subject, 256),
          requestId: clip(event.requestId, 128),
          ip: clip(event.ip, 64),
          details: event.details ? JSON.stringify(event.details) : null,
        }),
      );
    } catch (error) {
      this.logger.error(`audit event ${event.type} not stored: ${(error as Error).message}`);
    }
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
