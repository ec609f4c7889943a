import type { Adapter, AdapterPayload } from 'oidc-provider';
import { type FindOptionsWhere, IsNull, LessThan, type Repository } from 'typeorm';
import type { OidcPayloadEntity } from '../database/entities';
import type { WriteSerializer } from '@trustline/service-runtime';
import { ClientsService } from '../clients/clients.service';

const now = () => Math.floor(Date.now() / 1000);

/**
 * node-oidc-provider's persistence over TypeORM: one row per artefact, keyed by (model, id), with the
 * lookup columns the engine needs (grantId for grant-wide revocation, uid, userCode). Clients are not
 * stored here: they come from the client registry.
 */
export class TypeOrmOidcAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly payloads: Repository<OidcPayloadEntity>,
    private readonly writes: WriteSerializer,
    private readonly clients: ClientsService,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row: OidcPayloadEntity = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grantId: payload.grantId ?? null,
      userCode: payload.userCode ?? null,
      uid: payload.uid ?? null,
      accountId: typeof payload.accountId === 'string' ? payload.accountId : null,
      clientId: typeof payload.clientId === 'string' ? payload.clientId : null,
      expiresAt: expiresIn ? now() + expiresIn : null,
      consumedAt: null,
    };
    await this.writes.write(() => this.payloads.upsert(row, ['model', 'id']));
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') {
      const client = await this.clients.findEnabled(id);
      return client ? (ClientsService.toProviderMetadata(client) as AdapterPayload) : undefined;
    }
    return this.load({ model: this.model, id });
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.load({ model: this.model, uid });
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.load({ model: this.model, userCode });
  }

  async consume(id: string): Promise<void> {
    await this.writes.write(() => this.payloads.update({ model: this.model, id, consumedAt: IsNull() }, { consumedAt: now() }));
  }

  async destroy(id: string): Promise<void> {
    await this.writes.write(() => this.payloads.delete({ model: this.model, id }));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every model of the grant (codes, refresh tokens, opaque access tokens), not just this adapter's.
    await this.writes.write(() => this.payloads.delete({ grantId }));
  }

  private async load(where: FindOptionsWhere<OidcPayloadEntity>): Promise<AdapterPayload | undefined> {
    const row = await this.payloads.findOneBy(where);
    if (!row || (row.expiresAt !== null && row.expiresAt <= now())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumedAt ? { ...payload, consumed: row.consumedAt } : payload;
  }

  /** Deletes rows past their expiry (called periodically). */
  static async purgeExpired(payloads: Repository<OidcPayloadEntity>, writes: WriteSerializer): Promise<void> {
    await writes.write(() => payloads.delete({ expiresAt: LessThan(now()) }));
  }
}
