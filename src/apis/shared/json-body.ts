/**
 * The one JSON body parser of every API. Fastify's own parser (which refuses __proto__ and
 * constructor.prototype poisoning) turns the text into a value; this one then refuses what the
 * rest of roster must never see: bodies nested deeper than MAX_BODY_DEPTH. Refusals are typed
 * errors, so each API answers them in its own format.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid, type FieldError } from '../../identity/errors.js';
import { findJsonProblem, MAX_BODY_DEPTH, type JsonProblem } from './json-guard.js';

export interface JsonBodyOptions {
  /**
   * An empty body is no body (undefined) rather than malformed JSON: Rails reads an empty
   * application/json body as no params (Chatwoot).
   */
  emptyIsNone?: boolean;
}

/** A path as the APIs name fields: `user.names`, `custom_attributes.a.0`; the body itself is `(body)`. */
export function fieldOf(path: Array<string | number>): string {
  if (path.length === 0) return '(body)';
  return path.map((p) => (typeof p === 'number' ? String(p) : p.slice(0, 64).toWellFormed())).join('.');
}

function problemError(p: JsonProblem) {
  // A structure too deep is named by its top-level field: the full path is as long as the nesting.
  const fields: FieldError[] = [{ field: fieldOf(p.path.slice(0, 1)), message: `is nested too deeply (maximum is ${MAX_BODY_DEPTH} levels)` }];
  return invalid('JSON_TOO_DEEP', `The body is nested too deeply (maximum is ${MAX_BODY_DEPTH} levels)`, fields);
}

/** Replaces the JSON parser of `app` (and the plugins it registers) with roster's. */
export function useJsonBodies(app: FastifyInstance, options: JsonBodyOptions = {}): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (options.emptyIsNone && text.trim() === '') {
      done(null, undefined);
      return;
    }
    void parse(req, text, (err, value: unknown) => {
      if (err) return done(err, undefined);
      const problem = findJsonProblem(value);
      if (problem) return done(problemError(problem), undefined);
      done(null, value);
    });
  });
}
