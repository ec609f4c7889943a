import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The longest access-token lifetime ever configured, so revocation horizons cover every token already out. */
export class TokenLifetimes1764600000000 implements MigrationInterface {
  name = 'TokenLifetimes1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'token_lifetimes',
        columns: [
          { name: 'kind', type: 'varchar', length: '32', isPrimary: true },
          { name: 'max_seconds', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('token_lifetimes');
  }
}
