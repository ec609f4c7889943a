import { epochMillisColumn, minorUnitsColumn } from '@trustline/service-runtime';
import { Column, Entity, Index, PrimaryColumn, VersionColumn } from 'typeorm';

@Entity('accounts')
@Index('UQ_accounts_customer_idempotency_key', ['customerId', 'idempotencyKey'], { unique: true })
export class Account {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The owner: a user's `sub` (their customer id). */
  @Column({ type: 'varchar', length: 128, name: 'customer_id' })
  customerId: string;

  /** The holder's label for it, 1–64 characters. */
  @Column({ type: 'varchar', length: 64 })
  name: string;

  /** ISO 4217 code. */
  @Column({ type: 'varchar', length: 3 })
  currency: string;

  /** Money held, in minor units (never negative). */
  @Column({ type: 'bigint', transformer: minorUnitsColumn })
  balance: number;

  /** Optimistic lock: every update is `UPDATE … WHERE id = ? AND version = ?` and bumps it. */
  @VersionColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 128, name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  /** SHA-256 of the create request a key first came with: name and balance change later, the request does not. */
  @Column({ type: 'varchar', length: 64, name: 'idempotency_fingerprint', nullable: true })
  idempotencyFingerprint: string | null;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochMillisColumn })
  createdAt: Date;

  @Column({ type: 'bigint', name: 'updated_at', transformer: epochMillisColumn })
  updatedAt: Date;
}
