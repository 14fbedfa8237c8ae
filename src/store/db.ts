/**
 * Opens the database named by a URL: `sqlite:<path>` (embedded, the default) or
 * `postgres://...` / `postgresql://...`. Both go through Kysely, so every query in store/ runs on both.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, sql, PostgresDialect, SqliteDialect, type Dialect, type Driver } from 'kysely';
import type pgModule from 'pg';
import { createRequire } from 'node:module';
import { checkpointInBackground } from './checkpoints.js';
import type { Database } from './schema.js';
import { translatingDialect } from './translate.js';
import { enableSyncTransactions } from './sync.js';
import { preparedName } from './precompile.js';
import { rowStatement, type RowStatement, type SchemaGeneration } from './sqlite-rows.js';

export type DbKind = 'sqlite' | 'postgres';

export interface DbOptions {
  /** PostgreSQL: most connections this process opens. */
  poolSize?: number;
  /**
   * PostgreSQL: statement_timeout in milliseconds (0 = none). The client also gives up on a query
   * that has had no answer a second after that (a dead network never delivers the server's cancel).
   */
  statementTimeoutMs?: number;
  /**
   * PostgreSQL: the server ends a session whose transaction has sat idle this long (its locks go
   * with it). Default: the statement timeout, at least 10 s (none when there is no statement
   * timeout), so that a busy event loop's pauses never cut a healthy transaction short.
   */
  idleInTransactionTimeoutMs?: number;
  /** PostgreSQL: how long to wait for a new connection, or for a free one in a full pool. */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL: this pool's commits return before the server has flushed them to disk
   * (synchronous_commit = off): a crash of the server can lose the last fraction of a second of
   * them, never corrupt anything. Only for work that is done again when its commit is lost: the
   * webhook queue's claims and outcomes (a lost one means a delivery sent again).
   */
  asyncCommit?: boolean;
  /** PostgreSQL: the application_name its connections show in pg_stat_activity. */
  applicationName?: string;
  /** SQLite: how long a write waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** SQLite in a file: WAL checkpoints in a thread of their own (store/checkpoints.ts); `roster serve` sets it. */
  backgroundCheckpoints?: boolean;
  /** Wraps the driver's dialect (inside error translation): tests interpose on statements with it. */
  wrapDialect?: (dialect: Dialect) => Dialect;
}

export interface Db {
  kind: DbKind;
  /** The query builder every store function is given (or a transaction of it). */
  kysely: Kysely<Database>;
  /** For logs: the URL with any password removed. */
  safeUrl: string;
  /**
   * Called with connection errors that no query is waiting for (an idle pooled connection dropped
   * by the server or the network). They never crash the process; set this to log them.
   */
  onConnectionError: (err: Error) => void;
  /** PostgreSQL: the pool's connections right now, for metrics. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  /**
   * SQLite: from now on, SQLite's temporary data lives in memory (`temp_store = MEMORY`), first of
   * all the sub-journal. SQLite copies each page that a savepoint or a multi-row statement changes
   * into it, and past 64 KiB moves it to a temporary file and writes every further page there with a
   * system call of its own. A group commit of new widget users (a savepoint each, sync.ts) crossed
   * that in its second unit: 119 µs of a new user's 585 on the event loop went to those writes (issue
   * 15, bench/README.md round ten). The sub-journal is emptied when a unit's savepoint is released,
   * so it holds one unit's pages at a time. The price: SQLite's sorts and temporary tables never
   * spill to disk either, so this is for a connection whose queries sort by indexes (the server's),
   * not for one that may sort a whole large table (a migration building an index): `roster serve`
   * calls it once it has migrated; the CLI never does.
   * Absent on PostgreSQL.
   */
  keepTemporaryDataInMemory?: () => void;
  close(): Promise<void>;
}

export class DatabaseUrlError extends Error {}

/**
 * After a bulk load (an import): has PostgreSQL sample these tables now, so that the plans of every
 * connection (cached plans are replaced when their tables are analyzed) see the new size at once
 * rather than after autovacuum's next turn. Best effort, one table at a time: the rows are already
 * committed, and a table that cannot be analyzed now (a lock held by a vacuum, the statement
 * timeout) is left to autovacuum. SQLite: nothing; roster never gathers statistics there (no
 * sqlite_stat1), so its plans do not depend on a table's size.
 */
export async function refreshStatistics(db: Db, tables: ReadonlyArray<keyof Database>): Promise<void> {
  if (db.kind !== 'postgres') return;
  for (const t of tables) {
    try {
      await sql`analyze ${sql.table(t)}`.execute(db.kysely);
    } catch {
      // Left to autovacuum.
    }
  }
}

/** One round trip to the database: what readiness checks ask. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}

export function parseDatabaseUrl(url: string): { kind: DbKind; target: string } {
  if (url.startsWith('sqlite:')) {
    const target = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (target === '') throw new DatabaseUrlError('DATABASE_URL sqlite: needs a path, e.g. sqlite:./data/roster.db');
    return { kind: 'sqlite', target };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { kind: 'postgres', target: url };
  }
  throw new DatabaseUrlError(`DATABASE_URL must start with sqlite: or postgres:// (got "${redactUrl(url)}")`);
}

/** Removes the password from a URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

const wrap = (options: DbOptions, dialect: Dialect): Dialect => options.wrapDialect?.(dialect) ?? dialect;

/**
 * Kysely's SQLite dialect with every transaction begun IMMEDIATE: the write lock taken at BEGIN,
 * waiting busy_timeout for it, as the synchronous path's transactions do (sync.ts). Begun DEFERRED,
 * a transaction that reads first (a row "locked" by forUpdate, a plain SELECT here) and then
 * writes fails at once with SQLITE_BUSY if another process (the CLI beside `roster serve`)
 * committed in between: its snapshot can no longer become a write, and busy_timeout does not
 * apply. In one process nothing changes: Kysely runs one transaction at a time on its one connection.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

export function openDb(url: string, options: DbOptions = {}): Db {
  const { kind, target } = parseDatabaseUrl(url);
  return kind === 'sqlite' ? openSqlite(target, options) : openPostgres(target, options);
}

function openSqlite(path: string, options: DbOptions): Db {
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const raw = new SqliteDatabase(memory ? ':memory:' : path);
  // exec, not pragma(): pragma() prepares a throwaway Statement (see pinnedStatements).
  const busyTimeout = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  raw.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${busyTimeout}; PRAGMA foreign_keys = ON;`);
  const statements = pinnedStatements(raw);
  const db = new Kysely<Database>({ dialect: translatingDialect(wrap(options, new ImmediateSqliteDialect({ database: statements }))) });
  // A statement hook (tests) sees every statement only on Kysely's path: no synchronous one then.
  if (options.wrapDialect === undefined) enableSyncTransactions(db, { raw, prepare: statements.prepare });
  const opened: Db = {
    kind: 'sqlite',
    kysely: db,
    safeUrl: `sqlite:${path}`,
    onConnectionError: () => {},
    close: () => db.destroy(),
    keepTemporaryDataInMemory: () => void raw.exec('PRAGMA temp_store = MEMORY'),
  };
  if (options.backgroundCheckpoints && !memory) {
    const checkpoints = checkpointInBackground(raw, path, {
      onError: (err) => opened.onConnectionError(new Error(`the WAL checkpoint thread stopped; checkpoints are back on the event loop: ${err.message}`)),
    });
    opened.close = async () => {
      await checkpoints.close();
      await db.destroy();
    };
  }
  return opened;
}

/**
 * Native better-sqlite3 objects that must never be garbage collected (see pinnedStatements).
 * A server opens one database for its whole life, so this holds what it would hold anyway; only
 * test processes, which open many, keep a little more.
 */
const NEVER_COLLECTED: unknown[] = [];

/**
 * Every statement, prepared once per SQL text and kept for the database's life.
 *
 * Two reasons. Speed: Kysely prepares each query anew, and preparing is a measurable part of a
 * hot-path request. Safety: better-sqlite3 12 (the last line that supports Node 20) wraps its objects
 * in node::ObjectWrap, whose destructor on Node >= 24.19 aborts the process when a garbage collection
 * finalizes it with no JavaScript context entered ("Assertion failed: (env) != nullptr" in
 * RemoveEnvironmentCleanupHook, WiseLibs/better-sqlite3#1515; fixed in 13, which needs Node 22).
 * So no Statement or Database may ever become garbage: statements are cached without eviction (the
 * SQL texts are the program's fixed query shapes; every value is a bound parameter), and a closed
 * database and its statements stay referenced until the process exits.
 * Kysely runs statements with `.all()` or `.run()`, never `.get()` (see DESIGN's known traps).
 */
function pinnedStatements(raw: SqliteDatabase.Database) {
  const cache = new Map<string, RowStatement>();
  const schema: SchemaGeneration = { value: 0 };
  NEVER_COLLECTED.push(raw, cache);
  return {
    close: () => raw.close(),
    prepare: (sql: string): RowStatement => {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        const prepared = raw.prepare(sql);
        // Pinned on its own as well: kept even if wrapping it below were to throw.
        NEVER_COLLECTED.push(prepared);
        // Rows built in JavaScript, not by better-sqlite3's C++ (sqlite-rows.ts).
        stmt = rowStatement(prepared, schema);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/**
 * PostgreSQL's driver, loaded when a postgres:// database is opened: on SQLite `roster serve` starts
 * without it (issue 15; infra/lazy-require.ts does the same above the store).
 */
let pgLoaded: typeof pgModule | undefined;
const pgDriver = () => (pgLoaded ??= createRequire(import.meta.url)('pg') as typeof pgModule);
const pgUrl = () => createRequire(import.meta.url)('pg-connection-string') as typeof import('pg-connection-string');

/**
 * Where a pool connects. With asyncCommit, `-c synchronous_commit=off` joins the startup options the
 * URL's own `options` (or PGOPTIONS) already give, rather than replacing them (pg reads either the
 * URL's or the config's, never both). A startup parameter: behind PgBouncer, which may drop it
 * (docs/operations.md), commits stay synchronous.
 */
function connectionConfig(url: string, options: Pick<DbOptions, 'asyncCommit' | 'applicationName'>): pgModule.ClientConfig {
  const name = options.applicationName === undefined ? {} : { application_name: options.applicationName };
  if (!options.asyncCommit) return { connectionString: url, ...name };
  const config = pgUrl().parseIntoClientConfig(url);
  const own = config.options ?? process.env.PGOPTIONS;
  return { ...config, ...name, options: [own, '-c synchronous_commit=off'].filter(Boolean).join(' ') };
}

const INT8_OID = 20;
function bigintsAsNumbers(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === INT8_OID) return (v: string) => Number(v);
  const { types } = pgDriver();
  return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
}

/**
 * A pg client that runs precompiled queries as named prepared statements, and gives up on a
 * connection whose query got no answer within query_timeout: pg
 * itself only fails the query and keeps the connection, which would then hold every later query
 * of that pooled client behind an answer that never comes. Destroying the socket makes the client
 * unqueryable, so the pool drops it on release and opens a fresh one.
 */
/**
 * Errors that say the server no longer has a named statement as this connection prepared it: a
 * migration changed the type of a column it returns (0A000, "cached plan must not change result
 * type"), a pooler reset the server connection (26000, DEALLOCATE ALL) or handed this client
 * another server connection that already has the name (42P05, PgBouncer in transaction mode).
 */
function isStaleStatement(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === '26000' || code === '42P05' || (code === '0A000' && typeof message === 'string' && message.includes('cached plan'));
}

const droppingClient = (pg: typeof pgModule) =>
  class DroppingClient extends pg.Client {
    /** Set after a stale named statement: this connection runs every query unnamed from then on. */
    #unnamed = false;

    override query(...args: unknown[]): never {
      const run = (...a: unknown[]): unknown => (super.query as (...q: unknown[]) => unknown).apply(this, a);
      const [text, values] = args;
      // A precompiled query (precompile.ts) runs as a named prepared statement: pg parses it once
      // per connection, then sends only its parameters. Only the (text, values) form Kysely uses.
      const name =
        !this.#unnamed && typeof text === 'string' && args.length <= 2 && (values === undefined || Array.isArray(values)) ? preparedName(text) : undefined;
      if (name === undefined) return this.#dropOnTimeout(run(...args));
      const named = run({ name, text, values }) as Promise<unknown>;
      return this.#dropOnTimeout(
        named.catch((err: unknown) => {
          if (!isStaleStatement(err)) throw err;
          // Correct first, fast second: this query again, unnamed, and no names on this
          // connection any more (a new connection prepares afresh). Inside a transaction the
          // failed statement has aborted it, and the retry fails as the transaction would.
          this.#unnamed = true;
          return run(text, values);
        }),
      );
    }

    #dropOnTimeout(result: unknown): never {
      if (result instanceof Promise) {
        return result.catch((err: unknown) => {
          if ((err as Error | undefined)?.message === 'Query read timeout') {
            // Unqueryable at once, so that pg-pool drops the client when it is released: pg marks
            // it so only when the socket's close event fires, after the release, and the pool
            // would hand the dead client to the next query meanwhile.
            (this as unknown as { _queryable: boolean })._queryable = false;
            (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
          }
          throw err;
        }) as never;
      }
      return result as never;
    }
  };

let DroppingClient: ReturnType<typeof droppingClient> | undefined;

function openPostgres(url: string, options: DbOptions): Db {
  const pg = pgDriver();
  DroppingClient ??= droppingClient(pg);
  const statementTimeoutMs = options.statementTimeoutMs ?? 0;
  const pool = new pg.Pool({
    ...connectionConfig(url, options),
    max: options.poolSize ?? 10,
    statement_timeout: statementTimeoutMs || undefined,
    // A transaction left open and idle that long is stuck (a process frozen mid-request): the
    // server ends its session, and its row locks with it, rather than let every write to those
    // rows wait on it.
    idle_in_transaction_session_timeout:
      (options.idleInTransactionTimeoutMs ?? (statementTimeoutMs > 0 ? Math.max(statementTimeoutMs, 10_000) : 0)) || undefined,
    query_timeout: statementTimeoutMs > 0 ? statementTimeoutMs + 1000 : undefined,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    Client: DroppingClient,
    // bigint ids and counts come back as numbers (all ours fit in 2^53).
    types: { getTypeParser: bigintsAsNumbers },
  });
  const store: Db = {
    kind: 'postgres',
    kysely: new Kysely<Database>({ dialect: translatingDialect(wrap(options, new PostgresDialect({ pool }))) }),
    safeUrl: redactUrl(url),
    onConnectionError: () => {},
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => store.kysely.destroy(),
  };
  const report = (err: Error) => store.onConnectionError(err);
  // An idle client that loses its connection emits 'error' on the pool; a client that is checked
  // out emits it on itself (pg-pool only listens while it is idle). Unheard, either would take the
  // process down. The query that was running fails on its own; the pool drops the dead client.
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return store;
}
