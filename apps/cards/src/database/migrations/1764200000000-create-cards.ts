import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The cards table, written with TypeORM's driver-neutral Table API so one migration runs on SQLite and
 * PostgreSQL. The CHECK constraints repeat the domain rules (0 ≤ used ≤ limit) so that no code path can
 * store a card beyond its limit. Only the masked number is ever stored: this service never sees a PAN.
 */
export class CreateCards1764200000000 implements MigrationInterface {
  name = 'CreateCards1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'cards',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'customer_id', type: 'varchar', length: '128' },
          { name: 'currency', type: 'varchar', length: '3' },
          // `limit` is an SQL keyword: the column is credit_limit. Minor units, bigint on both drivers.
          { name: 'credit_limit', type: 'bigint' },
          { name: 'used', type: 'bigint', default: 0 },
          { name: 'masked_number', type: 'varchar', length: '19' },
          { name: 'version', type: 'integer' },
          { name: 'idempotency_key', type: 'varchar', length: '128', isNullable: true },
          // SHA-256 of the create request a key was first used with, to tell a replay from a key reused for another request.
          { name: 'idempotency_fingerprint', type: 'varchar', length: '64', isNullable: true },
          // Epoch milliseconds: one representation on both drivers.
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [
          { name: 'IDX_cards_customer', columnNames: ['customer_id', 'created_at'] },
          // NULL keys never collide, so cards created without a key are unaffected.
          { name: 'UQ_cards_customer_idempotency_key', columnNames: ['customer_id', 'idempotency_key'], isUnique: true },
        ],
        checks: [
          { name: 'CHK_cards_limit_positive', expression: '"credit_limit" > 0' },
          { name: 'CHK_cards_used_within_limit', expression: '"used" >= 0 AND "used" <= "credit_limit"' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cards');
  }
}
