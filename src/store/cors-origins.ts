/** The web origins each company lets call the widget API from a browser. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export async function addCorsOrigins(db: Kysely<Database>, companyId: number, origins: string[], now: string): Promise<void> {
  if (origins.length === 0) return;
  await db
    .insertInto('company_cors_origins')
    .values(origins.map((origin) => ({ company_id: companyId, origin, created_at: now })))
    .onConflict((oc) => oc.columns(['company_id', 'origin']).doNothing())
    .execute();
}

export async function removeCorsOrigins(db: Kysely<Database>, companyId: number, origins: string[]): Promise<void> {
  if (origins.length === 0) return;
  await db.deleteFrom('company_cors_origins').where('company_id', '=', companyId).where('origin', 'in', origins).execute();
}

/** Every company's origins (or one company's), by company. */
export async function listCorsOrigins(db: Kysely<Database>, companyId?: number): Promise<Array<{ company_id: number; origin: string }>> {
  return db
    .selectFrom('company_cors_origins')
    .select(['company_id', 'origin'])
    .$if(companyId !== undefined, (q) => q.where('company_id', '=', companyId!))
    .orderBy('company_id')
    .execute();
}

/** Whether `companyId` (or, without it, any company) allows `origin`. */
export async function originAllowed(db: Kysely<Database>, origin: string, companyId?: number): Promise<boolean> {
  const row = await db
    .selectFrom('company_cors_origins')
    .select('company_id')
    .where('origin', '=', origin)
    .$if(companyId !== undefined, (q) => q.where('company_id', '=', companyId!))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
