import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The loans table, written with TypeORM's driver-neutral Table API so one migration runs on SQLite and
 * PostgreSQL. The CHECK constraints repeat the domain rules so that no code path, present or future,
 * can store a loan that is overpaid or negative.
 */
export class CreateLoans1764100000000 implements MigrationInterface {
  name = 'CreateLoans1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'loans',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'customer_id', type: 'varchar', length: '128' },
          { name: 'currency', type: 'varchar', length: '3' },
          // Minor units; bigint so large principals fit on PostgreSQL too (SQLite integers are 64-bit anyway).
          { name: 'amount', type: 'bigint' },
          { name: 'paid', type: 'bigint', default: 0 },
          { name: 'version', type: 'integer' },
          { name: 'idempotency_key', type: 'varchar', length: '128', isNullable: true },
          // Epoch milliseconds: one representation on both drivers.
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [
          { name: 'IDX_loans_customer', columnNames: ['customer_id', 'created_at'] },
          // NULL keys never collide, so loans created without a key are unaffected.
          { name: 'UQ_loans_customer_idempotency_key', columnNames: ['customer_id', 'idempotency_key'], isUnique: true },
        ],
        checks: [
          { name: 'CHK_loans_amount_positive', expression: '"amount" > 0' },
          { name: 'CHK_loans_paid_within_amount', expression: '"paid" >= 0 AND "paid" <= "amount"' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('loans');
  }
}
