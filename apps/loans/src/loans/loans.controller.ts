import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, PrincipalView, entityTag, expectedVersion } from '@trustline/service-runtime';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Scopes } from '@trustline/security';
import type { FastifyReply } from 'fastify';
import { CreateLoanDto } from './dto/create-loan.dto';
import { ListLoansQuery } from './dto/list-loans.query';
import { LoanView } from './dto/loan.view';
import { PayLoanDto } from './dto/pay-loan.dto';
import { LoansService } from './loans.service';

@ApiTags('loans')
@ApiBearerAuth()
@Controller('api/loans')
export class LoansController {
  constructor(private readonly loans: LoansService) {}

  @Scopes('loans:read')
  @Get('me')
  @ApiOkResponse({ type: PrincipalView, description: 'the caller as this service verified it' })
  me(@CurrentPrincipal() principal: Principal): PrincipalView {
    return PrincipalView.of(principal);
  }

  @Scopes('loans:read')
  @Get()
  @ApiOkResponse({ type: [LoanView] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListLoansQuery): Promise<LoanView[]> {
    return (await this.loans.list(principal, query.customerId)).map((loan) => LoanView.of(loan));
  }

  @Scopes('loans:write')
  @Post()
  @ApiHeader({ name: IDEMPOTENCY_KEY_HEADER, required: false, description: 'repeat a create safely: the same key (per customer) returns the first loan' })
  @ApiCreatedResponse({ type: LoanView })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateLoanDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoanView> {
    const { loan, replayed } = await this.loans.create(principal, body, idempotencyKey);
    // A replay answers exactly like the original (201, same loan), marked so the caller can tell.
    if (replayed) reply.header('Idempotent-Replayed', 'true');
    reply.header('ETag', entityTag(loan.version));
    reply.header('Location', `/api/loans/${loan.id}`);
    return LoanView.of(loan);
  }

  @Scopes('loans:read')
  @Get(':id')
  @ApiOkResponse({ type: LoanView })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoanView> {
    const loan = await this.loans.get(principal, id);
    reply.header('ETag', entityTag(loan.version));
    return LoanView.of(loan);
  }

  @Scopes('loans:write')
  @Patch(':id')
  @ApiHeader({ name: 'If-Match', required: false, description: 'the version paid against, e.g. "3" (or send `version` in the body)' })
  @ApiOkResponse({ type: LoanView, description: 'paid; 409 on a stale version, 422 on an overpayment (nothing changed)' })
  async pay(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: PayLoanDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoanView> {
    const loan = await this.loans.pay(principal, id, body.payment, expectedVersion(body.version, ifMatch));
    reply.header('ETag', entityTag(loan.version));
    return LoanView.of(loan);
  }

  @Scopes('loans:write')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'removed; only a fully repaid loan can be (409 otherwise)' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.loans.remove(principal, id);
  }
}
