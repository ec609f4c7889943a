import { epochMillisColumn, minorUnitsColumn } from '@trustline/service-runtime';
import { Column, Entity, Index, PrimaryColumn, VersionColumn } from 'typeorm';

@Entity('cards')
@Index('UQ_cards_customer_idempotency_key', ['customerId', 'idempotencyKey'], { unique: true })
export class Card {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The holder: a user's `sub` (their customer id). */
  @Column({ type: 'varchar', length: 128, name: 'customer_id' })
  customerId: string;

  /** ISO 4217 code of the limit and balance. */
  @Column({ type: 'varchar', length: 3 })
  currency: string;

  /** Credit limit in minor units (> 0). */
  @Column({ type: 'bigint', name: 'credit_limit', transformer: minorUnitsColumn })
  limit: number;

  /** Balance drawn on the card, in minor units (0 ≤ used ≤ limit). */
  @Column({ type: 'bigint', transformer: minorUnitsColumn })
  used: number;

  /** e.g. `**** **** **** 1234`; the full PAN lives with the card processor, never here. */
  @Column({ type: 'varchar', length: 19, name: 'masked_number' })
  maskedNumber: string;

  /** Optimistic lock: every update is `UPDATE … WHERE id = ? AND version = ?` and bumps it. */
  @VersionColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'varchar', length: 128, name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'varchar', length: 64, name: 'idempotency_fingerprint', nullable: true })
  idempotencyFingerprint: string | null;

  @Column({ type: 'bigint', name: 'created_at', transformer: epochMillisColumn })
  createdAt: Date;

  @Column({ type: 'bigint', name: 'updated_at', transformer: epochMillisColumn })
  updatedAt: Date;

  /** Computed, never stored, so it cannot drift from limit and used. */
  get available(): number {
    return this.limit - this.used;
  }
}
