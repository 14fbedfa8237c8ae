/**
 * Rails params for the Chatwoot Platform API: besides JSON, Chatwoot (Rails) reads
 * `application/x-www-form-urlencoded` and `multipart/form-data` bodies, and merges the query
 * string in, with Rails' precedence (path over body over query) and nested keys (`limits[agents]=5`,
 * `a[]=1`). Nested keys are read by `qs` (the parser Express uses for the same syntax), with a strict
 * %-decoder; multipart parts are split by Dicer (busboy's splitter) and read by `multipart.ts`. Both
 * parsers are registered in the Chatwoot plugin's scope only, so the other APIs keep answering 415
 * to anything but JSON. The guards of JSON bodies hold here too: a depth limit, a count of
 * parameters, UTF-8 only, well-formed text. What cannot be parsed is a 400 (Rails' answer to a body
 * or query string it cannot parse), never a 500, and never stored as text it was not.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import qs from 'qs';
import { invalid } from '../../identity/errors.js';
import { MalformedBody } from '../shared/errors.js';
import { fieldOf, unreadableBody } from '../shared/json-body.js';
import { findJsonProblem, MAX_BODY_DEPTH } from '../shared/json-guard.js';
import { readMultipart, type MultipartBody, type UploadedFile } from './multipart.js';

export type { UploadedFile } from './multipart.js';

/** The most parameters (`a=1` pairs, multipart fields) one request may carry. */
export const MAX_PARAMETERS = 1000;
/** The most elements of one `a[]` array. */
export const MAX_ARRAY = 100;

export const isUploadedFile = (v: unknown): v is UploadedFile =>
  typeof v === 'object' && v !== null && Buffer.isBuffer((v as UploadedFile).data) && typeof (v as UploadedFile).truncated === 'boolean';

const formError = (code: string, message: string) => invalid(code, message, [{ field: '(body)', message: message.replace(/^The body /, '') }]);

/** Thrown by the strict decoder; parseRailsParams turns it into the 400 of its source. */
class BadEscape extends Error {}

/**
 * qs's decoder, strict: `+` is a space and %-escapes must spell UTF-8 (`%FF`, an overlong `%C0%AF`,
 * an encoded surrogate `%ED%A0%80`, a cut `%E0%A4%A` or a lone `%` are refused, as Rack refuses them)
 * where qs's own decoder keeps the text as sent. Text without `%` costs one scan, as before.
 */
function strictDecoder(str: string): string {
  const text = str.includes('+') ? str.replace(/\+/g, ' ') : str;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadEscape();
  }
}

/**
 * Rails' nested-key syntax read from a query string or a form body. Throws a typed 422 when over
 * the limits, a 400 for a %-escape that is not UTF-8.
 */
export function parseRailsParams(text: string, source: 'body' | 'query' = 'body'): Record<string, unknown> {
  let value: Record<string, unknown>;
  try {
    value = qs.parse(text, {
      decoder: strictDecoder,
      depth: MAX_BODY_DEPTH,
      strictDepth: true,
      parameterLimit: MAX_PARAMETERS,
      throwOnLimitExceeded: true,
      arrayLimit: MAX_ARRAY,
      allowPrototypes: false,
      // The stray-key forms Rails ignores must not reach Object.prototype either.
      plainObjects: true,
    });
  } catch (err) {
    if (err instanceof BadEscape) {
      throw new MalformedBody(
        'INVALID_PERCENT_ENCODING',
        `The ${source === 'query' ? 'query string' : 'body'} has an invalid %-encoding (a %-escape that is not UTF-8, or a % without two hex digits)`,
      );
    }
    if (err instanceof RangeError) {
      if (/depth/i.test(err.message)) return thrown(formError('FORM_TOO_DEEP', `The body is nested too deeply (maximum is ${MAX_BODY_DEPTH} levels)`));
      return thrown(formError('FORM_TOO_MANY_PARAMETERS', `The body has too many parameters (maximum is ${MAX_PARAMETERS}, ${MAX_ARRAY} per array)`));
    }
    throw err;
  }
  const problem = findJsonProblem(value, MAX_BODY_DEPTH);
  if (problem) throw invalid('INVALID_TEXT', 'Invalid body', [{ field: fieldOf(problem.path), message: 'is not well-formed Unicode text' }]);
  // qs makes objects without a prototype: the rest of roster expects plain ones.
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

const thrown = (err: Error): never => {
  throw err;
};

const malformedForm = () => new MalformedBody('MALFORMED_BODY', 'The body is not valid UTF-8');

/** The most bytes of all the fields of a multipart body (files aside): the limit of a JSON or form body. */
export const MAX_MULTIPART_FIELD_BYTES = 1024 * 1024;

/**
 * Registers the form and multipart parsers on the Chatwoot plugin's instance. A file of a multipart
 * body is kept in memory up to `fileMaxBytes` (then marked truncated: the avatar rule answers 422).
 */
export function useRailsBodies(app: FastifyInstance, opts: { fileMaxBytes: number }): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req: FastifyRequest, body: string | Buffer, done) => {
    const refused = unreadableBody(req.headers);
    if (refused) return done(refused, undefined);
    if (typeof body !== 'string' && !isUtf8(body)) return done(malformedForm(), undefined);
    try {
      done(null, parseRailsParams(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // multipart/form-data, read part by part (multipart.ts): its fields as a form's, its files by name.
  app.addContentTypeParser('multipart/form-data', (req: FastifyRequest, payload, done) => {
    const refused = unreadableBody(req.headers);
    if (refused) {
      payload.resume();
      return done(refused, undefined);
    }
    readMultipart(payload, req.headers['content-type'] ?? '', {
      fields: MAX_PARAMETERS,
      files: 4,
      fieldBytes: MAX_MULTIPART_FIELD_BYTES,
      fileMaxBytes: opts.fileMaxBytes,
    }).then(
      (body) => {
        let params: Record<string, unknown>;
        try {
          params = multipartParams(body);
        } catch (err) {
          return done(err as Error, undefined);
        }
        done(null, params);
      },
      (err: Error) => done(err, undefined),
    );
  });
}

/** A multipart body as Rails params: fields by qs (as a form's), files by their name. */
function multipartParams({ fields, files }: MultipartBody): Record<string, unknown> {
  // Decoded text, encoded again for qs: encodeURIComponent cannot fail on it (strictly decoded UTF-8).
  const params = parseRailsParams(fields.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&'));
  // `avatar` or `agent_bot[avatar]`: a file is named by its last key.
  for (const [name, file] of files) params[/\[([^\]]+)\]$/.exec(name)?.[1] ?? name] = file;
  return params;
}

/**
 * A preValidation hook: the body (JSON, form or multipart) merged over the query string's params,
 * as Rails merges them; the path's params are the route's own and win over both.
 */
export async function mergeRailsParams(req: FastifyRequest): Promise<void> {
  const body: unknown = req.body;
  const q = req.url.indexOf('?');
  const query = q >= 0 ? parseRailsParams(req.url.slice(q + 1), 'query') : {};
  if (body === undefined || body === null) req.body = query;
  else if (typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)) req.body = { ...query, ...(body as Record<string, unknown>) };
  else req.body = body;
}
