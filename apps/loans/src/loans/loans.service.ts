import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Principal } from '@trustline/security';
import {
  BusinessRuleError,
  VersionConflictError,
  WriteSerializer,
  deleteWhere,
  insertOrReplayWinner,
  ownedOrNotFound,
  targetCustomer,
  updateAtVersion,
} from '@trustline/service-runtime';
import type { Repository } from 'typeorm';

import type { CreateLoanDto } from './dto/create-loan.dto';
import { Loan } from './loan.entity';
import { applyPayment, assertDeletable, openLoan } from './loan-rules';

export interface CreatedLoan {
  loan: Loan;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

@Injectable()
export class LoansService {
  constructor(
    @InjectRepository(Loan) private readonly loans: Repository<Loan>,
    private readonly serializer: WriteSerializer,
  ) {}

  list(principal: Principal, customerId: string | undefined): Promise<Loan[]> {
    return this.loans.find({ where: { customerId: targetCustomer(principal, customerId) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async get(principal: Principal, id: string): Promise<Loan> {
    return ownedOrNotFound(principal, await this.loans.findOneBy({ id }), 'loan');
  }

  async create(principal: Principal, request: CreateLoanDto, idempotencyKey: string | undefined): Promise<CreatedLoan> {
    const customerId = targetCustomer(principal, request.customerId);
    const replay = async () => {
      const earlier = idempotencyKey ? await this.loans.findOneBy({ customerId, idempotencyKey }) : null;
      return earlier ? { loan: sameRequest(earlier, request), replayed: true } : undefined;
    };
    const earlier = await replay();
    if (earlier) return earlier;

    const { amount, paid } = openLoan(request.amount);
    const now = new Date();
    const loan = this.loans.create({
      id: randomUUID(),
      customerId,
      currency: request.currency,
      amount,
      paid,
      version: 1,
      idempotencyKey: idempotencyKey ?? null,
      createdAt: now,
      updatedAt: now,
    });
    const raced = await insertOrReplayWinner(() => this.serializer.write(() => this.loans.insert(loan)), replay);
    if (raced) return raced;
    return { loan: await this.loans.findOneByOrFail({ id: loan.id }), replayed: false };
  }

  /**
   * Applies one payment to the version the caller read. The conditional UPDATE (`WHERE id AND version`)
   * is what keeps concurrent payments from overwriting each other on PostgreSQL; on SQLite the
   * serializer already runs one write at a time and the condition is a second line of defence.
   */
  pay(principal: Principal, id: string, payment: number, expectedVersion: number): Promise<Loan> {
    return this.serializer.transaction(async (manager) => {
      const loans = manager.getRepository(Loan);
      const loan = ownedOrNotFound(principal, await loans.findOneBy({ id }), 'loan');
      if (loan.version !== expectedVersion) throw new VersionConflictError(loan.version);
      const { paid } = applyPayment(loan, payment);
      return updateAtVersion(loans, id, expectedVersion, { paid, updatedAt: new Date() });
    });
  }

  /** Removes a fully repaid loan; one with anything outstanding stays (409). */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.serializer.transaction(async (manager) => {
      const loans = manager.getRepository(Loan);
      assertDeletable(ownedOrNotFound(principal, await loans.findOneBy({ id }), 'loan'));
      await deleteWhere(loans, id, 'paid = amount', 'loan', assertDeletable);
    });
  }
}

/** A replayed key must carry the same request; a different one under the same key is a client bug. */
function sameRequest(earlier: Loan, request: CreateLoanDto): Loan {
  if (earlier.amount !== request.amount || earlier.currency !== request.currency) {
    throw new BusinessRuleError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
  }
  return earlier;
}
