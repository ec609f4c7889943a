import { QueryFailedError, type ValueTransformer } from 'typeorm';

/** Money in integer minor units. PostgreSQL's bigint comes back from `pg` as a string, SQLite's as a number: always a number here. */
export const minorUnitsColumn: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | number | null) => (value == null ? value : Number(value)),
};

/** Timestamps stored as epoch milliseconds (one representation on both drivers). */
export const epochMillisColumn: ValueTransformer = {
  to: (value?: Date | null) => (value instanceof Date ? value.getTime() : value),
  from: (value?: string | number | null) => (value == null ? value : new Date(Number(value))),
};

/** A unique index refused an insert: PostgreSQL's SQLSTATE 23505, SQLite's SQLITE_CONSTRAINT_UNIQUE. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
