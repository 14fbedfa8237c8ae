/** Uploaded avatars of users and agent bots (Chatwoot's `avatar`), the image bytes in the database. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type AvatarOwner = { userId: number } | { agentBotId: number };

const ownerColumn = (o: AvatarOwner) => ('userId' in o ? (['user_id', o.userId] as const) : (['agent_bot_id', o.agentBotId] as const));

/** Deletes the owner's avatar; true when there was one. */
export async function deleteAvatar(db: Kysely<Database>, owner: AvatarOwner): Promise<boolean> {
  const [column, id] = ownerColumn(owner);
  const res = await db.deleteFrom('avatars').where(column, '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function insertAvatar(
  db: Kysely<Database>,
  owner: AvatarOwner,
  a: { key: string; contentType: string; data: Buffer; now: string },
): Promise<void> {
  await db
    .insertInto('avatars')
    .values({
      key: a.key,
      user_id: 'userId' in owner ? owner.userId : null,
      agent_bot_id: 'agentBotId' in owner ? owner.agentBotId : null,
      content_type: a.contentType,
      byte_size: a.data.length,
      data: a.data,
      created_at: a.now,
    })
    .execute();
}

/** The public key of the owner's avatar, when it has one. */
export async function findAvatarKey(db: Kysely<Database>, owner: AvatarOwner): Promise<string | undefined> {
  const [column, id] = ownerColumn(owner);
  return (await db.selectFrom('avatars').select('key').where(column, '=', id).executeTakeFirst())?.key;
}

export async function findAvatarByKey(db: Kysely<Database>, key: string): Promise<{ content_type: string; data: Buffer; created_at: string } | undefined> {
  return db.selectFrom('avatars').select(['content_type', 'data', 'created_at']).where('key', '=', key).executeTakeFirst();
}
