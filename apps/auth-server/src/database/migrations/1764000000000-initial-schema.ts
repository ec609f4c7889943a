import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The auth server's first schema, written with TypeORM's driver-neutral Table API so the same migration
 * runs on SQLite (embedded) and PostgreSQL (production).
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type === 'better-sqlite3';
    const epoch = (name: string, nullable = false) => ({ name, type: 'bigint', isNullable: nullable });
    const text = (name: string, nullable = false) => ({ name, type: 'text', isNullable: nullable });
    const varchar = (name: string, length: number, nullable = false) => ({ name, type: 'varchar', length: String(length), isNullable: nullable });

    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { ...varchar('id', 64), isPrimary: true },
          varchar('username', 128),
          varchar('password_hash', 256),
          text('roles'),
          varchar('name', 256, true),
          epoch('created_at'),
        ],
        indices: [{ columnNames: ['username'], isUnique: true }],
      }),
    );
    await queryRunner.createTable(new Table({ name: 'roles', columns: [{ ...varchar('name', 64), isPrimary: true }, text('scopes')] }));
    await queryRunner.createTable(
      new Table({
        name: 'clients',
        columns: [
          { ...varchar('client_id', 128), isPrimary: true },
          varchar('name', 256),
          varchar('secret_digest', 64, true),
          varchar('token_endpoint_auth_method', 32),
          text('jwks', true),
          text('grant_types'),
          text('redirect_uris'),
          text('post_logout_redirect_uris'),
          text('allowed_scopes'),
          text('audiences'),
          { name: 'first_party', type: 'boolean', default: sqlite ? '0' : 'false' },
          { name: 'enabled', type: 'boolean', default: sqlite ? '1' : 'true' },
          epoch('created_at'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { ...varchar('kid', 64), isPrimary: true },
          varchar('alg', 16),
          varchar('status', 16),
          text('public_jwk'),
          text('private_jwk'),
          epoch('created_at'),
          epoch('activated_at', true),
          epoch('retired_at', true),
        ],
        indices: [{ columnNames: ['status'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oidc_payloads',
        columns: [
          { ...varchar('model', 64), isPrimary: true },
          { ...varchar('id', 256), isPrimary: true },
          text('payload'),
          varchar('grant_id', 256, true),
          varchar('user_code', 256, true),
          varchar('uid', 256, true),
          epoch('expires_at', true),
          epoch('consumed_at', true),
        ],
      }),
    );
    await queryRunner.createIndices('oidc_payloads', [
      new TableIndex({ columnNames: ['model', 'grant_id'] }),
      new TableIndex({ columnNames: ['model', 'uid'] }),
      new TableIndex({ columnNames: ['model', 'user_code'] }),
      new TableIndex({ columnNames: ['expires_at'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'revocations',
        columns: [
          // SQLite only autoincrements an INTEGER PRIMARY KEY.
          { name: 'id', type: sqlite ? 'integer' : 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          varchar('type', 16),
          varchar('value', 256),
          epoch('at'),
          epoch('exp'),
        ],
        indices: [{ columnNames: ['type', 'value'] }, { columnNames: ['exp'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['revocations', 'oidc_payloads', 'signing_keys', 'clients', 'roles', 'users']) {
      await queryRunner.dropTable(table);
    }
  }
}
