import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The accounts table, written with TypeORM's driver-neutral Table API so one migration runs on SQLite and
 * PostgreSQL. The CHECK constraint repeats the domain rule (the balance is never negative) so that no code
 * path, present or future, can store an overdrawn account.
 */
export class CreateAccounts1764300000000 implements MigrationInterface {
  name = 'CreateAccounts1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'customer_id', type: 'varchar', length: '128' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'currency', type: 'varchar', length: '3' },
          // Minor units; bigint so large balances fit on PostgreSQL too (SQLite integers are 64-bit anyway).
          { name: 'balance', type: 'bigint', default: 0 },
          { name: 'version', type: 'integer' },
          { name: 'idempotency_key', type: 'varchar', length: '128', isNullable: true },
          // SHA-256 of the create request a key was first used with, to tell a replay from a key reused for another request.
          { name: 'idempotency_fingerprint', type: 'varchar', length: '64', isNullable: true },
          // Epoch milliseconds: one representation on both drivers.
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [
          { name: 'IDX_accounts_customer', columnNames: ['customer_id', 'created_at'] },
          // NULL keys never collide, so accounts created without a key are unaffected.
          { name: 'UQ_accounts_customer_idempotency_key', columnNames: ['customer_id', 'idempotency_key'], isUnique: true },
        ],
        checks: [{ name: 'CHK_accounts_balance_not_negative', expression: '"balance" >= 0' }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('accounts');
  }
}
