import type { Kysely } from 'kysely';
import { autoId, type MigrationContext } from './helpers.js';

/** People who log in (Plazbot and Chatwoot users): one identity per email across the installation. */
export function users(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('companies')
        .addColumn('password_policy', 'text') // JSON; null = the default policy
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', ...autoId(ctx))
        .addColumn('company_id', 'bigint', (c) => c.notNull().references('companies.id').onDelete('cascade'))
        // Trimmed and lower-cased before it is stored, so this index is case-insensitive.
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('last_name', 'text')
        .addColumn('display_name', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('email_verified_at', 'text')
        .addColumn('default_start_week', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_external_creation', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('custom_attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('ui_settings', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('message_signature', 'text')
        .addColumn('pubsub_token', 'text', (c) => c.notNull().unique())
        .addColumn('created_via', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_company_idx').on('users').column('company_id').execute();
    },
  };
}
