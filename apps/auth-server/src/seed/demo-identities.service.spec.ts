import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestClientSecret, generateClientSecret } from '../clients/client-secret';
import { dataSourceOptions } from '../database/database.options';
import { ClientEntity, UserEntity } from '../database/entities';
import { hashPassword } from '../users/password';
import { DemoIdentitiesInProductionError, findDemoIdentities } from './demo-identities.service';

const client = (clientId: string, secret: string | null): ClientEntity => ({
  clientId,
  name: clientId,
  secretDigest: secret === null ? null : digestClientSecret(secret),
  tokenEndpointAuthMethod: secret === null ? 'none' : 'client_secret_basic',
  jwks: null,
  grantTypes: ['client_credentials'],
  redirectUris: [],
  postLogoutRedirectUris: [],
  allowedScopes: [],
  audiences: [],
  firstParty: secret === null,
  enabled: true,
  createdAt: 1_764_000_000,
});

describe('findDemoIdentities', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions({ type: 'sqlite', file: ':memory:' })).initialize();
    const user = async (username: string, password: string) => ({
      id: `id-${username}`,
      username,
      passwordHash: await hashPassword(password),
      roles: ['customer'],
      name: null,
      createdAt: 1_764_000_000,
    });
    await dataSource.getRepository(UserEntity).insert([
      await user('alice', 'alice-demo-password'),
      // An operator's own bob, with a password of their own: not a demo identity.
      await user('bob', 'a password bob chose himself'),
      // Not in the demo list, whatever the password.
      await user('carol', 'carol-demo-password'),
    ]);
    await dataSource
      .getRepository(ClientEntity)
      .insert([client('demo-cli', 'demo-cli-secret'), client('reports-service', 'reports-service-secret'), client('gateway', generateClientSecret()), client('portal', null)]);
  });

  afterAll(() => dataSource.destroy());

  it('finds the users whose hash still verifies the demo password and the clients whose secret is `<client-id>-secret`', async () => {
    expect(await findDemoIdentities(dataSource.getRepository(UserEntity), dataSource.getRepository(ClientEntity))).toEqual({
      users: ['alice'],
      clients: ['demo-cli', 'reports-service'],
    });
  });

  it('names them in the refusal, never their passwords or secrets', () => {
    const { message } = new DemoIdentitiesInProductionError({ users: ['alice'], clients: ['demo-cli'] });
    expect(message).toContain('users alice');
    expect(message).toContain('clients demo-cli');
    expect(message).toContain('demo:remove');
    expect(message).not.toMatch(/demo-password|-secret\b/);
  });
});
