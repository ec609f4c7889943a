import { CUSTOMER_ID_PATTERN, InvalidRequestError } from '@trustline/service-runtime';
import { plainToInstance } from 'class-transformer';
import { IsString, Matches, validateSync } from 'class-validator';

/** The `data` of a `cards.by-customer` message. */
export class CardsByCustomerRequest {
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1–128 letters, digits or . _ : @ -' })
  customerId: string;

  /**
   * Validates a message's data with the same rules as the HTTP DTOs (the HTTP ValidationPipe does not see
   * it: the payload is an envelope, and only its `data` is the request).
   */
  static parse(data: unknown): CardsByCustomerRequest {
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InvalidRequestError('data must be an object with customerId');
    const request = plainToInstance(CardsByCustomerRequest, data);
    const errors = validateSync(request, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw new InvalidRequestError(errors.flatMap((error) => Object.values(error.constraints ?? {})).join('; '));
    return request;
  }
}
