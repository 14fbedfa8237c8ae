import type { Kysely } from 'kysely';
import type { MigrationContext } from './helpers.js';

/**
 * Issue 9 (hardening). `users.credential_version` counts the user's credential changes (a new
 * password or email): a login reads it with the password hash and opens its session only if it
 * has not moved meanwhile, so a login that checked the old password cannot outlive the change.
 * `company_cors_origins` lists the web origins (scheme://host[:port]) whose pages may call the
 * widget API with a credential of the company.
 */
export function hardening(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('users')
        .addColumn('credential_version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('company_cors_origins')
        .addColumn('company_id', 'bigint', (c) => c.notNull().references('companies.id').onDelete('cascade'))
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('company_cors_origins_pkey', ['company_id', 'origin'])
        .execute();
      // A preflight asks whether any company allows an origin.
      await db.schema.createIndex('company_cors_origins_origin_idx').on('company_cors_origins').column('origin').execute();
    },
  };
}
