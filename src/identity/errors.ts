/**
 * Domain errors: what went wrong, in terms every API can map to its own status and body.
 * core throws these; nothing in core knows about HTTP.
 */
export type ErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited' | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: ErrorKind,
    /** Stable, machine-readable: SCREAMING_SNAKE_CASE. */
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    /** Seconds until a retry may succeed (rate limits). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const invalid = (code: string, message: string, fields: FieldError[] = []) => new DomainError('invalid', code, message, fields);
export const unauthorized = (code = 'UNAUTHORIZED', message = 'Missing or invalid credentials') => new DomainError('unauthorized', code, message);
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message);
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string, fields: FieldError[] = []) => new DomainError('conflict', code, message, fields);
export const unprocessable = (code: string, message: string, fields: FieldError[] = []) => new DomainError('unprocessable', code, message, fields);
export const rateLimited = (code: string, message: string, retryAfterSeconds: number) => new DomainError('rate_limited', code, message, [], retryAfterSeconds);
export const unavailable = (message = 'The service is temporarily unavailable; try again shortly') =>
  new DomainError('unavailable', 'SERVICE_UNAVAILABLE', message);
