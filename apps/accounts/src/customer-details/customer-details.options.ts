/** Where and how the customer details reach the other services (from the environment). */
export interface CustomerDetailsOptions {
  /** The loans service's base URL (LOANS_URL). */
  loansUrl: string;
  /** The cards service: its TCP microservice (CARDS_RPC_URL), or NATS when NATS_URL is set. */
  cards: { transport: 'tcp'; host: string; port: number } | { transport: 'nats'; url: string };
  /** How long one downstream call may take, token excluded (default 3 s). */
  timeoutMs?: number;
}

export const CUSTOMER_DETAILS_OPTIONS = Symbol('CUSTOMER_DETAILS_OPTIONS');
/** The @nestjs/microservices ClientProxy that reaches cards. */
export const CARDS_RPC_CLIENT = Symbol('CARDS_RPC_CLIENT');

export const DEFAULT_DOWNSTREAM_TIMEOUT_MS = 3_000;
