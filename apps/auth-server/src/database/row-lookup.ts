import { type FindOptionsWhere, In, type ObjectLiteral, type Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

type Key<Entity> = keyof Entity & string;

/** The entity's table, quoted for the driver (schema included, if any). */
export function tableOf(repository: Repository<ObjectLiteral>): string {
  const { driver } = repository.manager.connection;
  return repository.metadata.tablePath
    .split('.')
    .map((part) => driver.escape(part))
    .join('.');
}

/**
 * A hot lookup by equality on a few columns (a primary or unique key), with its SQL built once instead
 * of through TypeORM's query builder on every call, which costs far more than the statement itself on the
 * token endpoint (the client, the engine's payloads, the user and their roles are read on every grant).
 * The statement is written in the driver's own placeholder style (`driver.escapeQueryWithParameters`),
 * parameters are prepared and rows hydrated by the driver exactly as TypeORM's `findOneBy`/`findBy`
 * would (column to property names, value transformers, SQLite's integer booleans, an instance of the
 * entity class), so the result is the same object on SQLite and PostgreSQL.
 *
 * Falls back to the repository where hydration would do more than that (entity listeners or subscribers).
 */
export class RowLookup<Entity extends ObjectLiteral> {
  private readonly keys: ColumnMetadata[];
  private readonly selected: ColumnMetadata[];
  private readonly where: string;
  private readonly from: string;
  private readonly sqlByCount = new Map<number, string>();
  private readonly plain: boolean;

  constructor(
    private readonly repository: Repository<Entity>,
    keys: Key<Entity>[],
    select?: Key<Entity>[],
  ) {
    const { metadata } = repository;
    const column = (property: string) => {
      const found = metadata.findColumnWithPropertyPath(property);
      if (!found) throw new Error(`${metadata.name} has no column ${property}`);
      return found;
    };
    this.keys = keys.map(column);
    this.selected = (select ? select.map(column) : metadata.columns).filter((each) => !each.isVirtual);
    const { driver } = repository.manager.connection;
    this.from = `SELECT ${this.selected.map((each) => driver.escape(each.databaseName)).join(', ')} FROM ${tableOf(repository)}`;
    this.where = this.keys.map((each, index) => `${driver.escape(each.databaseName)} = :k${index}`).join(' AND ');
    this.plain = metadata.afterLoadListeners.length === 0 && repository.manager.connection.subscribers.length === 0;
  }

  /** The row whose key columns equal `values` (in the order the keys were given), or null. */
  async one(...values: unknown[]): Promise<Entity | null> {
    if (!this.plain || values.some((value) => value == null)) return this.repository.findOneBy(this.whereOf(values));
    const rows = await this.run(
      this.statement(0, `${this.where} LIMIT 1`),
      this.keys.map((column, index) => this.parameter(values[index], column)),
    );
    return rows.length ? this.hydrate(rows[0]) : null;
  }

  /** The rows whose single key column is one of `values` (`findBy({ key: In(values) })`). */
  async anyOf(values: unknown[]): Promise<Entity[]> {
    if (this.keys.length !== 1) throw new Error('anyOf needs a lookup on one column');
    if (!values.length) return [];
    if (!this.plain || values.some((value) => value == null)) return this.repository.findBy({ [this.keys[0].propertyName]: In(values) } as FindOptionsWhere<Entity>);
    const [column] = this.keys;
    const condition = `${this.repository.manager.connection.driver.escape(column.databaseName)} IN (${values.map((_, index) => `:k${index}`).join(', ')})`;
    const rows = await this.run(
      this.statement(values.length, condition),
      values.map((value) => this.parameter(value, column)),
    );
    return rows.map((row) => this.hydrate(row));
  }

  /** The statement for a condition with `count` list items, written in the driver's placeholder style once. */
  private statement(count: number, condition: string): string {
    let sql = this.sqlByCount.get(count);
    if (sql === undefined) {
      // Placeholders only: string stand-ins, since some drivers inline numbers and booleans.
      const placeholders = Object.fromEntries(Array.from({ length: Math.max(count, this.keys.length) }, (_, index) => [`k${index}`, `k${index}`]));
      [sql] = this.repository.manager.connection.driver.escapeQueryWithParameters(`${this.from} WHERE ${condition}`, placeholders);
      this.sqlByCount.set(count, sql);
    }
    return sql;
  }

  private async run(sql: string, parameters: unknown[]): Promise<Record<string, unknown>[]> {
    return (await this.repository.manager.connection.query(sql, parameters)) as Record<string, unknown>[];
  }

  private parameter(value: unknown, column: ColumnMetadata): unknown {
    return this.repository.manager.connection.driver.preparePersistentValue(value, column);
  }

  private hydrate(row: Record<string, unknown>): Entity {
    const { driver } = this.repository.manager.connection;
    const entity = this.repository.metadata.create(undefined, { fromDeserializer: true }) as Entity;
    for (const column of this.selected) {
      const value = row[column.databaseName];
      if (value !== undefined) column.setEntityValue(entity, driver.prepareHydratedValue(value, column));
    }
    return entity;
  }

  private whereOf(values: unknown[]): FindOptionsWhere<Entity> {
    return Object.fromEntries(this.keys.map((column, index) => [column.propertyName, values[index]])) as FindOptionsWhere<Entity>;
  }
}

/**
 * A hot write with its SQL built once, in the driver's placeholder style, its values prepared by the
 * driver as TypeORM would (value transformers, SQLite's integer booleans). Every value is bound (TypeORM
 * inlines numbers on SQLite, which makes a new statement to prepare for every new expiry second).
 */
export class PreparedWrite {
  private readonly sql: string;
  private readonly columns: (ColumnMetadata | undefined)[];

  /** `sql` names its parameters `:name`; `parameters` lists them, each with the column whose value it is (if any). */
  constructor(
    private readonly repository: Repository<ObjectLiteral>,
    sql: string,
    parameters: { name: string; column?: string }[],
  ) {
    const { metadata, manager } = repository;
    this.columns = parameters.map(({ column }) => (column === undefined ? undefined : metadata.findColumnWithPropertyPath(column)));
    // In the order the parameters appear, each once (the placeholder numbering follows that order).
    let from = 0;
    for (const { name } of parameters) {
      const at = sql.indexOf(`:${name}`, from);
      if (at < 0) throw new Error(`parameter :${name} missing or out of order in ${sql.slice(0, 200)}`);
      from = at + 1;
    }
    [this.sql] = manager.connection.driver.escapeQueryWithParameters(sql, Object.fromEntries(parameters.map(({ name }) => [name, name])));
  }

  /**
   * Runs the statement with `values`, in the order of the parameters. Returns how many rows it changed
   * (better-sqlite3's `changes`, pg's `rowCount`), so a conditional UPDATE can tell whether it won.
   */
  async run(...values: unknown[]): Promise<number> {
    const { connection } = this.repository.manager;
    const { driver } = connection;
    const parameters = values.map((value, index) => {
      const column = this.columns[index];
      return column ? driver.preparePersistentValue(value, column) : value;
    });
    // `connection.query` does the same, but answers only the raw rows; the structured result has the count.
    const runner = connection.createQueryRunner();
    try {
      const result = await runner.query(this.sql, parameters, true);
      return result.affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  /**
   * `repository.upsert(row, conflictPaths)` for rows that set every column: INSERT … ON CONFLICT (keys)
   * DO UPDATE SET every column = EXCLUDED.column, the statement TypeORM writes (SQLite ≥ 3.24, PostgreSQL).
   */
  static upsert<Entity extends ObjectLiteral>(repository: Repository<Entity>, conflictPaths: Key<Entity>[]): { run(row: Entity): Promise<void> } {
    const { metadata, manager } = repository;
    const { driver } = manager.connection;
    const columns = metadata.columns.filter((column) => !column.isVirtual && column.isInsert && !column.generatedType);
    const conflict = conflictPaths.map((path) => metadata.findColumnWithPropertyPath(path)!);
    const name = (column: ColumnMetadata) => driver.escape(column.databaseName);
    const table = tableOf(repository);
    const sql =
      `INSERT INTO ${table}(${columns.map(name).join(', ')}) VALUES (${columns.map((_, index) => `:v${index}`).join(', ')})` +
      ` ON CONFLICT ( ${conflict.map(name).join(', ')} ) DO UPDATE SET ${columns.map((column) => `${name(column)} = EXCLUDED.${name(column)}`).join(', ')}`;
    const write = new PreparedWrite(
      repository as Repository<ObjectLiteral>,
      sql,
      columns.map((column, index) => ({ name: `v${index}`, column: column.propertyPath })),
    );
    return { run: async (row) => void (await write.run(...columns.map((column) => column.getEntityValue(row)))) };
  }

  /**
   * `repository.insert(rows)` for `count` rows at once (one statement), without the generated columns
   * (TypeORM writes them as NULL on SQLite and DEFAULT on PostgreSQL: the database fills them in either way).
   */
  static insert<Entity extends ObjectLiteral>(repository: Repository<Entity>, count: number): { run(rows: Partial<Entity>[]): Promise<void> } {
    const { metadata, manager } = repository;
    const { driver } = manager.connection;
    const columns = metadata.columns.filter((column) => !column.isVirtual && column.isInsert && !column.isGenerated && !column.generatedType);
    const rows = Array.from({ length: count }, (_, row) => `(${columns.map((_column, index) => `:r${row}c${index}`).join(', ')})`);
    const sql = `INSERT INTO ${tableOf(repository)}(${columns.map((column) => driver.escape(column.databaseName)).join(', ')}) VALUES ${rows.join(', ')}`;
    const parameters = Array.from({ length: count }, (_, row) => columns.map((column, index) => ({ name: `r${row}c${index}`, column: column.propertyPath }))).flat();
    const write = new PreparedWrite(repository as Repository<ObjectLiteral>, sql, parameters);
    return {
      run: async (entities) => {
        if (entities.length !== count) throw new Error(`this statement inserts ${count} rows, not ${entities.length}`);
        await write.run(...entities.flatMap((entity) => columns.map((column) => column.getEntityValue(entity))));
      },
    };
  }
}
