/**
 * Chatwoot accounts (workspaces). An account belongs to the company of the platform app that
 * created it, and is linked to that app.
 */
import type { Db } from '../../store/db.js';
import * as store from '../../store/accounts.js';
import { link, unlinkAll } from '../../store/permissibles.js';
import { inTransaction } from '../../store/transaction.js';
import type { AccountRow } from '../../store/schema.js';
import { nowIso } from '../../infra/clock.js';
import type { Principal } from '../../identity/credentials.js';
import { appIdOf, recordNotFound, type AuthorizedId } from './permissions.js';
import { MESSAGES, RecordErrors } from './record-errors.js';
import { isValidEmail, normalizeEmail } from '../../identity/users.js';
import { storedObject, storedStrings } from '../../infra/stored-json.js';
import { defaultFeatures, FEATURE_DEFAULTS, FEATURES, LOCALES } from '../../identity/accounts.js';
import { LIMITS as CHATWOOT_LIMITS } from './limits.js';
import { recordEvent } from '../../events/log.js';
import type { Acting } from '../../events/types.js';
import { eventData } from './present.js';

const LOCALE_SET: ReadonlySet<string> = new Set(LOCALES);

export const STATUSES = ['active', 'suspended'] as const;
export type AccountStatus = (typeof STATUSES)[number];

export { FEATURE_DEFAULTS, FEATURES, LOCALES, defaultFeatures, type Locale } from '../../identity/accounts.js';

const LIMITS = CHATWOOT_LIMITS.account;

export interface Account {
  id: number;
  companyId: number;
  name: string;
  locale: string;
  domain: string | null;
  supportEmail: string | null;
  status: AccountStatus;
  /** Enabled flags, in FEATURES order. */
  features: string[];
  limits: Record<string, unknown>;
  customAttributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** The request body of create and update, as the schema lets it through (types checked, values not). */
export interface AccountParams {
  name?: string | null | undefined;
  locale?: string | null | undefined;
  domain?: string | null | undefined;
  support_email?: string | null | undefined;
  status?: string | null | undefined;
  features?: Record<string, unknown> | null | undefined;
  limits?: Record<string, unknown> | null | undefined;
  custom_attributes?: Record<string, unknown> | null | undefined;
}

export function toAccount(row: AccountRow): Account {
  const enabled = new Set(storedStrings(row.features));
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    locale: row.locale,
    domain: row.domain,
    supportEmail: row.support_email,
    status: row.status,
    features: FEATURES.filter((f) => enabled.has(f)),
    limits: storedObject(row.limits),
    customAttributes: storedObject(row.custom_attributes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Applies `features` params over the enabled set: true enables a flag, false (or null) disables it;
 * a form body's text forms count too ("true"/"1" enable, "false"/"0"/"" disable).
 * An unknown flag or a value that is not a boolean is a validation error.
 */
export function mergeFeatures(enabled: Iterable<string>, params: Record<string, unknown>, errors: RecordErrors): string[] {
  const set = new Set(enabled);
  for (const [flag, value] of Object.entries(params)) {
    if (!Object.hasOwn(FEATURE_DEFAULTS, flag)) {
      errors.add('features', `${flag.slice(0, 64)} is not a known feature`);
    } else if (value === true || value === 'true' || value === '1') {
      set.add(flag);
    } else if (value === false || value === null || value === 'false' || value === '0' || value === '') {
      set.delete(flag);
    } else {
      errors.add('features', `${flag} must be true or false`);
    }
  }
  return FEATURES.filter((f) => set.has(f));
}

/**
 * Checks the limits and returns them as stored: whole numbers (0 or more) or null. A form body or
 * query string sends every value as text, so digits are read as the number they write.
 */
function checkLimits(raw: Record<string, unknown>, errors: RecordErrors): Record<string, unknown> {
  const limits = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v]));
  const entries = Object.entries(limits);
  if (entries.length > LIMITS.limitKeys) errors.add('limits', `must have at most ${LIMITS.limitKeys} entries`);
  for (const [key, value] of entries.slice(0, LIMITS.limitKeys)) {
    if (key.length === 0 || key.length > LIMITS.limitKey || key.includes('\u0000')) errors.add('limits', `key ${JSON.stringify(key.slice(0, 64))} is invalid`);
    else if (value !== null && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
      errors.add('limits', `${key} must be a whole number, 0 or more`);
    }
  }
  return limits;
}

/** The columns a valid params object sets (only those sent), or the validation errors. */
function checkParams(params: AccountParams, errors: RecordErrors, creating: boolean) {
  const out: Partial<Pick<AccountRow, 'name' | 'locale' | 'domain' | 'support_email' | 'status' | 'limits' | 'custom_attributes'>> = {};
  const name = errors.text('name', params.name, { max: LIMITS.name, required: creating || params.name !== undefined });
  if (typeof name === 'string') out.name = name;

  if (params.locale !== undefined) {
    if (params.locale === null || !LOCALE_SET.has(params.locale)) errors.add('locale', MESSAGES.inclusion);
    else out.locale = params.locale;
  }
  if (params.domain !== undefined) {
    const domain = errors.text('domain', params.domain, { max: LIMITS.domain });
    out.domain = domain === '' ? null : (domain ?? null);
  }
  if (params.support_email !== undefined) {
    const raw = errors.text('support_email', params.support_email, { max: LIMITS.supportEmail });
    if (typeof raw === 'string' && raw.trim() !== '') {
      const email = normalizeEmail(raw);
      if (!isValidEmail(email)) errors.add('support_email', MESSAGES.invalid);
      out.support_email = email;
    } else out.support_email = null;
  }
  if (params.status !== undefined) {
    if (params.status === null || !(STATUSES as readonly string[]).includes(params.status)) errors.add('status', MESSAGES.inclusion);
    else out.status = params.status as AccountStatus;
  }
  if (params.limits !== undefined) {
    out.limits = JSON.stringify(checkLimits(params.limits ?? {}, errors));
  }
  if (params.custom_attributes !== undefined) out.custom_attributes = JSON.stringify(params.custom_attributes ?? {});
  return out;
}

export class AccountService {
  constructor(
    private readonly db: Db,
    /**
     * What `support_email` shows for an account without one: the installation's sender address
     * (MAIL_FROM), as Chatwoot falls back to MAILER_SENDER_EMAIL.
     */
    private readonly senderAddress: string,
  ) {}

  private toAccount(row: AccountRow): Account {
    const account = toAccount(row);
    return { ...account, supportEmail: account.supportEmail ?? this.senderAddress };
  }

  async create(principal: Principal, params: AccountParams): Promise<Account> {
    const errors = new RecordErrors();
    const cols = checkParams(params, errors, true);
    const features = mergeFeatures(defaultFeatures(), params.features ?? {}, errors);
    const name = cols.name;
    if (!errors.empty || name === undefined) throw errors.toError();
    const now = nowIso();
    // The account and the app's link to it, in one transaction.
    const row = await inTransaction(this.db.kysely, async (trx) => {
      const account = await store.insertAccount(trx, {
        company_id: principal.companyId,
        name,
        locale: cols.locale ?? 'en',
        domain: cols.domain ?? null,
        support_email: cols.support_email ?? null,
        status: cols.status ?? 'active',
        features: JSON.stringify(features),
        limits: cols.limits ?? '{}',
        custom_attributes: cols.custom_attributes ?? '{}',
        created_at: now,
        updated_at: now,
      });
      await link(trx, appIdOf(principal), 'Account', account.id, now);
      await recordEvent(
        trx,
        principal.acting,
        {
          type: 'account.created',
          companyId: account.company_id,
          target: { kind: 'account', id: account.id },
          data: eventData.account(this.toAccount(account)),
        },
        now,
      );
      return account;
    });
    return this.toAccount(row);
  }

  async list(principal: Principal): Promise<Account[]> {
    return (await store.listAccountsForApp(this.db.kysely, appIdOf(principal), principal.companyId)).map((r) => this.toAccount(r));
  }

  async get(id: AuthorizedId<'Account'>): Promise<Account> {
    const row = await store.findAccount(this.db.kysely, id);
    if (!row) throw recordNotFound();
    return this.toAccount(row);
  }

  /**
   * Changes what the params send. `features` are merged over the account's current flags (Chatwoot's
   * enable/disable); `limits` and `custom_attributes` are replaced, as Chatwoot assigns them.
   */
  async update(acting: Acting, id: AuthorizedId<'Account'>, params: AccountParams): Promise<Account> {
    const errors = new RecordErrors();
    const cols = checkParams(params, errors, false);
    const features = params.features ?? undefined;
    if (features) mergeFeatures([], features, errors);
    errors.throwIfAny();
    // Read (locked) and written in one transaction, so two concurrent updates of the feature flags
    // both land.
    const row = await inTransaction(this.db.kysely, async (trx) => {
      const current = await store.findAccountForUpdate(trx, id);
      if (!current) return undefined;
      const now = nowIso();
      const updated = await store.updateAccount(trx, id, {
        ...cols,
        ...(features && { features: JSON.stringify(mergeFeatures(this.toAccount(current).features, features, new RecordErrors())) }),
        updated_at: now,
      });
      if (updated) {
        await recordEvent(
          trx,
          acting,
          { type: 'account.updated', companyId: updated.company_id, target: { kind: 'account', id }, data: eventData.account(this.toAccount(updated)) },
          now,
        );
      }
      return updated;
    });
    if (!row) throw recordNotFound();
    return this.toAccount(row);
  }

  async delete(acting: Acting, id: AuthorizedId<'Account'>): Promise<void> {
    // Memberships and agent bots go with the account (foreign keys cascade); every app's links to
    // them go here, in the same transaction.
    // The event holds the account as it was; its memberships and bots go without events of their own.
    // Of concurrent deletes one deletes it; the others find it gone: 404, as a delete after it would get.
    const deleted = await inTransaction(this.db.kysely, async (trx) => {
      const account = await store.findAccountForUpdate(trx, id);
      await unlinkAll(trx, 'AgentBot', await store.agentBotIdsOfAccount(trx, id));
      await unlinkAll(trx, 'Account', [id]);
      if (!account || !(await store.deleteAccount(trx, id))) return false;
      await recordEvent(trx, acting, {
        type: 'account.deleted',
        companyId: account.company_id,
        target: { kind: 'account', id },
        data: eventData.account(this.toAccount(account)),
      });
      return true;
    });
    if (!deleted) throw recordNotFound();
  }
}
