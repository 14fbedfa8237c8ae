/**
 * A company's settings saved as one unit (the console's settings form): its name, email
 * verification, password lengths and CORS origins. Every value is checked before anything is
 * written; then what changed is written in one transaction, with one company.updated event for the
 * whole save (with `corsOrigins` in its data when the origins changed), so a refused form writes
 * nothing at all and a webhook sees one change for one save.
 */
import type { Db } from '../store/db.js';
import { inTransaction } from '../store/transaction.js';
import { nowIso } from '../infra/clock.js';
import type { Acting } from '../events/types.js';
import { companyColumns, recordCompanyEvent, toCompany, writeCompanyUpdate, type Company, type CompanyChange, type CompanyService } from './companies.js';
import { checkOrigins, sortedOrigins, writeOrigins, type OriginPolicy } from './cors-origins.js';
import { lockCompany, type CompanyPatch } from '../store/companies.js';
import { notFound } from './errors.js';

export interface CompanySettingsInput {
  name?: string;
  requireEmailVerification?: boolean;
  /** The password lengths to set; a length not given stays as it is. null: back to the default policy. */
  passwordPolicy?: { minLength?: number; maxLength?: number } | null;
  /** Every origin the company allows afterwards (scheme://host[:port]); undefined leaves them as they are. */
  corsOrigins?: string[];
  /** Origins to add and to remove (the CLI's flags), applied to the company's origins as they are when its row is locked; ignored with `corsOrigins`. */
  corsOriginChange?: { add?: string[] | undefined; remove?: string[] | undefined };
}

/**
 * The columns to write for `input` on the company `at` (every value checked; undefined when nothing
 * differs). `storedPolicy`: the row's own policy column, null when it follows the default; back to the
 * default is a change whenever the row has one of its own.
 */
function changedColumns(at: Company, storedPolicy: string | null, input: CompanySettingsInput): Omit<CompanyPatch, 'now'> | undefined {
  const { minLength, maxLength } = input.passwordPolicy ?? {};
  const policy = {
    ...(minLength !== undefined && minLength !== at.passwordPolicy.minLength && { minLength }),
    ...(maxLength !== undefined && maxLength !== at.passwordPolicy.maxLength && { maxLength }),
  };
  const name = input.name?.trim();
  const change: CompanyChange = {
    ...(name !== undefined && name !== at.name && { name }),
    ...(input.requireEmailVerification !== undefined &&
      input.requireEmailVerification !== at.requireEmailVerification && { requireEmailVerification: input.requireEmailVerification }),
    ...(Object.keys(policy).length > 0 && { passwordPolicy: policy }),
    ...(input.passwordPolicy === null && storedPolicy !== null && { passwordPolicy: null }),
  };
  return Object.keys(change).length > 0 ? companyColumns(change, at.passwordPolicy) : undefined;
}

export class CompanySettings {
  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
    private readonly origins: OriginPolicy,
  ) {}

  /**
   * Saves what differs from the company as it is when its row is locked (not as read before: a
   * save committed meanwhile is compared with, never silently undone or taken for this one); the
   * company and its origins afterwards.
   */
  async save(code: string, input: CompanySettingsInput, acting: Acting): Promise<{ company: Company; corsOrigins: string[] }> {
    const current = await this.companies.get(code);
    // The origins are checked here; the company's fields against its locked row (changedColumns),
    // where a refusal rolls the transaction back: checked against this first read, a partial
    // policy could be refused for a bound a save committed meanwhile has moved.
    const wanted = input.corsOrigins === undefined ? undefined : [...new Set(checkOrigins(input.corsOrigins))];
    const add = checkOrigins(input.corsOriginChange?.add ?? []);
    const remove = checkOrigins(input.corsOriginChange?.remove ?? []);

    const now = nowIso();
    const company = await inTransaction(this.db.kysely, async (trx) => {
      // The company's row locked first: a concurrent save waits, then compares the origins with
      // what this one wrote (not with what both read before either wrote), and its event carries
      // the company as the other left it (a rename saved meanwhile included).
      const locked = await lockCompany(trx, current.id);
      if (!locked) return undefined;
      const columns = changedColumns(toCompany(locked), locked.password_policy, input);
      const updated = columns ? await writeCompanyUpdate(trx, current.code, columns, undefined, now) : toCompany(locked);
      if (!updated) return undefined;
      // A change by add and remove is applied to the origins as they are now that the row is locked.
      const target =
        wanted ??
        (add.length > 0 || remove.length > 0
          ? [...new Set([...(await sortedOrigins(trx, updated.id)).filter((o) => !remove.includes(o)), ...add])]
          : undefined);
      const originsChanged = target !== undefined && (await writeOrigins(trx, updated, target, undefined, now));
      if (columns || originsChanged) {
        await recordCompanyEvent(trx, acting, 'company.updated', updated, now, originsChanged ? await sortedOrigins(trx, updated.id) : undefined);
      }
      return updated;
    });
    if (!company) throw notFound('COMPANY_NOT_FOUND', `no company with code "${code}"`);
    return { company, corsOrigins: await this.origins.of(company.id) };
  }
}
