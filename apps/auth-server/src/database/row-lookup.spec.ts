import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, In, IsNull } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from './database.options';
import { AuditEventEntity, ClientEntity, OidcPayloadEntity, RoleEntity, UserEntity } from './entities';
import { PreparedWrite, RowLookup, tableOf } from './row-lookup';

const client = (clientId: string, enabled: boolean): ClientEntity => ({
  clientId,
  name: `Client ${clientId}`,
  secretDigest: enabled ? 'a'.repeat(64) : null,
  tokenEndpointAuthMethod: 'client_secret_basic',
  jwks: enabled ? null : { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
  grantTypes: ['client_credentials'],
  redirectUris: [],
  postLogoutRedirectUris: [],
  allowedScopes: ['accounts:read'],
  audiences: ['urn:trustline:accounts'],
  firstParty: !enabled,
  enabled,
  createdAt: 1_764_000_000,
});

const payload = (id: string, overrides: Partial<OidcPayloadEntity> = {}): OidcPayloadEntity => ({
  model: 'RefreshToken',
  id,
  payload: JSON.stringify({ jti: id, kind: 'RefreshToken' }),
  grantId: 'grant-1',
  userCode: null,
  uid: `uid-${id}`,
  accountId: 'user-1',
  clientId: 'portal',
  expiresAt: 2_000_000_000,
  consumedAt: null,
  ...overrides,
});

/** The statements built once must answer exactly what TypeORM's own find/upsert/update/insert do. */
describe('RowLookup and PreparedWrite (SQLite)', () => {
  let directory: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'trustline-rows-'));
    dataSource = await new DataSource(dataSourceOptions({ type: 'sqlite', file: join(directory, 'rows.sqlite') })).initialize();
    await dataSource.getRepository(ClientEntity).insert([client('on-client', true), client('off-client', false)]);
    await dataSource.getRepository(UserEntity).insert({ id: 'user-1', username: 'alice', passwordHash: 'x', roles: ['customer', 'teller'], name: null, createdAt: 1_764_000_001 });
    await dataSource.getRepository(RoleEntity).insert([
      { name: 'customer', scopes: ['accounts:read'] },
      { name: 'teller', scopes: ['accounts:read', 'accounts:write'] },
      { name: 'auditor', scopes: [] },
    ]);
  });

  afterAll(async () => {
    await dataSource.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads a row as findOneBy does: property names, JSON columns, booleans, bigints, the entity class', async () => {
    const clients = dataSource.getRepository(ClientEntity);
    const lookup = new RowLookup(clients, ['clientId', 'enabled']);
    for (const [id, enabled] of [
      ['on-client', true],
      ['off-client', false],
      ['off-client', true],
      ['no-client', true],
    ] as const) {
      const expected = await clients.findOneBy({ clientId: id, enabled });
      const actual = await lookup.one(id, enabled);
      expect(actual).toEqual(expected);
      if (expected) expect(actual).toBeInstanceOf(ClientEntity);
    }
    const found = await lookup.one('on-client', true);
    expect(found).toMatchObject({ enabled: true, firstParty: false, createdAt: 1_764_000_000, jwks: null, audiences: ['urn:trustline:accounts'] });

    const users = dataSource.getRepository(UserEntity);
    expect(await new RowLookup(users, ['id']).one('user-1')).toEqual(await users.findOneBy({ id: 'user-1' }));
  });

  it('reads the rows whose key is in a list as findBy(In(...)) does', async () => {
    const roles = dataSource.getRepository(RoleEntity);
    const lookup = new RowLookup(roles, ['name']);
    const byName = (rows: RoleEntity[]) => [...rows].sort((a, b) => a.name.localeCompare(b.name));
    for (const names of [['customer'], ['customer', 'teller'], ['teller', 'auditor', 'nobody'], ['nobody'], []]) {
      expect(byName(await lookup.anyOf(names))).toEqual(byName(names.length ? await roles.findBy({ name: In(names) }) : []));
    }
  });

  it('selects only the columns asked for', async () => {
    const payloads = dataSource.getRepository(OidcPayloadEntity);
    await payloads.insert(payload('selected', { consumedAt: 1_900_000_000 }));
    const row = await new RowLookup(payloads, ['model', 'id'], ['payload', 'expiresAt', 'consumedAt']).one('RefreshToken', 'selected');
    expect({ ...row }).toEqual({ payload: payload('selected').payload, expiresAt: 2_000_000_000, consumedAt: 1_900_000_000 });
  });

  it('upserts as repository.upsert does: inserts, then replaces every column (consumption included)', async () => {
    const payloads = dataSource.getRepository(OidcPayloadEntity);
    const upsert = PreparedWrite.upsert(payloads, ['model', 'id']);
    await upsert.run(payload('up-1'));
    await payloads.upsert(payload('up-2'), ['model', 'id']);
    const strip = (row: OidcPayloadEntity | null) => ({ ...row, id: undefined, uid: undefined, payload: undefined });
    expect(strip(await payloads.findOneBy({ id: 'up-1' }))).toEqual(strip(await payloads.findOneBy({ id: 'up-2' })));

    await payloads.update({ id: 'up-1' }, { consumedAt: 1_800_000_000 });
    await upsert.run(payload('up-1', { payload: '{"changed":true}', grantId: null, expiresAt: null }));
    expect(await payloads.findOneBy({ id: 'up-1' })).toMatchObject({ payload: '{"changed":true}', grantId: null, expiresAt: null, consumedAt: null, uid: 'uid-up-1' });
    expect(await payloads.countBy({ id: 'up-1' })).toBe(1);
  });

  it('marks a payload consumed once, as update({ consumedAt: IsNull() }) does', async () => {
    const payloads = dataSource.getRepository(OidcPayloadEntity);
    await payloads.insert([payload('once'), payload('once-typeorm')]);
    const consume = new PreparedWrite(payloads, `UPDATE ${tableOf(payloads)} SET "consumed_at" = :at WHERE ("model" = :model AND "id" = :id AND "consumed_at" IS NULL)`, [
      { name: 'at', column: 'consumedAt' },
      { name: 'model', column: 'model' },
      { name: 'id', column: 'id' },
    ]);
    // It answers how many rows it changed: the first consumer wins, a second one learns it lost.
    expect(await consume.run(1_700_000_000, 'RefreshToken', 'once')).toBe(1);
    expect(await consume.run(1_700_000_999, 'RefreshToken', 'once')).toBe(0);
    await payloads.update({ model: 'RefreshToken', id: 'once-typeorm', consumedAt: IsNull() }, { consumedAt: 1_700_000_000 });
    expect((await payloads.findOneBy({ id: 'once' }))?.consumedAt).toBe(1_700_000_000);
    expect((await payloads.findOneBy({ id: 'once-typeorm' }))?.consumedAt).toBe(1_700_000_000);
  });

  it('inserts several rows in one statement as repository.insert does, generated ids included', async () => {
    const events = dataSource.getRepository(AuditEventEntity);
    const row = (subject: string) => ({
      at: 1_764_000_000_123,
      type: 'token.issued',
      outcome: 'success' as const,
      reason: null,
      clientId: 'demo-cli',
      subject,
      requestId: null,
      ip: '127.0.0.1',
      details: '{"a":1}',
    });
    await PreparedWrite.insert(events, 2).run([row('prepared-1'), row('prepared-2')]);
    await events.insert([row('typeorm-1'), row('typeorm-2')]);
    const stored = await events.find({ order: { id: 'ASC' } });
    expect(stored.map((each) => Number(each.id))).toEqual([1, 2, 3, 4]);
    expect(stored.map((each) => each.subject)).toEqual(['prepared-1', 'prepared-2', 'typeorm-1', 'typeorm-2']);
    const { subject: _subject, ...expected } = row('x');
    for (const { id: _id, subject: _stored, ...rest } of stored) expect(rest).toEqual(expected);
    await expect(PreparedWrite.insert(events, 2).run([row('one')])).rejects.toThrow(/2 rows, not 1/);
  });
});
