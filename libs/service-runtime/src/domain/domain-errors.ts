/**
 * Failures the domain and the access policy report, each with the HTTP status it means. They are plain
 * errors (not Nest HttpExceptions) so the same rule answers an HTTP request and an RPC message alike:
 * DomainErrorFilter turns them into JSON for either.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;

  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Absent, or owned by someone the caller may not act for: the two look the same (no existence oracle). */
export class ResourceNotFoundError extends DomainError {
  readonly status = 404;
  constructor(resource: string) {
    super('not_found', `${resource} not found`);
  }
}

export class InvalidRequestError extends DomainError {
  readonly status = 400;
  constructor(message: string) {
    super('invalid_request', message);
  }
}

/** A user naming another customer's id on a list or create. */
export class ForeignCustomerError extends DomainError {
  readonly status = 403;
  constructor() {
    super('forbidden', 'a customer may only act on their own data');
  }
}

/** An update that does not say which version it was computed from (RFC 6585 §3). */
export class VersionRequiredError extends DomainError {
  readonly status = 428;
  constructor() {
    super('precondition_required', 'send the current version (body field "version" or an If-Match header)');
  }
}

/** The resource changed since the caller read it: re-read and retry. */
export class VersionConflictError extends DomainError {
  readonly status = 409;
  constructor(currentVersion?: number) {
    super('version_conflict', 'the resource was changed by another request; re-read it and retry', currentVersion === undefined ? {} : { currentVersion });
  }
}

/** The state of the resource forbids the operation (e.g. deleting a loan that is not repaid, a card with a balance). */
export class StateConflictError extends DomainError {
  readonly status = 409;
}

/** Well-formed, but breaks a money rule (e.g. an overpayment, a charge beyond the limit): nothing was changed. */
export class BusinessRuleError extends DomainError {
  readonly status = 422;
}
