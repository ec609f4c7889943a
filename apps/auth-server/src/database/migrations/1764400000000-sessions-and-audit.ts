import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Who a protocol artefact belongs to (so an administrator can end every session and grant of a user or
 * a client with an indexed query), and the audit log.
 */
export class SessionsAndAudit1764400000000 implements MigrationInterface {
  name = 'SessionsAndAudit1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('oidc_payloads', [
      new TableColumn({ name: 'account_id', type: 'varchar', length: '256', isNullable: true }),
      new TableColumn({ name: 'client_id', type: 'varchar', length: '128', isNullable: true }),
    ]);
    await queryRunner.createIndex('oidc_payloads', new TableIndex({ name: 'IDX_oidc_payloads_account', columnNames: ['account_id'] }));
    await queryRunner.createIndex('oidc_payloads', new TableIndex({ name: 'IDX_oidc_payloads_client', columnNames: ['client_id'] }));

    const sqlite = queryRunner.connection.driver.options.type === 'better-sqlite3';
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: sqlite ? 'integer' : 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          // Epoch milliseconds.
          { name: 'at', type: 'bigint' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'reason', type: 'varchar', length: '128', isNullable: true },
          { name: 'client_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'subject', type: 'varchar', length: '256', isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          // A few more facts as JSON (grant type, scope, resource); never a token, secret or password.
          { name: 'details', type: 'text', isNullable: true },
        ],
        indices: [
          { name: 'IDX_audit_events_at', columnNames: ['at'] },
          { name: 'IDX_audit_events_type_at', columnNames: ['type', 'at'] },
          { name: 'IDX_audit_events_subject', columnNames: ['subject'] },
          { name: 'IDX_audit_events_client', columnNames: ['client_id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_events');
    await queryRunner.dropIndex('oidc_payloads', 'IDX_oidc_payloads_client');
    await queryRunner.dropIndex('oidc_payloads', 'IDX_oidc_payloads_account');
    await queryRunner.dropColumns('oidc_payloads', ['account_id', 'client_id']);
  }
}
