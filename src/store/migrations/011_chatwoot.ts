import type { Kysely } from 'kysely';
import { autoId, type MigrationContext } from './helpers.js';

/**
 * Chatwoot compatibility, round two (issue 10).
 *
 * - Stable tokens: Chatwoot shows a user's access and pubsub tokens, and a bot's access token, in
 *   every body, so roster must read them back. Each is kept sealed (AES-256-GCM under the
 *   installation key, infra/secret-box.ts) beside the digest that token checks still look up:
 *   user_access_tokens.token_sealed, users.pubsub_token_sealed, agent_bots.access_token_sealed.
 *   Rows from before this migration hold digests only; those tokens cannot be recovered, so the
 *   columns stay NULL until the next `POST /users/:id/token` mints and seals new ones (bots: shown
 *   as null; see docs/api/chatwoot.md).
 * - Avatars: users.avatar_url and agent_bots.avatar_url keep a URL as given; an uploaded image is
 *   a row of `avatars` (the bytes in the database, so every node serves it), owned by one user or
 *   one bot (at most one each) and deleted with its owner.
 */
export function chatwootRoundTwo(ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('user_access_tokens').addColumn('token_sealed', 'text').execute();
      await db.schema.alterTable('users').addColumn('pubsub_token_sealed', 'text').execute();
      await db.schema.alterTable('users').addColumn('avatar_url', 'text').execute();
      await db.schema.alterTable('agent_bots').addColumn('access_token_sealed', 'text').execute();
      await db.schema.alterTable('agent_bots').addColumn('avatar_url', 'text').execute();

      await db.schema
        .createTable('avatars')
        .addColumn('id', ...autoId(ctx))
        // The public name in /avatars/<key>: random, new on every upload (so the URL can be cached for good).
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'bigint', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('agent_bot_id', 'bigint', (c) => c.references('agent_bots.id').onDelete('cascade'))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('byte_size', 'integer', (c) => c.notNull())
        .addColumn('data', ctx.kind === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // NULLs are distinct in a unique index on both engines: one avatar per user, one per bot.
      await db.schema.createIndex('avatars_user_id_key').on('avatars').column('user_id').unique().execute();
      await db.schema.createIndex('avatars_agent_bot_id_key').on('avatars').column('agent_bot_id').unique().execute();
    },
  };
}
