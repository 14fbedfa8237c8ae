import { sql, type Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { autoId, type MigrationContext } from './helpers.js';

/**
 * The Chatwoot Platform API: accounts, account users, agent bots, what each platform app may touch,
 * users' access tokens and single-use login tokens. Every secret is stored as a SHA-256 digest; this
 * also turns the users' pubsub tokens, stored plain until now, into digests.
 */
export function chatwoot(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', ...autoId(ctx))
        .addColumn('company_id', 'bigint', (c) => c.notNull().references('companies.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('locale', 'text', (c) => c.notNull())
        .addColumn('domain', 'text')
        .addColumn('support_email', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('features', 'text', (c) => c.notNull().defaultTo('[]')) // JSON array of enabled flags
        .addColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('custom_attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('accounts_company_idx').on('accounts').column('company_id').execute();

      await db.schema
        .createTable('account_users')
        .addColumn('id', ...autoId(ctx))
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('inviter_id', 'bigint', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('availability', 'text', (c) => c.notNull().defaultTo('online'))
        .addColumn('auto_offline', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('active_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        // One membership per (account, user): concurrent find-or-create calls meet here.
        .addUniqueConstraint('account_users_account_user_key', ['account_id', 'user_id'])
        .execute();
      await db.schema.createIndex('account_users_user_idx').on('account_users').column('user_id').execute();

      await db.schema
        .createTable('agent_bots')
        .addColumn('id', ...autoId(ctx))
        .addColumn('company_id', 'bigint', (c) => c.notNull().references('companies.id').onDelete('cascade'))
        .addColumn('account_id', 'bigint', (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('outgoing_url', 'text')
        // The bot's access token: `<prefix>_<access_token_id>.<secret>`; only the digest is kept.
        .addColumn('access_token_id', 'text', (c) => c.notNull().unique())
        .addColumn('access_token_digest', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('agent_bots_account_idx').on('agent_bots').column('account_id').execute();

      await db.schema
        .createTable('platform_app_permissibles')
        .addColumn('id', ...autoId(ctx))
        .addColumn('platform_app_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
        .addColumn('permissible_type', 'text', (c) => c.notNull())
        .addColumn('permissible_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('platform_app_permissibles_key', ['platform_app_id', 'permissible_type', 'permissible_id'])
        .execute();
      await db.schema
        .createIndex('platform_app_permissibles_target_idx')
        .on('platform_app_permissibles')
        .columns(['permissible_type', 'permissible_id'])
        .execute();

      // One live access token per user (Chatwoot's has_one): issuing a new one replaces the old.
      await db.schema
        .createTable('user_access_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull().unique().references('users.id').onDelete('cascade'))
        .addColumn('secret_digest', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sso_login_tokens')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sso_login_tokens_user_idx').on('sso_login_tokens').column('user_id').execute();

      // pubsub tokens are bearer capabilities (Chatwoot's realtime channel trusts whoever shows one):
      // from now on only their digests are stored.
      await db.schema.alterTable('users').renameColumn('pubsub_token', 'pubsub_token_digest').execute();
      const rows = await sql<{ id: number; token: string }>`select id, pubsub_token_digest as token from users`.execute(db);
      for (const r of rows.rows) {
        const d = createHash('sha256').update(r.token).digest('hex');
        await sql`update users set pubsub_token_digest = ${d} where id = ${r.id}`.execute(db);
      }
    },
  };
}
