import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { LessThan, type Repository } from 'typeorm';
import type { OidcPayloadEntity } from '../database/entities';
import type { WriteSerializer } from '@trustline/service-runtime';
import { ClientsService } from '../clients/clients.service';
import { PreparedWrite, RowLookup, tableOf } from '../database/row-lookup';

type PayloadLookup = RowLookup<OidcPayloadEntity>;
type PayloadStatements = ReturnType<typeof buildStatements>;
const statements = new WeakMap<Repository<OidcPayloadEntity>, PayloadStatements>();

/**
 * The statements the engine runs on every grant, built once per repository (shared by every model's
 * adapter and every engine rebuild): the three lookups, the upsert, the one-time-use mark.
 */
function buildStatements(payloads: Repository<OidcPayloadEntity>) {
  const select: (keyof OidcPayloadEntity)[] = ['payload', 'expiresAt', 'consumedAt'];
  const { driver } = payloads.manager.connection;
  const column = (property: keyof OidcPayloadEntity) => driver.escape(payloads.metadata.findColumnWithPropertyPath(property)!.databaseName);
  return {
    byId: new RowLookup(payloads, ['model', 'id'], select),
    byUid: new RowLookup(payloads, ['model', 'uid'], select),
    byUserCode: new RowLookup(payloads, ['model', 'userCode'], select),
    upsert: PreparedWrite.upsert(payloads, ['model', 'id']),
    // `update({ model, id, consumedAt: IsNull() }, { consumedAt })`, as TypeORM writes it.
    consume: new PreparedWrite(
      payloads,
      `UPDATE ${tableOf(payloads)} SET ${column('consumedAt')} = :at WHERE (${column('model')} = :model AND ${column('id')} = :id AND ${column('consumedAt')} IS NULL)`,
      [
        { name: 'at', column: 'consumedAt' },
        { name: 'model', column: 'model' },
        { name: 'id', column: 'id' },
      ],
    ),
  };
}

function statementsFor(payloads: Repository<OidcPayloadEntity>): PayloadStatements {
  let found = statements.get(payloads);
  if (!found) statements.set(payloads, (found = buildStatements(payloads)));
  return found;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * A one-time artefact (refresh token, authorization code) that another request consumed first: its
 * conditional UPDATE changed no row. The engine read it unconsumed a moment before, so without this two
 * concurrent requests with the same refresh token would both rotate it and fork the chain. The loser
 * is reuse (RFC 9700 §4.14.2, RFC 6749 §4.1.2): the engine answers `invalid_grant` with it, and the
 * operational hooks revoke the grant it names (installOperationalHooks).
 */
export class AlreadyConsumedError extends errors.InvalidGrant {
  constructor(
    readonly model: string,
    readonly grantId: string | undefined,
  ) {
    super(`${model === 'RefreshToken' ? 'refresh token' : model === 'AuthorizationCode' ? 'authorization code' : model} already used`);
  }
}

/**
 * node-oidc-provider's persistence over TypeORM: one row per artefact, keyed by (model, id), with the
 * lookup columns the engine needs (grantId for grant-wide revocation, uid, userCode). Clients are not
 * stored here: they come from the client registry.
 */
export class TypeOrmOidcAdapter implements Adapter {
  private readonly statements: PayloadStatements;

  constructor(
    private readonly model: string,
    private readonly payloads: Repository<OidcPayloadEntity>,
    private readonly writes: WriteSerializer,
    private readonly clients: ClientsService,
  ) {
    this.statements = statementsFor(payloads);
  }

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
    await this.writes.write(() => this.statements.upsert.run(row));
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') {
      const client = await this.clients.findEnabled(id);
      return client ? (ClientsService.toProviderMetadata(client) as AdapterPayload) : undefined;
    }
    return this.load(this.statements.byId, id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.load(this.statements.byUid, uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.load(this.statements.byUserCode, userCode);
  }

  /** Marks the artefact used, atomically: exactly one caller changes the row; every other one gets AlreadyConsumedError. */
  async consume(id: string): Promise<void> {
    const changed = await this.writes.write(() => this.statements.consume.run(now(), this.model, id));
    if (changed === 1) return;
    const row = await this.statements.byId.one(this.model, id);
    const grantId = row ? (JSON.parse(row.payload) as AdapterPayload).grantId : undefined;
    throw new AlreadyConsumedError(this.model, typeof grantId === 'string' ? grantId : undefined);
  }

  async destroy(id: string): Promise<void> {
    await this.writes.write(() => this.payloads.delete({ model: this.model, id }));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every model of the grant (codes, refresh tokens, opaque access tokens), not just this adapter's.
    await this.writes.write(() => this.payloads.delete({ grantId }));
  }

  private async load(lookup: PayloadLookup, key: string): Promise<AdapterPayload | undefined> {
    const row = await lookup.one(this.model, key);
    if (!row || (row.expiresAt !== null && row.expiresAt <= now())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumedAt ? { ...payload, consumed: row.consumedAt } : payload;
  }

  /** Deletes rows past their expiry, interactions included (ExpiryPurge, on a schedule); returns how many. */
  static async purgeExpired(payloads: Repository<OidcPayloadEntity>, writes: WriteSerializer): Promise<number> {
    const result = await writes.write(() => payloads.delete({ expiresAt: LessThan(now()) }));
    return result.affected ?? 0;
  }
}
