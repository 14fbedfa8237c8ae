import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Db } from './db.js';
import { foundation } from './migrations/001_foundation.js';
import { users } from './migrations/002_users.js';
import type { MigrationContext } from './migrations/helpers.js';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
function migrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '001_foundation': foundation(ctx),
    '002_users': users(ctx),
  };
}

export class MigrationError extends Error {}

/**
 * Brings the schema up to date. On PostgreSQL it is safe to run from several nodes at once:
 * Kysely's migrator holds an advisory lock while it migrates, so one node migrates and the others
 * wait, then find nothing to do. An SQLite file belongs to one roster process.
 */
export async function migrateToLatest(store: Db): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: () => Promise.resolve(migrations({ kind: store.kind })) },
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String((result.error as Error).message ?? result.error)}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
