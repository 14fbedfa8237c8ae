/**
 * Packages a process does not always need, loaded the first time they are: PostgreSQL's driver on
 * SQLite, Redis without REDIS_URL, SMTP without SMTP_URL, the readable log format, the common-password
 * list before the first password is checked. `roster serve` starts and sits in memory without them
 * (issue 15: start time and peak RSS). They are CommonJS, so `require` loads them synchronously
 * and the callers keep their synchronous shape.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** A function that answers the package, loading it on its first call. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(id) as T);
}
