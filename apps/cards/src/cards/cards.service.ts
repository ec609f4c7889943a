import { createHash, randomInt, randomUUID } from 'node:crypto';
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

import { Card } from './card.entity';
import { applyCardChange, assertDeletable, type CardChange, issueCard, maskCardNumber } from './card-rules';
import type { CreateCardDto } from './dto/create-card.dto';

export interface CreatedCard {
  card: Card;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

@Injectable()
export class CardsService {
  constructor(
    @InjectRepository(Card) private readonly cards: Repository<Card>,
    private readonly serializer: WriteSerializer,
  ) {}

  /** One customer's cards, for HTTP lists and the `cards.by-customer` message alike. */
  list(principal: Principal, customerId: string | undefined): Promise<Card[]> {
    return this.cards.find({ where: { customerId: targetCustomer(principal, customerId) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async get(principal: Principal, id: string): Promise<Card> {
    return ownedOrNotFound(principal, await this.cards.findOneBy({ id }), 'card');
  }

  async create(principal: Principal, request: CreateCardDto, idempotencyKey: string | undefined): Promise<CreatedCard> {
    const customerId = targetCustomer(principal, request.customerId);
    // The limit can change later, so a replay is recognised by the request it first came with, not by the card's state.
    const fingerprint = idempotencyKey
      ? createHash('sha256')
          .update(JSON.stringify([customerId, request.limit, request.currency]))
          .digest('hex')
      : null;
    const replay = async () => {
      const earlier = idempotencyKey ? await this.cards.findOneBy({ customerId, idempotencyKey }) : null;
      if (!earlier) return undefined;
      if (earlier.idempotencyFingerprint !== fingerprint) throw new BusinessRuleError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
      return { card: earlier, replayed: true };
    };
    const earlier = await replay();
    if (earlier) return earlier;

    const { limit, used } = issueCard(request.limit);
    const now = new Date();
    const card = this.cards.create({
      id: randomUUID(),
      customerId,
      currency: request.currency,
      limit,
      used,
      // The card processor holds the PAN; this service only ever learns (here: draws) its last four digits.
      maskedNumber: maskCardNumber(String(randomInt(0, 10_000)).padStart(4, '0')),
      version: 1,
      idempotencyKey: idempotencyKey ?? null,
      idempotencyFingerprint: fingerprint,
      createdAt: now,
      updatedAt: now,
    });
    const raced = await insertOrReplayWinner(() => this.serializer.write(() => this.cards.insert(card)), replay);
    if (raced) return raced;
    return { card: await this.cards.findOneByOrFail({ id: card.id }), replayed: false };
  }

  /**
   * Applies a charge / repayment / limit change to the version the caller read. The conditional UPDATE
   * (`WHERE id AND version`) is what keeps concurrent changes from overwriting each other on PostgreSQL;
   * on SQLite the serializer already runs one write at a time and the condition is a second line of defence.
   */
  change(principal: Principal, id: string, change: CardChange, expectedVersion: number): Promise<Card> {
    return this.serializer.transaction(async (manager) => {
      const cards = manager.getRepository(Card);
      const card = ownedOrNotFound(principal, await cards.findOneBy({ id }), 'card');
      if (card.version !== expectedVersion) throw new VersionConflictError(card.version);
      const { limit, used } = applyCardChange(card, change);
      return updateAtVersion(cards, id, expectedVersion, { limit, used, updatedAt: new Date() });
    });
  }

  /** Closes a card with nothing drawn on it; one with a balance stays (409). */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.serializer.transaction(async (manager) => {
      const cards = manager.getRepository(Card);
      assertDeletable(ownedOrNotFound(principal, await cards.findOneBy({ id }), 'card'));
      await deleteWhere(cards, id, 'used = 0', 'card', assertDeletable);
    });
  }
}
