/**
 * Fastify's default Ajv coerces types everywhere ("1" becomes 1, true becomes "true"). Bodies must
 * be taken as sent, so a wrong type is a 400 that names the field; path and query strings are text
 * by nature and are coerced.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

function ajv(options: Options): Ajv {
  const instance = new Ajv({ useDefaults: true, allErrors: true, strict: false, ...options });
  addFormats(instance);
  return instance;
}

export function makeValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = ajv({ coerceTypes: false, removeAdditional: false });
  const strings = ajv({ coerceTypes: 'array', removeAdditional: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema as object);
}
