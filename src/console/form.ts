/**
 * A console form's fields (a form body or a query string) as single strings. The form and query
 * parsers turn a field sent twice (`q=a&q=b`) into an array; every page reads its fields through
 * `fieldsOf`, which hands back only the fields it names, each absent or one string, and refuses
 * anything else with a 400 page before the page reads or writes anything.
 */
import { invalid } from '../identity/errors.js';

export type Fields<K extends string> = { readonly [P in K]?: string };

const refused = (name: string) =>
  invalid('INVALID_FORM_FIELD', `The field "${name.slice(0, 64)}" must be sent once, as text.`, [{ field: name, message: 'once, as text' }]);

/** The named fields of `source` (req.body or req.query): each undefined when absent, else its one string value. */
export function fieldsOf<K extends string>(source: unknown, names: readonly K[]): Fields<K> {
  const out: { [P in K]?: string } = {};
  if (source === undefined || source === null) return out;
  if (typeof source !== 'object' || Array.isArray(source)) throw invalid('INVALID_FORM', 'The form could not be read.');
  for (const name of names) {
    if (!Object.hasOwn(source, name)) continue;
    const value: unknown = (source as Record<string, unknown>)[name];
    if (typeof value !== 'string') throw refused(name);
    out[name] = value;
  }
  return out;
}
