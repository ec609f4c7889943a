import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { InvalidRequestError } from './domain-errors';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The optional Idempotency-Key of a create: 1–128 visible ASCII characters, sent once. */
export function parseIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY_PATTERN.test(value)) {
    throw new InvalidRequestError(`${IDEMPOTENCY_KEY_HEADER} must be one header of 1 to 128 visible ASCII characters`);
  }
  return value;
}

/**
 * Reads and validates the Idempotency-Key header. Nest runs no pipes on headers, so the check lives here.
 * @example `create(@IdempotencyKey() key: string | undefined) {}`
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  parseIdempotencyKey(context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['idempotency-key']),
);
