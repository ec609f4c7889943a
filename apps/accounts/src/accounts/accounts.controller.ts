import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, PrincipalView, entityTag, expectedVersion } from '@trustline/service-runtime';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Scopes } from '@trustline/security';
import type { FastifyReply } from 'fastify';
import { AccountsService } from './accounts.service';
import { AccountView } from './dto/account.view';
import { CreateAccountDto } from './dto/create-account.dto';
import { ListAccountsQuery } from './dto/list-accounts.query';
import { UpdateAccountDto } from './dto/update-account.dto';

@ApiTags('accounts')
@ApiBearerAuth()
@Controller('api/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Scopes('accounts:read')
  @Get('me')
  @ApiOkResponse({ type: PrincipalView, description: 'the caller as this service verified it' })
  me(@CurrentPrincipal() principal: Principal): PrincipalView {
    return PrincipalView.of(principal);
  }

  @Scopes('accounts:read')
  @Get()
  @ApiOkResponse({ type: [AccountView] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListAccountsQuery): Promise<AccountView[]> {
    return (await this.accounts.list(principal, query.customerId)).map((account) => AccountView.of(account));
  }

  @Scopes('accounts:write')
  @Post()
  @ApiHeader({ name: IDEMPOTENCY_KEY_HEADER, required: false, description: 'repeat a create safely: the same key (per customer) returns the first account' })
  @ApiCreatedResponse({ type: AccountView })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateAccountDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountView> {
    const { account, replayed } = await this.accounts.create(principal, body, idempotencyKey);
    // A replay answers exactly like the original (201, same account), marked so the caller can tell.
    if (replayed) reply.header('Idempotent-Replayed', 'true');
    reply.header('ETag', entityTag(account.version));
    reply.header('Location', `/api/accounts/${account.id}`);
    return AccountView.of(account);
  }

  @Scopes('accounts:read')
  @Get(':id')
  @ApiOkResponse({ type: AccountView })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<AccountView> {
    const account = await this.accounts.get(principal, id);
    reply.header('ETag', entityTag(account.version));
    return AccountView.of(account);
  }

  @Scopes('accounts:write')
  @Patch(':id')
  @ApiHeader({ name: 'If-Match', required: false, description: 'the version changed, e.g. "3" (or send `version` in the body)' })
  @ApiOkResponse({ type: AccountView, description: 'changed; 409 on a stale version, 422 when a withdrawal exceeds the balance (nothing changed)' })
  async change(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateAccountDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountView> {
    const { deposit, withdraw, name } = body;
    const account = await this.accounts.change(principal, id, { deposit, withdraw, name }, expectedVersion(body.version, ifMatch));
    reply.header('ETag', entityTag(account.version));
    return AccountView.of(account);
  }

  @Scopes('accounts:write')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'closed; only an empty account can be (409 otherwise)' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.accounts.remove(principal, id);
  }
}
