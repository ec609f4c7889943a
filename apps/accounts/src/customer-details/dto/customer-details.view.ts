import { ApiProperty } from '@nestjs/swagger';
import { AccountView } from '../../accounts/dto/account.view';

/** A loan as the loans service reported it (the fields this service passes on). */
export class LoanSummaryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() customerId: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty() amount: number;
  @ApiProperty() paid: number;
  @ApiProperty() outstanding: number;
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

/** A card as the cards service reported it (masked number only). */
export class CardSummaryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() customerId: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty() limit: number;
  @ApiProperty() used: number;
  @ApiProperty() available: number;
  @ApiProperty({ example: '**** **** **** 1234' }) maskedNumber: string;
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export const LOAN_SUMMARY_FIELDS = {
  id: 'string',
  customerId: 'string',
  currency: 'string',
  amount: 'number',
  paid: 'number',
  outstanding: 'number',
  version: 'number',
  createdAt: 'string',
  updatedAt: 'string',
} as const satisfies Record<keyof LoanSummaryView, 'string' | 'number'>;

export const CARD_SUMMARY_FIELDS = {
  id: 'string',
  customerId: 'string',
  currency: 'string',
  limit: 'number',
  used: 'number',
  available: 'number',
  maskedNumber: 'string',
  version: 'number',
  createdAt: 'string',
  updatedAt: 'string',
} as const satisfies Record<keyof CardSummaryView, 'string' | 'number'>;

/** One customer with their accounts (here), loans (from loans, over HTTP) and cards (from cards, over RPC). */
export class CustomerDetailsView {
  @ApiProperty() customerId: string;
  @ApiProperty({ type: [AccountView] }) accounts: AccountView[];
  @ApiProperty({ type: [LoanSummaryView] }) loans: LoanSummaryView[];
  @ApiProperty({ type: [CardSummaryView] }) cards: CardSummaryView[];
}
