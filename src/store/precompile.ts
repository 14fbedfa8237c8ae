/**
 * A query built and compiled once per database, then run with new parameter values. Kysely's
 * builder (AST, freezing, compiling) costs more than the indexed SQLite lookup it describes, so the
 * hot path compiles its query once. The SQL still comes from Kysely, for whichever dialect is open.
 * On PostgreSQL a precompiled query runs as a named prepared statement (db.ts): parsed and planned
 * once per connection rather than on every call, which halves the database's work for the widget
 * lookup (issue 15). Only these: their texts are few and fixed, so what each connection keeps
 * prepared is bounded.
 */
import { hash } from 'node:crypto';
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A precompiled query: run it (async, on any executor), or get the statement to run it elsewhere (sync.ts). */
export interface Precompiled<K extends string, R> {
  (db: Kysely<Database>, values: Record<K, unknown>): Promise<R[]>;
  /** The compiled statement with these values bound, for `db`'s dialect. */
  query(db: Kysely<Database>, values: Record<K, unknown>): CompiledQuery<R>;
}

/** The columns of table `T` that the list `L` does not name: never when it names them all. */
export type MissingColumns<T, L extends readonly unknown[]> = Exclude<keyof T, L[number]>;

/** The SQL text of every precompiled query, and the name it is prepared under on PostgreSQL. */
const preparedNames = new Map<string, string>();

/** The prepared-statement name of a precompiled query's text; undefined for any other query. */
export const preparedName = (sql: string): string | undefined => preparedNames.get(sql);

export function precompile<K extends string, R>(
  names: readonly K[],
  build: (db: Kysely<Database>, placeholders: Record<K, string>) => Compilable<R>,
): Precompiled<K, R> {
  const compiled = new WeakMap<Kysely<Database>, { sql: string; order: K[] }>();
  const query = (db: Kysely<Database>, values: Record<K, unknown>): CompiledQuery<R> => {
    let c = compiled.get(db);
    if (!c) {
      const placeholders = Object.fromEntries(names.map((n, i) => [n, `\u0000placeholder:${i}`])) as Record<K, string>;
      const q = build(db, placeholders).compile();
      const order = q.parameters.map((p) => {
        const name = names.find((n) => placeholders[n] === p);
        if (name === undefined) throw new Error(`precompile: parameter ${String(p)} is not a placeholder`);
        return name;
      });
      c = { sql: q.sql, order };
      compiled.set(db, c);
      // Named from the SQL text, so that a name means the same statement in every process: behind
      // a pooler, a server connection may hold another node's statement under that name.
      if (!preparedNames.has(c.sql)) preparedNames.set(c.sql, `roster_${hash('sha1', c.sql, 'hex').slice(0, 16)}`);
    }
    return CompiledQuery.raw(
      c.sql,
      c.order.map((k) => values[k]),
    );
  };
  const run = async (db: Kysely<Database>, values: Record<K, unknown>): Promise<R[]> => (await db.executeQuery<R>(query(db, values))).rows;
  return Object.assign(run, { query });
}
