/**
 * PostgreSQL: many rows in one statement as one array per column. The statement's text is then
 * one fixed prepared statement whatever the number of rows (precompile.ts), where a multi-row
 * VALUES list would be a new text for every count.
 */
import { sql, type RawBuilder } from 'kysely';

/**
 * `select <columns> from unnest($1::type[], ...) with ordinality ... order by` the position: the
 * rows of the column arrays, in the order given (an insert from it takes its ids in that order).
 */
export const unnestRows = <K extends string>(columns: readonly K[], types: Record<K, string>, p: Record<K, string>): RawBuilder<Record<K, unknown>> => {
  const names = sql.join(columns.map((c) => sql.ref(c)));
  return sql<
    Record<K, unknown>
  >`select ${names} from unnest(${sql.join(columns.map((c) => sql`${p[c]}::${sql.raw(types[c])}[]`))}) with ordinality as t(${names}, i) order by i`;
};

/** Rows as one array per column (a missing value as null). */
export function columnsOf<K extends string>(columns: readonly K[], rows: ReadonlyArray<Record<K, unknown>>): Record<K, unknown[]> {
  const out = {} as Record<K, unknown[]>;
  for (const c of columns) out[c] = rows.map((r) => r[c] ?? null);
  return out;
}
