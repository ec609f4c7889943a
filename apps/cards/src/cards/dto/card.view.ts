import { ApiProperty } from '@nestjs/swagger';
import type { Card } from '../card.entity';

/** A card as the API (and the RPC answer) shows it: amounts in minor units, the number masked. */
export class CardView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() customerId: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty() limit: number;
  @ApiProperty() used: number;
  @ApiProperty({ description: 'limit − used' }) available: number;
  @ApiProperty({ example: '**** **** **** 1234' }) maskedNumber: string;
  @ApiProperty({ description: 'send it back (or as If-Match) when changing the card' }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(card: Card): CardView {
    return Object.assign(new CardView(), {
      id: card.id,
      customerId: card.customerId,
      currency: card.currency,
      limit: card.limit,
      used: card.used,
      available: card.available,
      maskedNumber: card.maskedNumber,
      version: card.version,
      createdAt: card.createdAt.toISOString(),
      updatedAt: card.updatedAt.toISOString(),
    });
  }
}
