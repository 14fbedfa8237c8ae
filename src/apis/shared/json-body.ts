/**
 * The one JSON body parser of every API. It reads only UTF-8 (RFC 8259): another charset, or a
 * content encoding roster does not decode, is a 415, and bytes that are not UTF-8 are malformed
 * JSON (400), never decoded into U+FFFD. Fastify's own parser (which refuses __proto__ and
 * constructor.prototype poisoning) turns the text into a value; this one then refuses what the
 * rest of roster must never see: bodies nested deeper than MAX_BODY_DEPTH, strings or keys that
 * are not well-formed Unicode, and numbers that are not finite (1e309 is read as Infinity). A long body is
 * first scanned for depth from its text (findDeepNesting), so a deep one is refused before it is
 * built. Refusals are typed errors, so each API answers them in its own
 * format (Jelou and Plazbot 400, Chatwoot 422).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid, type FieldError } from '../../identity/errors.js';
import { UnsupportedBody } from './errors.js';
import { findDeepNesting, findJsonProblem, MAX_BODY_DEPTH, PRESCAN_MIN_LENGTH, type JsonProblem } from './json-guard.js';

export interface JsonBodyOptions {
  /**
   * An empty body is no body (undefined) rather than malformed JSON: Rails reads an empty
   * application/json body as no params (Chatwoot).
   */
  emptyIsNone?: boolean;
  /** The media types read as JSON (default application/json; SCIM adds application/scim+json). */
  contentTypes?: string[];
  /** A body limit of these parsers' own (default: the server's). */
  bodyLimit?: number;
  /**
   * The deepest body read (default MAX_BODY_DEPTH). SCIM reads any depth: its parser keeps only the
   * attributes it knows and answers a deep one with its own error (the walk is iterative either way).
   */
  maxDepth?: number;
}

/** A path as the APIs name fields: `user.names`, `custom_attributes.a.0`; the body itself is `(body)`. */
export function fieldOf(path: Array<string | number>): string {
  if (path.length === 0) return '(body)';
  return path.map((p) => (typeof p === 'number' ? String(p) : p.slice(0, 64).toWellFormed())).join('.');
}

function problemError(p: JsonProblem) {
  if (p.kind === 'too_deep') {
    // A structure too deep is named by its top-level field: the full path is as long as the nesting.
    const message = `is nested too deeply (maximum is ${MAX_BODY_DEPTH} levels)`;
    return invalid('JSON_TOO_DEEP', `The body is nested too deeply (maximum is ${MAX_BODY_DEPTH} levels)`, [{ field: fieldOf(p.path.slice(0, 1)), message }]);
  }
  if (p.kind === 'inexact_number') {
    const fields: FieldError[] = [{ field: fieldOf(p.path), message: 'is not a finite number' }];
    return invalid('INVALID_NUMBER', `Invalid body: ${fields[0]!.field} ${fields[0]!.message}`, fields);
  }
  const fields: FieldError[] = [{ field: fieldOf(p.path), message: 'is not well-formed Unicode text' }];
  return invalid('INVALID_TEXT', `Invalid body: ${fields[0]!.field} is not well-formed Unicode text (a lone surrogate)`, fields);
}

const malformed = () => Object.assign(new Error('The body is not valid UTF-8'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });

/** The charset parameter of a Content-Type header, lower-cased and unquoted; undefined when none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() === 'charset')
      return param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return undefined;
}

/** Why roster cannot read this body as sent (a 415), or undefined. */
export function unreadableBody(headers: FastifyRequest['headers']): UnsupportedBody | undefined {
  const charset = charsetOf(headers['content-type']);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new UnsupportedBody('UNSUPPORTED_CHARSET', `The body must be UTF-8 JSON (charset=${charset.slice(0, 40)} is not read)`);
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity' && encoding.trim() !== '') {
    return new UnsupportedBody('UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding ${encoding.slice(0, 40)} is not decoded: send the body uncompressed`);
  }
  return undefined;
}

/** Replaces the JSON parser of `app` (and the plugins it registers) with roster's. */
export function useJsonBodies(app: FastifyInstance, options: JsonBodyOptions = {}): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const types = options.contentTypes ?? ['application/json'];
  for (const type of types) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  const parserOptions = { parseAs: 'buffer' as const, ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }) };
  app.addContentTypeParser(types, parserOptions, (req: FastifyRequest, body: string | Buffer, done) => {
    const refused = unreadableBody(req.headers);
    if (refused) return done(refused, undefined);
    if (typeof body !== 'string' && !isUtf8(body)) return done(malformed(), undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (options.emptyIsNone && text.trim() === '') return done(null, undefined);
    const maxDepth = options.maxDepth ?? MAX_BODY_DEPTH;
    // A long body too deep is refused from its text, before JSON.parse builds it.
    const deep = text.length >= PRESCAN_MIN_LENGTH ? findDeepNesting(text, maxDepth) : undefined;
    if (deep) return done(problemError({ kind: 'too_deep', path: deep }), undefined);
    void parse(req, text, (err, value: unknown) => {
      if (err) return done(err, undefined);
      const problem = findJsonProblem(value, maxDepth);
      if (problem) return done(problemError(problem), undefined);
      done(null, value);
    });
  });
}
