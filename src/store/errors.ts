/** Recognises database errors by meaning, whichever store raised them. */

interface CodedError {
  code?: unknown;
  message?: unknown;
}

/** A unique index or primary key refused the row. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as CodedError | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
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
  // Transient conflicts the client can retry: a deadlock victim, and the serialization failures
  // PostgreSQL-compatible distributed databases (CockroachDB, YugabyteDB) raise under contention.
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * The database could not be reached or did not answer in time: the request may succeed later, so
 * the client gets 503, not 500.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as CodedError | undefined;
  if (!e) return false;
  if (typeof e.code === 'string') {
    if (CONNECTION_CODES.has(e.code) || e.code.startsWith('08')) return true;
    // Another process holds SQLite's write lock past busy_timeout (SQLITE_BUSY and its extended
    // codes, e.g. SQLITE_BUSY_SNAPSHOT): retrying later succeeds.
    if (e.code.startsWith('SQLITE_BUSY')) return true;
  }
  const msg = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|canceling statement due to statement timeout/i.test(
    msg,
  );
}

/** A foreign key refused the row: what it points at is gone (deleted meanwhile). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as CodedError | undefined)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
