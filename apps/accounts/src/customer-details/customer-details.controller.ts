import { Controller, Get, Headers, Param } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Scopes } from '@trustline/security';
import { CustomerDetailsService } from './customer-details.service';
import { CustomerDetailsParams } from './dto/customer-details.params';
import { CustomerDetailsView } from './dto/customer-details.view';
import { traceHeaders } from './trace-headers';

@ApiTags('customer details')
@ApiBearerAuth()
@Controller('api/accounts/customers')
export class CustomerDetailsController {
  constructor(private readonly details: CustomerDetailsService) {}

  // The answer holds loans and cards: the caller needs their read scopes too (granted on this audience
  // only to whoever may read loans and cards), or this service's own tokens would launder privilege.
  @Scopes('accounts:read', 'loans:read', 'cards:read')
  @Get(':customerId/details')
  @ApiOkResponse({ type: CustomerDetailsView, description: "the customer's accounts, loans and cards; users may only ask for themselves (403 otherwise)" })
  @ApiForbiddenResponse({ description: "`insufficient_scope` without all of accounts:read, loans:read and cards:read; or another customer's details for a user" })
  @ApiBadGatewayResponse({ description: '`bad_gateway`: loans or cards failed, timed out or refused this service' })
  @ApiServiceUnavailableResponse({ description: '`m2m_unavailable`: this service has no M2M credentials, or no token could be obtained' })
  get(@CurrentPrincipal() principal: Principal, @Param() params: CustomerDetailsParams, @Headers() headers: Record<string, unknown>): Promise<CustomerDetailsView> {
    return this.details.details(principal, params.customerId, traceHeaders(headers));
  }
}
