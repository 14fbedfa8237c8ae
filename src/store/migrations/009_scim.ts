import type { Kysely } from 'kysely';
import type { MigrationContext } from './helpers.js';

/**
 * SCIM 2.0 (issue 12): what an identity provider sends about a user or a group beyond what the users
 * and accounts tables held. On the tables themselves, not a side table: a SCIM user is roster's one
 * user, and the Plazbot and Chatwoot APIs read the same row (an inactive user cannot log in).
 *
 * - users.user_name: SCIM `userName` as sent; user_name_key its lower-case form, unique per company
 *   (NULL for users no SCIM client named: their userName is their email).
 * - users.active: 0 refuses every login (Plazbot login, Chatwoot login links) and ends sessions.
 * - users.external_id, name_formatted, email_type, and the enterprise extension's employee_number,
 *   department and manager_id (a SCIM id as sent: the manager may not be provisioned yet).
 * - accounts.external_id: a Group's `externalId`.
 */
export function scim(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const column of ['user_name', 'user_name_key', 'external_id', 'name_formatted', 'email_type', 'employee_number', 'department', 'manager_id']) {
        await db.schema.alterTable('users').addColumn(column, 'text').execute();
      }
      await db.schema
        .alterTable('users')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      // NULLs are distinct in a unique index on both engines: users without a SCIM userName do not meet here.
      await db.schema.createIndex('users_company_user_name_key').on('users').columns(['company_id', 'user_name_key']).unique().execute();
      await db.schema.createIndex('users_company_external_id_idx').on('users').columns(['company_id', 'external_id']).execute();

      await db.schema.alterTable('accounts').addColumn('external_id', 'text').execute();
    },
  };
}
