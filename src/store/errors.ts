/**
 * Typed store errors. Driver errors (better-sqlite3's, pg's, a socket's) are translated here, once,
 * as they leave the driver (see `translatingDialect` in db.ts); nothing above the store reads a
 * driver's error code, it asks `instanceof StoreError` and its `kind`.
 */

export type StoreErrorKind =
  /** A unique index or primary key refused the row. */
  | 'unique'
  /** A foreign key refused the row: what it points at is gone (deleted meanwhile). */
  | 'foreign_key'
  /** The database refused a character (NUL in PostgreSQL text, bytes invalid in its encoding). */
  | 'invalid_text'
  /** The database could not be reached or did not answer in time: a retry may succeed. */
  | 'unavailable';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface CodedError {
  code?: unknown;
  message?: unknown;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '25P03', // idle_in_transaction_session_timeout: the server ended a session whose transaction sat idle
  // Transient conflicts the client can retry: a deadlock victim, and the serialization failures
  // PostgreSQL-compatible distributed databases (CockroachDB, YugabyteDB) raise under contention.
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|canceling statement due to statement timeout/i;

/** What a driver error means, or undefined for one that is a bug (a syntax error, say). */
export function driverErrorKind(err: unknown): StoreErrorKind | undefined {
  const e = err as CodedError | undefined;
  if (!e || typeof e !== 'object') return undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
  if (code === '22021' || code === '22P05') return 'invalid_text';
  if (code !== undefined) {
    if (CONNECTION_CODES.has(code) || code.startsWith('08')) return 'unavailable';
    // Another process holds SQLite's write lock past busy_timeout (SQLITE_BUSY and its extended
    // codes, e.g. SQLITE_BUSY_SNAPSHOT): retrying later succeeds.
    if (code.startsWith('SQLITE_BUSY')) return 'unavailable';
  }
  const msg = typeof e.message === 'string' ? e.message : '';
  return CONNECTION_MESSAGES.test(msg) ? 'unavailable' : undefined;
}

/** A driver error as a StoreError when it has a meaning; anything else unchanged (a bug stays a bug). */
export function translateDriverError(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const kind = driverErrorKind(err);
  if (kind === undefined) return err;
  return new StoreError(kind, (err as Error).message ?? String(err), { cause: err });
}

const isKind = (err: unknown, kind: StoreErrorKind) => err instanceof StoreError && err.kind === kind;

export const isUniqueViolation = (err: unknown): boolean => isKind(err, 'unique');
export const isForeignKeyViolation = (err: unknown): boolean => isKind(err, 'foreign_key');
export const isInvalidText = (err: unknown): boolean => isKind(err, 'invalid_text');
/** The database could not be reached or did not answer in time: the client gets 503, not 500. */
export const isUnavailable = (err: unknown): boolean => isKind(err, 'unavailable');
