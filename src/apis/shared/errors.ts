/**
 * Turns anything a request can throw into one classified error. Each API renders the result
 * in its own body format; the status code rules live here once.
 */
import type { FastifyError } from 'fastify';
import { DomainError, type ErrorKind, type FieldError } from '../../identity/errors.js';
import { isInvalidText, isUnavailable } from '../../store/errors.js';

export interface Classified {
  status: number;
  kind: ErrorKind | 'too_large' | 'unsupported_media_type' | 'route_not_found' | 'internal';
  code: string;
  message: string;
  fields: FieldError[];
  retryAfter?: number | undefined;
}

/** A body roster cannot read as sent: a charset other than UTF-8, a content encoding it does not decode. */
export class UnsupportedBody extends Error {
  override readonly name = 'UnsupportedBody';
  constructor(
    readonly code: 'UNSUPPORTED_CHARSET' | 'UNSUPPORTED_CONTENT_ENCODING',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A body (or query string) roster cannot parse: multipart data cut short or without its boundary,
 * bytes that are not UTF-8, a broken %-escape. A 400 on every API, as Rails answers a body it
 * cannot parse; the message says what is wrong and is safe to show.
 */
export class MalformedBody extends Error {
  override readonly name = 'MalformedBody';
  constructor(
    readonly code: 'MALFORMED_BODY' | 'INVALID_PERCENT_ENCODING',
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP status of each kind of domain error, on every API and on the console's pages. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/user/id` -> `user.id`; a missing property is named by its own path. */
export function fieldErrorsFromValidation(issues: AjvIssue[], context: string | undefined): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    let path = (issue.instancePath ?? '').split('/').filter(Boolean).map(decodePointer);
    const params = issue.params ?? {};
    if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = [...path, params.missingProperty];
    } else if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = [...path, params.additionalProperty];
    }
    const field = path.join('.') || (context === 'body' ? '(body)' : (context ?? '(request)'));
    const message =
      issue.keyword === 'required' ? 'is required' : issue.keyword === 'additionalProperties' ? 'is not allowed' : (issue.message ?? 'is invalid');
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out;
}

const decodePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

export function classifyError(err: unknown): Classified {
  if (err instanceof DomainError) {
    return { status: STATUS_OF_KIND[err.kind], kind: err.kind, code: err.code, message: err.message, fields: err.fields, retryAfter: err.retryAfter };
  }
  if (err instanceof UnsupportedBody) return { status: 415, kind: 'unsupported_media_type', code: err.code, message: err.message, fields: [] };
  if (err instanceof MalformedBody) return { status: 400, kind: 'invalid', code: err.code, message: err.message, fields: [] };
  const fe = err as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const fields = fieldErrorsFromValidation(fe.validation, fe.validationContext);
    return {
      status: 400,
      kind: 'invalid',
      code: 'VALIDATION_FAILED',
      message: `Invalid ${fe.validationContext ?? 'request'}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`,
      fields,
    };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, kind: 'invalid', code: 'MALFORMED_JSON', message: 'The body is not valid JSON', fields: [] };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, kind: 'too_large', code: 'PAYLOAD_TOO_LARGE', message: 'The body is larger than 1 MiB', fields: [] };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? { status: 415, kind: 'unsupported_media_type', code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The body must be application/json', fields: [] }
        : { status: 400, kind: 'invalid', code: 'INVALID_CONTENT_LENGTH', message: 'Content-Length does not match the body', fields: [] };
  }
  // The database refused a character (NUL, or bytes invalid in the encoding) that the rules let
  // through: the client's input, so a 400 on every store rather than a 500 on one.
  if (isInvalidText(err)) {
    return {
      status: 400,
      kind: 'invalid',
      code: 'INVALID_CHARACTERS',
      message: 'The request contains characters that cannot be stored (such as NUL)',
      fields: [],
    };
  }
  if (isUnavailable(err)) {
    return {
      status: 503,
      kind: 'unavailable',
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database is unavailable; try again shortly',
      fields: [],
      retryAfter: 1,
    };
  }
  // Other client errors Fastify raises itself (prototype poisoning, bad headers...) keep their 4xx.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, kind: 'invalid', code: 'BAD_REQUEST', message: 'The request is malformed', fields: [] };
  }
  return { status: 500, kind: 'internal', code: 'INTERNAL_ERROR', message: 'Internal server error', fields: [] };
}
