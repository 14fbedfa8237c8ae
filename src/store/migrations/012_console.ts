import type { Kysely } from 'kysely';
import { autoId, type MigrationContext } from './helpers.js';

/**
 * The admin console's operators and their sessions. An operator is not a user of any company: a
 * person who runs roster, made with `roster operator create`. A session is stored by the SHA-256 of
 * its opaque token (the cookie holds the token), never the token itself.
 */
export function consoleOperators(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('operators')
        .addColumn('id', ...autoId(ctx))
        // Trimmed and lower-cased.
        .addColumn('email', 'text', (c) => c.notNull().unique())
        // argon2id PHC string (identity/passwords.ts).
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('operator_sessions')
        .addColumn('token_digest', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'bigint', (c) => c.notNull().references('operators.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('operator_sessions_operator_idx').on('operator_sessions').column('operator_id').execute();
      await db.schema.createIndex('operator_sessions_expires_idx').on('operator_sessions').column('expires_at').execute();
    },
  };
}
