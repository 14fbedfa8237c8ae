import type { Db } from '../store/db.js';
import * as store from '../store/companies.js';
import type { Kysely } from 'kysely';
import type { CompanyRow, Database } from '../store/schema.js';
import { nowIso } from '../infra/clock.js';
import { conflict, invalid, notFound } from './errors.js';
import { parsePolicy, type PasswordPolicy } from './passwords.js';
import { inTransaction } from '../store/transaction.js';
import { readSync } from '../store/sync.js';
import { recordEvent } from '../events/log.js';
import { SYSTEM, type Acting } from '../events/types.js';

export interface Company {
  id: number;
  code: string;
  name: string;
  requireEmailVerification: boolean;
  /** The company's password policy: the default with its overrides applied. */
  passwordPolicy: PasswordPolicy;
  createdAt: string;
  updatedAt: string;
}

/** Lower-case letters, digits, '-' and '_', starting with a letter or digit; at most 64. */
const CODE_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function normalizeCompanyCode(code: string): string {
  return code.trim().toLowerCase();
}

function checkCode(code: string): string {
  const c = normalizeCompanyCode(code);
  if (!CODE_RE.test(c)) {
    throw invalid('INVALID_COMPANY_CODE', `company code "${code}" must be 1-64 characters: letters, digits, '-' or '_'`, [
      { field: 'code', message: 'letters, digits, - or _, at most 64' },
    ]);
  }
  return c;
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 200) {
    throw invalid('INVALID_COMPANY_NAME', 'company name must be 1-200 characters', [{ field: 'name', message: '1-200 characters' }]);
  }
  return n;
}

export function toCompany(row: CompanyRow): Company {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    requireEmailVerification: row.require_email_verification === 1,
    passwordPolicy: parsePolicy(row.password_policy),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A company as the CLI (and the events that record its changes) present it. */
export const companyView = (c: Company) => ({
  id: c.id,
  code: c.code,
  name: c.name,
  requireEmailVerification: c.requireEmailVerification,
  passwordPolicy: c.passwordPolicy,
});

/** Policy bounds: never weaker than OWASP's minimum of 8 characters; at most 1024 (argon2 input). */
export const POLICY_LIMITS = { minLength: [8, 128], maxLength: [8, 1024] } as const;

function checkPolicy(p: PasswordPolicy): PasswordPolicy {
  const [minLo, minHi] = POLICY_LIMITS.minLength;
  const [maxLo, maxHi] = POLICY_LIMITS.maxLength;
  if (!Number.isInteger(p.minLength) || p.minLength < minLo || p.minLength > minHi) {
    throw invalid('INVALID_PASSWORD_POLICY', `password minimum length must be ${minLo}-${minHi}`, [
      { field: 'passwordMinLength', message: `${minLo}-${minHi}` },
    ]);
  }
  if (!Number.isInteger(p.maxLength) || p.maxLength < maxLo || p.maxLength > maxHi || p.maxLength < p.minLength) {
    throw invalid('INVALID_PASSWORD_POLICY', `password maximum length must be ${maxLo}-${maxHi} and not below the minimum`, [
      { field: 'passwordMaxLength', message: `${maxLo}-${maxHi}, not below the minimum` },
    ]);
  }
  return { minLength: p.minLength, maxLength: p.maxLength, rejectCommon: p.rejectCommon !== false, rejectEmailLocalPart: p.rejectEmailLocalPart !== false };
}

/** A change of a company's settings; a password policy given in part is applied over the company's own. */
export interface CompanyChange {
  name?: string;
  requireEmailVerification?: boolean;
  /** null: back to the default policy. */
  passwordPolicy?: Partial<PasswordPolicy> | null;
}

/** The columns a change writes (without the time), every value checked; a partial policy goes over `current` (the company's policy; the default when not given). */
export function companyColumns(patch: CompanyChange, current: PasswordPolicy | undefined): Omit<store.CompanyPatch, 'now'> {
  let passwordPolicy: string | null | undefined;
  if (patch.passwordPolicy === null) passwordPolicy = null;
  else if (patch.passwordPolicy !== undefined) passwordPolicy = JSON.stringify(checkPolicy({ ...(current ?? parsePolicy(null)), ...patch.passwordPolicy }));
  const name = patch.name !== undefined ? checkName(patch.name) : undefined;
  return {
    ...(passwordPolicy !== undefined && { passwordPolicy }),
    ...(name !== undefined && { name }),
    ...(patch.requireEmailVerification !== undefined && { requireEmailVerification: patch.requireEmailVerification }),
  };
}

/**
 * Records company.created or company.updated in the caller's transaction: the company as saved,
 * and its CORS origins afterwards when the change was (or included) theirs.
 */
export async function recordCompanyEvent(
  trx: Kysely<Database>,
  acting: Acting,
  type: 'company.created' | 'company.updated',
  company: Company,
  now: string,
  corsOrigins?: string[],
): Promise<void> {
  const data = corsOrigins === undefined ? companyView(company) : { ...companyView(company), corsOrigins };
  await recordEvent(trx, acting, { type, companyId: company.id, target: { kind: 'company', id: company.code }, data }, now);
}

/**
 * Writes checked columns (companyColumns) in the caller's transaction; undefined when no company
 * has that code. With `acting` it records company.updated; without, the caller records the one
 * event of its whole change (CompanySettings.save).
 */
export async function writeCompanyUpdate(
  trx: Kysely<Database>,
  code: string,
  columns: Omit<store.CompanyPatch, 'now'>,
  acting: Acting | undefined,
  now: string,
): Promise<Company | undefined> {
  const row = await store.updateCompany(trx, normalizeCompanyCode(code), { ...columns, now });
  if (!row) return undefined;
  const updated = toCompany(row);
  if (acting) await recordCompanyEvent(trx, acting, 'company.updated', updated, now);
  return updated;
}

export class CompanyService {
  constructor(private readonly db: Db) {}

  /** `acting`: who creates it (the CLI passes CLI; roster's own demo seed is SYSTEM). */
  async create(input: { code: string; name: string; requireEmailVerification?: boolean }, acting: Acting = SYSTEM): Promise<Company> {
    const code = checkCode(input.code);
    const name = checkName(input.name);
    const now = nowIso();
    const company = await inTransaction(this.db.kysely, async (trx) => {
      const row = await store.insertCompany(trx, { code, name, requireEmailVerification: input.requireEmailVerification ?? false, now });
      if (!row) return undefined;
      const created = toCompany(row);
      await recordCompanyEvent(trx, acting, 'company.created', created, now);
      return created;
    });
    if (!company) throw conflict('COMPANY_CODE_TAKEN', `a company with code "${code}" already exists`);
    return company;
  }

  /** No company can have a code outside CODE_RE: such a code is answered without a query. */
  private async findRow(code: string) {
    const c = normalizeCompanyCode(code);
    if (!CODE_RE.test(c)) return undefined;
    // On SQLite one synchronous statement (store/sync.ts); elsewhere Kysely's async path.
    const found = readSync(this.db.kysely, (trx) => store.findCompanyByCodeSync(trx, c));
    return found ? found.value : store.findCompanyByCode(this.db.kysely, c);
  }

  async get(code: string): Promise<Company> {
    const row = await this.findRow(code);
    if (!row) throw notFound('COMPANY_NOT_FOUND', `no company with code "${code}"`);
    return toCompany(row);
  }

  async find(code: string): Promise<Company | undefined> {
    const row = await this.findRow(code);
    return row && toCompany(row);
  }

  async list(): Promise<Company[]> {
    return (await store.listCompanies(this.db.kysely)).map(toCompany);
  }

  async count(): Promise<number> {
    return store.countCompanies(this.db.kysely);
  }

  async update(code: string, patch: CompanyChange, acting: Acting = SYSTEM): Promise<Company> {
    let current: PasswordPolicy | undefined;
    if (patch.passwordPolicy) {
      const row = await this.findRow(code);
      if (!row) throw notFound('COMPANY_NOT_FOUND', `no company with code "${code}"`);
      current = parsePolicy(row.password_policy);
    }
    const columns = companyColumns(patch, current);
    const now = nowIso();
    const company = await inTransaction(this.db.kysely, (trx) => writeCompanyUpdate(trx, code, columns, acting, now));
    if (!company) throw notFound('COMPANY_NOT_FOUND', `no company with code "${code}"`);
    return company;
  }
}
