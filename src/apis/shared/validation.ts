/**
 * Fastify's default Ajv coerces types everywhere ("1" becomes 1, true becomes "true"). Bodies must
 * be taken as sent, so a wrong type is a 400 that names the field; path and query strings are text
 * by nature and are coerced.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';

/** What Fastify passes a validator beside the data (Ajv's DataValidationCxt, not exported by its index). */
type DataValidationCxt = Parameters<ValidateFunction>[1];
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

function ajv(options: Options): Ajv {
  const instance = new Ajv({ useDefaults: true, allErrors: true, strict: false, ...options });
  addFormats(instance);
  return instance;
}

/**
 * Each route's validators are compiled when the route is first called, not at start (as the
 * response serializers, serialization.ts): most of a deployment's routes are called rarely or
 * never, and compiling them all was 6 % of `roster serve`'s start-up CPU (issue 15).
 */
export function makeValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = ajv({ coerceTypes: false, removeAdditional: false });
  const strings = ajv({ coerceTypes: 'array', removeAdditional: true });
  return ({ schema, httpPart }) => {
    let compiled: ValidateFunction | undefined;
    // Fastify reads `errors` off the function it was given, after calling it; and passes the
    // parent object (so Ajv may replace a root value it coerces) when the function has a
    // `schemaEnv`, as every Ajv-compiled function does.
    const validate = (data: unknown, parent?: DataValidationCxt): boolean => {
      compiled ??= (httpPart === 'body' ? bodies : strings).compile(schema as object);
      const ok = compiled(data, parent);
      validate.errors = compiled.errors;
      return ok;
    };
    validate.errors = undefined as ValidateFunction['errors'];
    validate.schemaEnv = true;
    return validate;
  };
}
