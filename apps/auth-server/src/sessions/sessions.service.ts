import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { OidcPayloadEntity } from '../database/entities';
import { WriteSerializer } from '@trustline/service-runtime';
import { RevocationsService } from '../revocation/revocations.service';

/**
 * Ending everything a user or a client holds, at once: the engine's sessions, grants, codes and refresh
 * tokens go from the database (no new token can come from them), and a `sub` / `client` revocation
 * makes every verifier refuse the access tokens already out (those issued up to now; later logins
 * work).
 */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(OidcPayloadEntity) private readonly payloads: Repository<OidcPayloadEntity>,
    private readonly writes: WriteSerializer,
    private readonly revocations: RevocationsService,
    private readonly audit: AuditService,
  ) {}

  /** Force logout: every session, grant and refresh token of the user, and their access tokens everywhere. */
  async endUserSessions(subject: string, by: { requestId?: string; actor?: string } = {}): Promise<{ removed: number }> {
    const removed = await this.removeArtefacts('accountId', subject);
    await this.revocations.record('sub', subject);
    await this.audit.record({ type: 'user.sessions_ended', outcome: 'success', subject, requestId: by.requestId, details: { removed, by: by.actor } });
    return { removed };
  }

  /** Every grant and refresh token of the client, and every access token it holds, everywhere. */
  async revokeClientTokens(clientId: string, by: { requestId?: string; actor?: string } = {}): Promise<{ removed: number }> {
    const removed = await this.removeArtefacts('clientId', clientId);
    await this.revocations.record('client', clientId);
    await this.audit.record({ type: 'client.tokens_revoked', outcome: 'success', clientId, requestId: by.requestId, details: { removed, by: by.actor } });
    return { removed };
  }

  /** Rows owned directly, plus everything hanging off their grants (refresh tokens, codes). */
  private removeArtefacts(owner: 'accountId' | 'clientId', value: string): Promise<number> {
    return this.writes.transaction(async (manager) => {
      const payloads = manager.getRepository(OidcPayloadEntity);
      const owned = await payloads.find({ select: { model: true, id: true, grantId: true }, where: { [owner]: value } });
      const grantIds = [
        ...new Set(
          owned
            .filter((row) => row.model === 'Grant')
            .map((row) => row.id)
            .concat(owned.map((row) => row.grantId ?? '').filter(Boolean)),
        ),
      ];
      let removed = (await payloads.delete({ [owner]: value })).affected ?? 0;
      if (grantIds.length) removed += (await payloads.delete({ grantId: In(grantIds) })).affected ?? 0;
      return removed;
    });
  }
}
