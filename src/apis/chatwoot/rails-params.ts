/**
 * Rails params for the Chatwoot Platform API: besides JSON, Chatwoot (Rails) reads
 * `application/x-www-form-urlencoded` and `multipart/form-data` bodies, and merges the query
 * string in, with Rails' precedence (path over body over query) and nested keys (`limits[agents]=5`,
 * `a[]=1`). Nested keys are read by `qs` (the parser Express uses for the same syntax), multipart
 * by `@fastify/multipart` (busboy); both are registered in the Chatwoot plugin's scope only, so the
 * other APIs keep answering 415 to anything but JSON. The guards of JSON bodies hold here too: a
 * depth limit, a count of parameters, UTF-8 only, well-formed text.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart, { type MultipartFile, type Multipart } from '@fastify/multipart';
import qs from 'qs';
import { invalid } from '../../identity/errors.js';
import { fieldOf, unreadableBody } from '../shared/json-body.js';
import { findJsonProblem, MAX_BODY_DEPTH } from '../shared/json-guard.js';

/** The most parameters (`a=1` pairs, multipart fields) one request may carry. */
export const MAX_PARAMETERS = 1000;
/** The most elements of one `a[]` array. */
export const MAX_ARRAY = 100;

/** A file of a multipart body, as the services take it. */
export interface UploadedFile {
  filename: string;
  /** As the client declared it; roster checks the content itself. */
  mimetype: string;
  data: Buffer;
  /** The file was longer than the limit: `data` holds only its first bytes. */
  truncated: boolean;
}

export const isUploadedFile = (v: unknown): v is UploadedFile =>
  typeof v === 'object' && v !== null && Buffer.isBuffer((v as UploadedFile).data) && typeof (v as UploadedFile).truncated === 'boolean';

const formError = (code: string, message: string) => invalid(code, message, [{ field: '(body)', message: message.replace(/^The body /, '') }]);

/** Rails' nested-key syntax read from a query string or a form body. Throws a typed 422 when over the limits. */
export function parseRailsParams(text: string): Record<string, unknown> {
  let value: Record<string, unknown>;
  try {
    value = qs.parse(text, {
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

const malformedForm = () => Object.assign(new Error('The body is not valid UTF-8'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });

/**
 * Registers the form and multipart parsers on the Chatwoot plugin's instance. A file of a multipart
 * body is kept in memory up to `fileMaxBytes` (then marked truncated: the avatar rule answers 422).
 */
export async function useRailsBodies(app: FastifyInstance, opts: { fileMaxBytes: number }): Promise<void> {
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
  await app.register(multipart, {
    attachFieldsToBody: true,
    throwFileSizeLimit: false,
    limits: { fileSize: opts.fileMaxBytes, files: 4, fields: MAX_PARAMETERS, parts: MAX_PARAMETERS + 4, fieldSize: 1024 * 1024 },
    onFile: async (part: MultipartFile) => {
      const data = await part.toBuffer();
      const file: UploadedFile = { filename: part.filename, mimetype: part.mimetype, data, truncated: part.file.truncated };
      (part as MultipartFile & { value: unknown }).value = file;
    },
  });
}

/** A multipart body (as @fastify/multipart attached it) as Rails params: fields by qs, files by their name. */
function multipartParams(body: Record<string, Multipart | Multipart[]>): Record<string, unknown> {
  const fields: string[] = [];
  const files: Array<[string, UploadedFile]> = [];
  for (const entry of Object.values(body)) {
    for (const part of Array.isArray(entry) ? entry : [entry]) {
      if (part.type === 'file') {
        const value = (part as MultipartFile & { value?: unknown }).value;
        if (isUploadedFile(value)) files.push([part.fieldname, value]);
      } else if (typeof part.value === 'string') {
        fields.push(`${encodeURIComponent(part.fieldname)}=${encodeURIComponent(part.value)}`);
      }
    }
  }
  const params = parseRailsParams(fields.join('&'));
  // `avatar` or `agent_bot[avatar]`: a file is named by its last key.
  for (const [name, file] of files) params[/\[([^\]]+)\]$/.exec(name)?.[1] ?? name] = file;
  return params;
}

/**
 * A preValidation hook: the body (JSON, form or multipart) merged over the query string's params,
 * as Rails merges them; the path's params are the route's own and win over both.
 */
export async function mergeRailsParams(req: FastifyRequest): Promise<void> {
  let body: unknown = req.body;
  if (req.isMultipart() && body && typeof body === 'object') body = multipartParams(body as Record<string, Multipart | Multipart[]>);
  const q = req.url.indexOf('?');
  const query = q >= 0 ? parseRailsParams(req.url.slice(q + 1)) : {};
  if (body === undefined || body === null) req.body = query;
  else if (typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)) req.body = { ...query, ...(body as Record<string, unknown>) };
  else req.body = body;
}
