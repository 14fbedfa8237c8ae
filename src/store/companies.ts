import type { Kysely } from 'kysely';
import { precompile, type MissingColumns } from './precompile.js';
import type { SyncTrx } from './sync.js';
import { forUpdate } from './transaction.js';
import type { CompaniesTable, CompanyRow, Database } from './schema.js';

export interface NewCompany {
  code: string;
  name: string;
  requireEmailVerification: boolean;
  now: string;
}

/** Inserts a company; undefined when the code is taken. */
export async function insertCompany(db: Kysely<Database>, c: NewCompany): Promise<CompanyRow | undefined> {
  return db
    .insertInto('companies')
    .values({
      code: c.code,
      name: c.name,
      require_email_verification: c.requireEmailVerification ? 1 : 0,
      created_at: c.now,
      updated_at: c.now,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Every column of companies, by name: see USER_COLUMNS in users.ts for why not `*`. */
const COMPANY_COLUMNS = [
  'id',
  'code',
  'name',
  'require_email_verification',
  'password_policy',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof CompaniesTable)[];
const _everyCompanyColumn: MissingColumns<CompaniesTable, typeof COMPANY_COLUMNS> extends never ? true : never = true;

/** Compiled once (precompile.ts): every Plazbot sign-up looks its company up by code. */
const selectCompanyByCode = precompile(['code'], (db, p) => db.selectFrom('companies').select(COMPANY_COLUMNS).where('code', '=', p.code));

export async function findCompanyByCode(db: Kysely<Database>, code: string): Promise<CompanyRow | undefined> {
  return (await selectCompanyByCode(db, { code }))[0];
}

/** findCompanyByCode as one synchronous SQLite statement (sync.ts readSync). */
export function findCompanyByCodeSync(trx: SyncTrx, code: string): CompanyRow | undefined {
  return trx.all(selectCompanyByCode.query(trx.kysely, { code }))[0];
}

/** Locks the company's row until the transaction ends (see forUpdate) and reads it; undefined when there is none. */
export async function lockCompany(trx: Kysely<Database>, id: number): Promise<CompanyRow | undefined> {
  return forUpdate(trx, trx.selectFrom('companies').selectAll().where('id', '=', id)).executeTakeFirst();
}

export async function findCompanyById(db: Kysely<Database>, id: number): Promise<CompanyRow | undefined> {
  return db.selectFrom('companies').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listCompanies(db: Kysely<Database>): Promise<CompanyRow[]> {
  return db.selectFrom('companies').selectAll().orderBy('id').execute();
}

export async function countCompanies(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('companies')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface CompanyPatch {
  name?: string;
  requireEmailVerification?: boolean;
  /** JSON of a PasswordPolicy override; null = back to the default. */
  passwordPolicy?: string | null;
  now: string;
}

export async function updateCompany(db: Kysely<Database>, code: string, patch: CompanyPatch): Promise<CompanyRow | undefined> {
  return db
    .updateTable('companies')
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.requireEmailVerification !== undefined && {
        require_email_verification: patch.requireEmailVerification ? 1 : 0,
      }),
      ...(patch.passwordPolicy !== undefined && { password_policy: patch.passwordPolicy }),
      updated_at: patch.now,
    })
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
}

/** The company a user belongs to. */
export async function findCompanyOfUser(db: Kysely<Database>, userId: number): Promise<CompanyRow | undefined> {
  return db.selectFrom('users as u').innerJoin('companies as c', 'c.id', 'u.company_id').selectAll('c').where('u.id', '=', userId).executeTakeFirst();
}
