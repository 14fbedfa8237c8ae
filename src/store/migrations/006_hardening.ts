import type { Kysely } from 'kysely';
import type { MigrationContext } from './helpers.js';

/**
 * Issue 9 (hardening). `users.credential_version` counts the user's credential changes (a new
 * password or email): a login reads it with the password hash and opens its session only if it
 * has not moved meanwhile, so a login that checked the old password cannot outlive the change.
 */
export function hardening(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('users')
        .addColumn('credential_version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
