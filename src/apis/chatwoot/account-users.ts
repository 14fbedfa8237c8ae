/**
 * Account users: a user's membership of an account, with a role. Find-or-create then set the role,
 * race-free on a unique index. A user can join only accounts of their own company (Chatwoot does
 * not check it: see docs/api/chatwoot.md, "tenant boundary").
 */
import type { Db } from '../../store/db.js';
import * as store from '../../store/account-users.js';
import { isForeignKeyViolation } from '../../store/errors.js';
import type { AccountRole, AccountUserRow } from '../../store/schema.js';
import { nowIso } from '../../infra/clock.js';
import type { Principal } from '../../identity/credentials.js';
import { parseId, recordNotFound, type AuthorizedId, type Permissions } from './permissions.js';
import { MESSAGES, RecordErrors, recordInvalid } from './record-errors.js';
import { recordEvent } from '../../events/log.js';
import type { Acting, EventType } from '../../events/types.js';
import { inTransaction } from '../../store/transaction.js';
import type { Database } from '../../store/schema.js';
import type { Kysely } from 'kysely';
import { eventData } from './present.js';
import { newMembershipRow } from '../../identity/accounts.js';

export const ROLES: readonly AccountRole[] = ['administrator', 'agent'];

/**
 * A role as Chatwoot's Rails enum takes it: its name, or its integer (`agent: 0, administrator: 1`),
 * also as digits (a form body sends every value as text). undefined for anything else.
 */
export function roleOf(value: unknown): AccountRole | undefined {
  if (typeof value === 'string' && (ROLES as readonly string[]).includes(value)) return value as AccountRole;
  if (value === 0 || value === '0') return 'agent';
  if (value === 1 || value === '1') return 'administrator';
  return undefined;
}

export interface AccountUser {
  id: number;
  accountId: number;
  userId: number;
  role: AccountRole;
  inviterId: number | null;
  createdAt: string;
  updatedAt: string;
  activeAt: string | null;
  availability: string;
  autoOffline: boolean;
}

export const toAccountUser = (r: AccountUserRow): AccountUser => ({
  id: r.id,
  accountId: r.account_id,
  userId: r.user_id,
  role: r.role,
  inviterId: r.inviter_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  activeAt: r.active_at,
  availability: r.availability,
  autoOffline: r.auto_offline === 1,
});

export class AccountUserService {
  constructor(
    private readonly db: Db,
    private readonly permissions: Permissions,
  ) {}

  async list(accountId: AuthorizedId<'Account'>): Promise<AccountUser[]> {
    return (await store.listAccountUsers(this.db.kysely, accountId)).map(toAccountUser);
  }

  /**
   * POST: finds or creates the membership, then sets the role. An omitted role makes a new member an
   * agent and leaves an existing member's role as it is (Chatwoot's update of the params sent).
   * The user must exist and be of the app's company (created by any API, linked to this app or not,
   * as Chatwoot attaches any user): otherwise 422 "User must exist", whichever of the two failed.
   */
  async add(principal: Principal, accountId: AuthorizedId<'Account'>, params: { user_id?: unknown; role?: unknown }): Promise<AccountUser> {
    const errors = new RecordErrors();
    const userId = parseId(params.user_id);
    if (userId === undefined || !(await this.permissions.isOfCompany(principal, 'User', userId))) errors.add('user', MESSAGES.mustExist);
    let role: AccountRole | undefined;
    if (params.role !== undefined) {
      role = roleOf(params.role);
      if (role === undefined) errors.add('role', MESSAGES.inclusion);
    }
    if (!errors.empty || userId === undefined) throw errors.toError();
    try {
      return toAccountUser(await inTransaction(this.db.kysely, (trx) => this.upsert(trx, principal.acting, principal.companyId, accountId, userId, role)));
    } catch (err) {
      if (!isForeignKeyViolation(err)) throw err;
      // The user or the account was deleted meanwhile.
      if (!(await this.permissions.isVisible(principal, 'Account', accountId))) throw recordNotFound();
      throw recordInvalid('user', MESSAGES.mustExist);
    }
  }

  /**
   * Creates the membership, or changes its role, or finds nothing to change; records
   * account_user.created, account_user.updated or nothing accordingly. Each step is one statement
   * the unique index keeps race-free: concurrent calls end on one row, and one of them created it.
   */
  private async upsert(trx: Kysely<Database>, acting: Acting, companyId: number, accountId: number, userId: number, role: AccountRole | undefined) {
    const now = nowIso();
    const record = (type: EventType, row: AccountUserRow) =>
      recordEvent(trx, acting, { type, companyId, target: { kind: 'account_user', id: row.id }, data: eventData.accountUser(toAccountUser(row)) }, now);
    // A removal racing this call can take the row between two statements: then start over.
    for (let attempt = 0; attempt < 3; attempt++) {
      // A new membership is an online agent unless a role is given.
      const created = await store.insertAccountUserIfAbsent(trx, newMembershipRow({ accountId, userId, role: role ?? 'agent', now }));
      if (created) {
        await record('account_user.created', created);
        return created;
      }
      // An existing one keeps its role unless one is given.
      const changed = role === undefined ? undefined : await store.changeAccountUserRole(trx, accountId, userId, role, now);
      if (changed) {
        await record('account_user.updated', changed);
        return changed;
      }
      const unchanged = await store.findAccountUser(trx, accountId, userId);
      if (unchanged) return unchanged;
    }
    throw new Error('account user vanished three times during an upsert');
  }

  /** DELETE: removes the membership when there is one; nothing to remove is not an error. */
  async remove(principal: Principal, accountId: AuthorizedId<'Account'>, rawUserId: unknown): Promise<void> {
    const userId = parseId(rawUserId);
    if (userId === undefined) return;
    await inTransaction(this.db.kysely, async (trx) => {
      const removed = await store.deleteAccountUser(trx, accountId, userId);
      if (removed) {
        await recordEvent(trx, principal.acting, {
          type: 'account_user.deleted',
          companyId: principal.companyId,
          target: { kind: 'account_user', id: removed.id },
          data: eventData.accountUser(toAccountUser(removed)),
        });
      }
    });
  }
}
