/** Chatwoot agent bots. */
import type { Kysely, Updateable } from 'kysely';
import type { AgentBotRow, AgentBotsTable, Database, NewAgentBot } from './schema.js';

/** Inserts a bot. */
export async function insertAgentBot(db: Kysely<Database>, bot: NewAgentBot): Promise<AgentBotRow> {
  return db.insertInto('agent_bots').values(bot).returningAll().executeTakeFirstOrThrow();
}

export async function findAgentBot(db: Kysely<Database>, id: number): Promise<AgentBotRow | undefined> {
  return db.selectFrom('agent_bots').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findAgentBotByTokenId(db: Kysely<Database>, tokenId: string): Promise<AgentBotRow | undefined> {
  return db.selectFrom('agent_bots').selectAll().where('access_token_id', '=', tokenId).executeTakeFirst();
}

/** The bots a platform app may touch, oldest first. */
export async function listAgentBotsForApp(db: Kysely<Database>, appId: string, companyId: number): Promise<AgentBotRow[]> {
  return db
    .selectFrom('agent_bots as b')
    .innerJoin('platform_app_permissibles as p', (j) =>
      j.onRef('p.permissible_id', '=', 'b.id').on('p.permissible_type', '=', 'AgentBot').on('p.platform_app_id', '=', appId),
    )
    .selectAll('b')
    .where('b.company_id', '=', companyId)
    .orderBy('b.id')
    .execute();
}

export type AgentBotPatch = Pick<Updateable<AgentBotsTable>, 'name' | 'description' | 'outgoing_url' | 'account_id' | 'avatar_url' | 'updated_at'>;

/** undefined when there is no such bot; a foreign key violation when account_id was deleted meanwhile. */
export async function updateAgentBot(db: Kysely<Database>, id: number, patch: AgentBotPatch): Promise<AgentBotRow | undefined> {
  return db.updateTable('agent_bots').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteAgentBot(db: Kysely<Database>, id: number): Promise<boolean> {
  const res = await db.deleteFrom('agent_bots').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
