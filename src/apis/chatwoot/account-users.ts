/**
 * Account users: a user's membership of an account, with a role. Find-or-create then set the role,
 * race-free on a unique index. A user can join only accounts of their own company, and only when
 * the calling app may touch them (Chatwoot checks neither: see README, "tenant boundary").
 */
import type { Db } from '../../store/db.js';
import * as store from '../../store/account-users.js';
import { isForeignKeyViolation } from '../../store/errors.js';
import type { AccountRole, AccountUserRow } from '../../store/schema.js';
import { nowIso } from '../../infra/clock.js';
import type { Principal } from '../../identity/credentials.js';
import { parseId, recordNotFound, type AuthorizedId, type Permissions } from './permissions.js';
import { MESSAGES, RecordErrors, recordInvalid } from './record-errors.js';

export const ROLES: readonly AccountRole[] = ['administrator', 'agent'];

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
   * The user must exist, be of the account's company and be linked to the app: otherwise 422
   * "User must exist", whichever of the three failed.
   */
  async add(principal: Principal, accountId: AuthorizedId<'Account'>, params: { user_id?: unknown; role?: unknown }): Promise<AccountUser> {
    const errors = new RecordErrors();
    const userId = parseId(params.user_id);
    if (userId === undefined || !(await this.permissions.isVisible(principal, 'User', userId))) errors.add('user', MESSAGES.mustExist);
    let role: AccountRole | undefined;
    if (params.role !== undefined) {
      if (typeof params.role === 'string' && (ROLES as readonly string[]).includes(params.role)) role = params.role as AccountRole;
      else errors.add('role', MESSAGES.inclusion);
    }
    if (!errors.empty || userId === undefined) throw errors.toError();
    try {
      const now = nowIso();
      // A new membership is an online agent unless a role is given; an existing one keeps its role
      // unless one is given.
      const row = {
        account_id: accountId,
        user_id: userId,
        role: role ?? 'agent',
        inviter_id: null,
        availability: 'online',
        auto_offline: 1,
        active_at: null,
        created_at: now,
        updated_at: now,
      } as const;
      return toAccountUser(await store.upsertAccountUser(this.db.kysely, row, { setRole: role !== undefined }));
    } catch (err) {
      if (!isForeignKeyViolation(err)) throw err;
      // The user or the account was deleted meanwhile.
      if (!(await this.permissions.isVisible(principal, 'Account', accountId))) throw recordNotFound();
      throw recordInvalid('user', MESSAGES.mustExist);
    }
  }

  /** DELETE: removes the membership when there is one; nothing to remove is not an error. */
  async remove(accountId: AuthorizedId<'Account'>, rawUserId: unknown): Promise<void> {
    const userId = parseId(rawUserId);
    if (userId !== undefined) await store.deleteAccountUser(this.db.kysely, accountId, userId);
  }
}
