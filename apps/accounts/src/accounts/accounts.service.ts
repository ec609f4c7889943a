import { createHash, randomUUID } from 'node:crypto';
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

import { Account } from './account.entity';
import { type AccountChange, applyAccountChange, assertDeletable, openAccount } from './account-rules';
import type { CreateAccountDto } from './dto/create-account.dto';

export interface CreatedAccount {
  account: Account;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

@Injectable()
export class AccountsService {
  constructor(
    @InjectRepository(Account) private readonly accounts: Repository<Account>,
    private readonly serializer: WriteSerializer,
  ) {}

  /** One customer's accounts, for HTTP lists and the customer details alike. */
  list(principal: Principal, customerId: string | undefined): Promise<Account[]> {
    return this.accounts.find({ where: { customerId: targetCustomer(principal, customerId) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async get(principal: Principal, id: string): Promise<Account> {
    return ownedOrNotFound(principal, await this.accounts.findOneBy({ id }), 'account');
  }

  async create(principal: Principal, request: CreateAccountDto, idempotencyKey: string | undefined): Promise<CreatedAccount> {
    const customerId = targetCustomer(principal, request.customerId);
    const { name, balance } = openAccount(request.name, request.balance);
    // Name and balance change later, so a replay is recognised by the request it first came with, not by the account's state.
    const fingerprint = idempotencyKey
      ? createHash('sha256')
          .update(JSON.stringify([customerId, name, request.currency, balance]))
          .digest('hex')
      : null;
    const replay = async () => {
      const earlier = idempotencyKey ? await this.accounts.findOneBy({ customerId, idempotencyKey }) : null;
      if (!earlier) return undefined;
      if (earlier.idempotencyFingerprint !== fingerprint) throw new BusinessRuleError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
      return { account: earlier, replayed: true };
    };
    const earlier = await replay();
    if (earlier) return earlier;

    const now = new Date();
    const account = this.accounts.create({
      id: randomUUID(),
      customerId,
      name,
      currency: request.currency,
      balance,
      version: 1,
      idempotencyKey: idempotencyKey ?? null,
      idempotencyFingerprint: fingerprint,
      createdAt: now,
      updatedAt: now,
    });
    const raced = await insertOrReplayWinner(() => this.serializer.write(() => this.accounts.insert(account)), replay);
    if (raced) return raced;
    return { account: await this.accounts.findOneByOrFail({ id: account.id }), replayed: false };
  }

  /**
   * Applies a deposit, withdrawal or rename to the version the caller read. The conditional UPDATE
   * (`WHERE id AND version`) is what keeps concurrent changes from overwriting each other on PostgreSQL;
   * on SQLite the serializer already runs one write at a time and the condition is a second line of defence.
   */
  change(principal: Principal, id: string, change: AccountChange, expectedVersion: number): Promise<Account> {
    return this.serializer.transaction(async (manager) => {
      const accounts = manager.getRepository(Account);
      const account = ownedOrNotFound(principal, await accounts.findOneBy({ id }), 'account');
      if (account.version !== expectedVersion) throw new VersionConflictError(account.version);
      const { name, balance } = applyAccountChange(account, change);
      return updateAtVersion(accounts, id, expectedVersion, { name, balance, updatedAt: new Date() });
    });
  }

  /** Closes an empty account; one that still holds money stays (409). */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.serializer.transaction(async (manager) => {
      const accounts = manager.getRepository(Account);
      assertDeletable(ownedOrNotFound(principal, await accounts.findOneBy({ id }), 'account'));
      await deleteWhere(accounts, id, 'balance = 0', 'account', assertDeletable);
    });
  }
}
