import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import { openDb, type Db } from './db.js';
import { isUnavailable } from './errors.js';
import { foundation } from './migrations/001_foundation.js';
import { users } from './migrations/002_users.js';
import { plazbot } from './migrations/003_plazbot.js';
import { chatwoot } from './migrations/004_chatwoot.js';
import { fixes } from './migrations/005_fixes.js';
import { hardening } from './migrations/006_hardening.js';
import { events } from './migrations/007_events.js';
import { scim } from './migrations/009_scim.js';
import { importLinks } from './migrations/010_import.js';
import { chatwootRoundTwo } from './migrations/011_chatwoot.js';
import { consoleOperators } from './migrations/012_console.js';
import { webhookQueue } from './migrations/013_webhook_queue.js';
import { webhookStreak } from './migrations/014_webhook_streak.js';
import { unicodeKeys } from './migrations/015_unicode_keys.js';
import type { MigrationContext } from './migrations/helpers.js';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
function migrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '001_foundation': foundation(ctx),
    '002_users': users(ctx),
    '003_plazbot': plazbot(ctx),
    '004_chatwoot': chatwoot(ctx),
    '005_fixes': fixes(ctx),
    '006_hardening': hardening(ctx),
    '007_events': events(ctx),
    '009_scim': scim(ctx),
    '010_import': importLinks(ctx),
    '011_chatwoot': chatwootRoundTwo(ctx),
    '012_console': consoleOperators(ctx),
    '013_webhook_queue': webhookQueue(),
    '014_webhook_streak': webhookStreak(),
    '015_unicode_keys': unicodeKeys(),
  };
}

/** The names of every migration, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations({ kind: 'sqlite' }));

export class MigrationError extends Error {}

/**
 * Brings the schema up to date. On PostgreSQL it is safe to run from several nodes at once:
 * Kysely's migrator holds an advisory lock while it migrates, so one node migrates and the others
 * wait, then find nothing to do. An SQLite file belongs to one roster process.
 */
export async function migrateToLatest(store: Db): Promise<string[]> {
  const migrator = new Migrator({
    db: store.kysely,
    provider: { getMigrations: () => Promise.resolve(migrations({ kind: store.kind })) },
    // Migrations come from parallel branches: 004_chatwoot shipped before 003_plazbot, so a
    // database may hold 004 and not yet 003. Each migration touches only its own tables.
    allowUnorderedMigrations: true,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    // Not a broken migration: the database is away. Keep the error, so callers can say so.
    if (isUnavailable(result.error)) throw result.error as Error;
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String((result.error as Error).message ?? result.error)}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Migrates `store` for a process that is starting up. On PostgreSQL the work runs over a
 * connection of its own with no statement timeout: a node that waits for another node's
 * migration lock, or runs a long migration, must not be cut short by the per-request timeout.
 */
export async function migrateOnStart(url: string, store: Db, options: { connectTimeoutMs?: number } = {}): Promise<string[]> {
  if (store.kind !== 'postgres') return migrateToLatest(store);
  const own = openDb(url, { poolSize: 1, statementTimeoutMs: 0, ...options });
  try {
    return await migrateToLatest(own);
  } finally {
    await own.close();
  }
}
