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
import { lockCompany } from '../store/companies.js';
import { notFound } from './errors.js';
import { parsePolicy, type PasswordPolicy } from './passwords.js';

const samePolicy = (a: PasswordPolicy, b: PasswordPolicy) =>
  a.minLength === b.minLength && a.maxLength === b.maxLength && a.rejectCommon === b.rejectCommon && a.rejectEmailLocalPart === b.rejectEmailLocalPart;

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

export class CompanySettings {
  constructor(
    private readonly db: Db,
    private readonly companies: CompanyService,
    private readonly origins: OriginPolicy,
  ) {}

  /** Saves what differs from the company as it is; the company and its origins afterwards. */
  async save(code: string, input: CompanySettingsInput, acting: Acting): Promise<{ company: Company; corsOrigins: string[] }> {
    const current = await this.companies.get(code);
    // Every check first: the company's fields, then each origin.
    const { minLength, maxLength } = input.passwordPolicy ?? {};
    const policy = {
      ...(minLength !== undefined && minLength !== current.passwordPolicy.minLength && { minLength }),
      ...(maxLength !== undefined && maxLength !== current.passwordPolicy.maxLength && { maxLength }),
    };
    const toDefault = input.passwordPolicy === null && !samePolicy(current.passwordPolicy, parsePolicy(null));
    const name = input.name?.trim();
    const change: CompanyChange = {
      ...(name !== undefined && name !== current.name && { name }),
      ...(input.requireEmailVerification !== undefined &&
        input.requireEmailVerification !== current.requireEmailVerification && { requireEmailVerification: input.requireEmailVerification }),
      ...(Object.keys(policy).length > 0 && { passwordPolicy: policy }),
      ...(toDefault && { passwordPolicy: null }),
    };
    const columns = Object.keys(change).length > 0 ? companyColumns(change, current.passwordPolicy) : undefined;
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
