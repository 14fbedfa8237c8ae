/**
 * Chatwoot's permission rule: a platform app may touch only the accounts, users and agent bots it
 * created or linked (its "permissibles"), and in roster never anything outside its own company.
 * Checks run in Chatwoot's order: the token (done before this), then the lookup (404), then the
 * permission (401).
 */
import type { Db } from '../../store/db.js';
import * as store from '../../store/permissibles.js';
import type { PermissibleType } from '../../store/schema.js';
import type { Principal } from '../../identity/credentials.js';
import { DomainError, notFound } from '../../identity/errors.js';

export type { PermissibleType };

/** An id that `authorize` has checked for the calling app. Core functions that act on a record take one. */
export type AuthorizedId<T extends PermissibleType> = number & { readonly __authorized: T };

export const recordNotFound = () => notFound('NOT_FOUND', 'Not Found');
export const nonPermissible = () => new DomainError('forbidden', 'NON_PERMISSIBLE', 'Non permissible resource');

/**
 * A record id as sent in a path, query or body: a positive integer (or its decimal digits) that
 * fits the stores' integer ids. undefined for anything else.
 */
export function parseId(raw: unknown): number | undefined {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\d{1,16}$/.test(raw.trim())) n = Number(raw.trim());
  else return undefined;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function appIdOf(principal: Principal): string {
  if (principal.kind !== 'platform_app') throw new Error('the Chatwoot Platform API needs a platform app principal');
  return principal.credentialId;
}

export class Permissions {
  constructor(private readonly db: Db) {}

  /**
   * Resolves an id from the request to a record the app may touch: 404 when there is no such record
   * (or the id is not one), 401 "Non permissible resource" when it exists but is not the app's.
   */
  async authorize<T extends PermissibleType>(principal: Principal, type: T, raw: unknown): Promise<AuthorizedId<T>> {
    const id = parseId(raw);
    if (id === undefined) throw recordNotFound();
    const target = await store.findTarget(this.db.kysely, appIdOf(principal), type, id);
    if (!target) throw recordNotFound();
    if (!target.permitted || target.companyId !== principal.companyId) throw nonPermissible();
    return id as AuthorizedId<T>;
  }

  /**
   * Whether a record named in a request body (an account_users user_id, an agent bot's account_id)
   * is one the app may touch: it must exist, be of the app's company and be linked to the app.
   */
  async isVisible(principal: Principal, type: PermissibleType, id: number): Promise<boolean> {
    const target = await store.findTarget(this.db.kysely, appIdOf(principal), type, id);
    return target !== undefined && target.permitted && target.companyId === principal.companyId;
  }

  /**
   * Whether a record exists and is of the app's company, whether or not the app created or linked
   * it: the users that account_users may attach (Chatwoot attaches any user; roster keeps its tenant
   * boundary, so another company's user is as unknown as a missing one).
   */
  async isOfCompany(principal: Principal, type: PermissibleType, id: number): Promise<boolean> {
    const target = await store.findTarget(this.db.kysely, appIdOf(principal), type, id);
    return target !== undefined && target.companyId === principal.companyId;
  }
}
