import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, PrincipalView, entityTag, expectedVersion } from '@trustline/service-runtime';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Scopes } from '@trustline/security';
import type { FastifyReply } from 'fastify';
import { CardsService } from './cards.service';
import { CardView } from './dto/card.view';
import { CreateCardDto } from './dto/create-card.dto';
import { ListCardsQuery } from './dto/list-cards.query';
import { UpdateCardDto } from './dto/update-card.dto';

@ApiTags('cards')
@ApiBearerAuth()
@Controller('api/cards')
export class CardsController {
  constructor(private readonly cards: CardsService) {}

  @Scopes('cards:read')
  @Get('me')
  @ApiOkResponse({ type: PrincipalView, description: 'the caller as this service verified it' })
  me(@CurrentPrincipal() principal: Principal): PrincipalView {
    return PrincipalView.of(principal);
  }

  @Scopes('cards:read')
  @Get()
  @ApiOkResponse({ type: [CardView] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListCardsQuery): Promise<CardView[]> {
    return (await this.cards.list(principal, query.customerId)).map((card) => CardView.of(card));
  }

  @Scopes('cards:write')
  @Post()
  @ApiHeader({ name: IDEMPOTENCY_KEY_HEADER, required: false, description: 'repeat a create safely: the same key (per customer) returns the first card' })
  @ApiCreatedResponse({ type: CardView })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateCardDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardView> {
    const { card, replayed } = await this.cards.create(principal, body, idempotencyKey);
    // A replay answers exactly like the original (201, same card), marked so the caller can tell.
    if (replayed) reply.header('Idempotent-Replayed', 'true');
    reply.header('ETag', entityTag(card.version));
    reply.header('Location', `/api/cards/${card.id}`);
    return CardView.of(card);
  }

  @Scopes('cards:read')
  @Get(':id')
  @ApiOkResponse({ type: CardView })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<CardView> {
    const card = await this.cards.get(principal, id);
    reply.header('ETag', entityTag(card.version));
    return CardView.of(card);
  }

  @Scopes('cards:write')
  @Patch(':id')
  @ApiHeader({ name: 'If-Match', required: false, description: 'the version changed, e.g. "3" (or send `version` in the body)' })
  @ApiOkResponse({ type: CardView, description: 'changed; 409 on a stale version, 422 when 0 ≤ used ≤ limit would break (nothing changed)' })
  async change(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateCardDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CardView> {
    const { version, ...change } = body;
    const card = await this.cards.change(principal, id, change, expectedVersion(version, ifMatch));
    reply.header('ETag', entityTag(card.version));
    return CardView.of(card);
  }

  @Scopes('cards:write')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'closed; only a card with nothing drawn can be (409 otherwise)' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.cards.remove(principal, id);
  }
}
