/**
 * SQLite only: result rows built in JavaScript from better-sqlite3's raw arrays (issue 15).
 *
 * better-sqlite3 builds each row object in C++: for every column of every row it internalizes the
 * column's name and sets the property through V8's API, which takes the runtime's slow path (a map
 * transition found anew each time, no inline cache). Callgrind on the returning widget user (one
 * select of two rows of sixteen columns) put 16 % of the event loop's instructions per request in
 * that one native function, four times what SQLite itself spent running the statement.
 *
 * Here a statement that returns rows runs in better-sqlite3's raw mode (each row an array), and a
 * builder compiled once per statement turns each array into an object literal with the columns as
 * its keys, in their order: the same objects, built by JIT-compiled code whose object shape V8
 * knows in advance. A statement whose columns this cannot name faithfully keeps better-sqlite3's
 * own objects.
 *
 * A column list is fixed when the statement is prepared, but SQLite re-prepares a statement after a
 * schema change, and `select *` then names the new columns. So every DDL statement run through this
 * connection (migrations), and every ROLLBACK (which can undo one), marks the builders stale, and a
 * row of another length rebuilds its statement's builder too (a column another process added or
 * dropped). Not seen: another process renaming a column while this one runs, which only
 * `select *` would notice (roster's store names its columns, except where it reads whole rows of
 * its own tables; a rename is a migration, and `roster migrate` runs before the new `roster serve`).
 *
 * `iterate` (Kysely's stream(), unused on the hot paths) takes better-sqlite3's own objects: a
 * statement's mode cannot change while it is being iterated.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** The statement interface Kysely's SQLite driver and store/sync.ts use. */
export interface RowStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): BetterSqlite3.RunResult;
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

type Build = (values: unknown[]) => Record<string, unknown>;

/** One per database connection: how many schema changes its statements have run. */
export interface SchemaGeneration {
  value: number;
}

/** Statements that may change column lists: DDL, ATTACH/DETACH, and ROLLBACK (of DDL), after any leading comments. */
const SCHEMA_CHANGE = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:create|alter|drop|attach|detach|rollback)\b/i;

/**
 * A column name an object literal states as an own data property. `__proto__` would set the
 * prototype instead, and better-sqlite3's own rows differ by Node version (on Node 20 its property
 * set gives a null prototype, on Node 24 an own `__proto__` property): such a statement keeps
 * better-sqlite3's rows.
 */
const faithful = (name: string) => name !== '__proto__';

/**
 * The builder for one column list: `(v) => ({ "a": v[0], "b": v[1] })`. Keys are JSON string
 * literals, so any name is quoted safely; a repeated name keeps its first position and its last
 * value, as better-sqlite3's objects do. Undefined where code cannot be generated from strings
 * (node --disallow-code-generation-from-strings): rows then stay better-sqlite3's.
 */
export function rowBuilder(names: readonly string[]): Build | undefined {
  if (!names.every(faithful)) return undefined;
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  try {
    // Code generated from the statement's own column names, once per statement: the one way to give
    // V8 an object literal whose shape it knows before the first row (see the header).
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function('v', `return { ${fields} };`) as Build;
  } catch {
    return undefined;
  }
}

/** `stmt` with its rows built in JavaScript; `stmt` itself when it returns none. */
export function rowStatement(stmt: BetterSqlite3.Statement, schema: SchemaGeneration): RowStatement {
  if (!stmt.reader) {
    if (!SCHEMA_CHANGE.test(stmt.source)) return stmt;
    return {
      reader: false,
      all: (parameters) => stmt.all(parameters),
      run(parameters) {
        schema.value++;
        return stmt.run(parameters);
      },
      iterate: (parameters) => stmt.iterate(parameters),
    };
  }
  let names: string[] = [];
  let build: Build | undefined;
  let generation = schema.value;
  /** Whether the statement is in raw mode now (iterate turns it off for its run). */
  let arrays = false;
  const setRaw = (on: boolean) => {
    if (arrays !== on) stmt.raw(on);
    arrays = on;
  };
  // The columns as SQLite has them now. After a schema change, call it only once the statement has
  // stepped (SQLite re-prepares a statement at its first step after a schema change), and never
  // while it is being iterated (better-sqlite3 refuses).
  const refresh = () => {
    generation = schema.value;
    names = stmt.columns().map((c) => c.name);
    const made = rowBuilder(names);
    setRaw(made !== undefined);
    build = made;
  };
  refresh();
  const stale = () => generation !== schema.value;
  // A row read in raw mode, as an object.
  const toObject = (values: unknown[]): unknown => {
    if (values.length !== names.length || stale()) refresh();
    return build ? build(values) : Object.fromEntries(names.map((n, i) => [n, values[i]]));
  };
  return {
    reader: true,
    all(parameters) {
      setRaw(build !== undefined);
      const rows = stmt.all(parameters);
      if (arrays) for (let i = 0; i < rows.length; i++) rows[i] = toObject(rows[i] as unknown[]);
      if (stale()) refresh();
      return rows;
    },
    run: (parameters) => stmt.run(parameters),
    *iterate(parameters) {
      setRaw(false);
      yield* stmt.iterate(parameters);
      if (stale()) refresh();
    },
  };
}
