import type { Kysely } from 'kysely';
import type { BotRow, CredentialKind, CredentialRow, Database } from './schema.js';

/** Returns the company's bot of that name, creating it when new (race-free). */
export async function findOrCreateBot(db: Kysely<Database>, bot: { id: string; companyId: number; name: string; now: string }): Promise<BotRow> {
  await db
    .insertInto('bots')
    .values({ id: bot.id, company_id: bot.companyId, name: bot.name, created_at: bot.now })
    .onConflict((oc) => oc.columns(['company_id', 'name']).doNothing())
    .execute();
  return db.selectFrom('bots').selectAll().where('company_id', '=', bot.companyId).where('name', '=', bot.name).executeTakeFirstOrThrow();
}

export async function insertCredential(db: Kysely<Database>, c: Omit<CredentialRow, 'revoked_at'>): Promise<void> {
  await db
    .insertInto('credentials')
    .values({ ...c, revoked_at: null })
    .execute();
}

/** What authentication needs to know about a credential, in one query by primary key. */
export interface CredentialPrincipalRow {
  id: string;
  kind: CredentialKind;
  secret_digest: string;
  revoked_at: string | null;
  company_id: number;
  company_code: string;
  company_name: string;
  bot_id: string | null;
  bot_name: string | null;
}

export async function findCredential(db: Kysely<Database>, id: string, kind: CredentialKind): Promise<CredentialPrincipalRow | undefined> {
  return db
    .selectFrom('credentials as c')
    .innerJoin('companies as co', 'co.id', 'c.company_id')
    .leftJoin('bots as b', 'b.id', 'c.bot_id')
    .select([
      'c.id',
      'c.kind',
      'c.secret_digest',
      'c.revoked_at',
      'c.company_id',
      'co.code as company_code',
      'co.name as company_name',
      'c.bot_id',
      'b.name as bot_name',
    ])
    .where('c.id', '=', id)
    .where('c.kind', '=', kind)
    .executeTakeFirst();
}

export interface CredentialListRow {
  id: string;
  name: string | null;
  bot_id: string | null;
  bot_name: string | null;
  created_at: string;
  revoked_at: string | null;
}

export async function listCredentials(db: Kysely<Database>, companyId: number, kind: CredentialKind): Promise<CredentialListRow[]> {
  return db
    .selectFrom('credentials as c')
    .leftJoin('bots as b', 'b.id', 'c.bot_id')
    .select(['c.id', 'c.name', 'c.bot_id', 'b.name as bot_name', 'c.created_at', 'c.revoked_at'])
    .where('c.company_id', '=', companyId)
    .where('c.kind', '=', kind)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute();
}

/** Marks a credential revoked: the revoked row, or undefined when there is no such live credential. */
export async function revokeCredential(db: Kysely<Database>, id: string, kind: CredentialKind, now: string): Promise<CredentialRow | undefined> {
  return db
    .updateTable('credentials')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('kind', '=', kind)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function findBot(db: Kysely<Database>, id: string): Promise<BotRow | undefined> {
  return db.selectFrom('bots').selectAll().where('id', '=', id).executeTakeFirst();
}
