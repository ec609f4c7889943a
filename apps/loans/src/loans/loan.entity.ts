import { Column, Entity, Index, PrimaryColumn, VersionColumn } from 'typeorm';

/** PostgreSQL's bigint comes back from `pg` as a string, SQLite's as a number: always a number here. */
const minorUnits = { to: (value?: number | null) => value, from: (value?: string | number | null) => (value == null ? value : Number(value)) };
/** Timestamps stored as epoch milliseconds (one representation on both drivers). */
const epochMillis = {
  to: (value?: Date | null) => (value instanceof Date ? value.getTime() : value),
  from: (value?: string | number | null) => (value == null ? value : new Date(Number(value))),
};

@Entity('loans')
@Index('UQ_loans_customer_idempotency_key', ['customerId', 'idempotencyKey'], { unique: true })
export class Loan {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The owner: a user's `sub` (their customer id). */
  @Column({ type: 'varchar', length: 128, name: 'customer_id' })
  customerId: string;

  /** ISO 4217 code. */
  @Column({ type: 'varchar', length: 3 })
  currency: string;

  /** The principal lent, in minor units (> 0). */
  @Column({ type: 'bigint', transformer: minorUnits })
  amount: number;

  /** Repaid so far, in minor units (0 ≤ paid ≤ amount). */
  @Column({ type: 'bigint', transformer: minorUnits })
  paid: number;

  /** Optimistic lock: every update is `UPDATE … WHERE id = ? AND version = ?` and bumps it. */
  @VersionColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 128, name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochMillis })
  createdAt: Date;

  @Column({ type: 'bigint', name: 'updated_at', transformer: epochMillis })
  updatedAt: Date;

  /** Computed, never stored, so it cannot drift from amount and paid. */
  get outstanding(): number {
    return this.amount - this.paid;
  }
}
