import { epochMillisColumn, minorUnitsColumn } from '@trustline/service-runtime';
import { Column, Entity, Index, PrimaryColumn, VersionColumn } from 'typeorm';

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
  @Column({ type: 'bigint', transformer: minorUnitsColumn })
  amount: number;

  /** Repaid so far, in minor units (0 ≤ paid ≤ amount). */
  @Column({ type: 'bigint', transformer: minorUnitsColumn })
  paid: number;

  /** Optimistic lock: every update is `UPDATE … WHERE id = ? AND version = ?` and bumps it. */
  @VersionColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 128, name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochMillisColumn })
  createdAt: Date;

  @Column({ type: 'bigint', name: 'updated_at', transformer: epochMillisColumn })
  updatedAt: Date;

  /** Computed, never stored, so it cannot drift from amount and paid. */
  get outstanding(): number {
    return this.amount - this.paid;
  }
}
