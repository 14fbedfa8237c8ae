/**
 * What an operator of the admin console does to users and widget users, across companies: search,
 * read a user whole (memberships, sessions), deactivate, end sessions, queue a password reset mail,
 * delete. Each write runs in one transaction with its event, the operator as actor.
 */
import { recordEvent } from '../events/log.js';
import type { Acting, EventType } from '../events/types.js';
import { nowIso } from '../infra/clock.js';
import { queueMail, type MailNotifier } from '../mail/outbox.js';
import * as consoleStore from '../store/console.js';
import type { Db } from '../store/db.js';
import { unlinkAll } from '../store/permissibles.js';
import type { Database, RoomRow } from '../store/schema.js';
import * as sessions from '../store/sessions.js';
import { inTransaction } from '../store/transaction.js';
import * as usersStore from '../store/users.js';
import type { Kysely } from 'kysely';
import { afterDeactivation } from './credential-changes.js';
import { invalid, notFound } from './errors.js';
import { isActive } from './users.js';

export const SEARCH_LIMITS = { pageSize: 50, text: 200 } as const;

/** A user as the console shows them (and as its events record them): never a hash or token. */
export interface UserView {
  id: number;
  companyId: number;
  companyCode: string;
  email: string;
  name: string;
  lastName: string | null;
  displayName: string | null;
  emailVerified: boolean;
  active: boolean;
  createdVia: string;
  createdAt: string;
  updatedAt: string;
}

export interface UserDetail {
  user: UserView;
  memberships: Array<{ accountId: number; accountName: string; role: string }>;
  sessions: Array<{ createdAt: string; expiresAt: string }>;
}

export interface WidgetUserView {
  id: number;
  companyCode: string;
  botId: string;
  referenceId: string;
  names: string;
  legalId: string | null;
  createdAt: string;
  updatedAt: string;
}

const toUserView = (u: consoleStore.UserHit): UserView => ({
  id: Number(u.id),
  companyId: Number(u.company_id),
  companyCode: u.company_code,
  email: u.email,
  name: u.name,
  lastName: u.last_name,
  displayName: u.display_name,
  emailVerified: u.email_verified_at !== null,
  active: isActive(u),
  createdVia: u.created_via,
  createdAt: u.created_at,
  updatedAt: u.updated_at,
});

const toWidgetUserView = (w: consoleStore.WidgetUserHit): WidgetUserView => ({
  id: Number(w.id),
  companyCode: w.company_code,
  botId: w.bot_id,
  referenceId: w.reference_id,
  names: w.names,
  legalId: w.legal_id,
  createdAt: w.created_at,
  updatedAt: w.updated_at,
});

export interface SearchQuery {
  text?: string | undefined;
  /** A company's id, to search within it only. */
  companyId?: number | undefined;
  page?: number | undefined;
}

function searchArgs(q: SearchQuery) {
  const text = (q.text ?? '').trim();
  if (text.length > SEARCH_LIMITS.text) throw invalid('SEARCH_TOO_LONG', `search text must be at most ${SEARCH_LIMITS.text} characters`);
  const page = Math.max(1, q.page ?? 1);
  return {
    text,
    ...(q.companyId !== undefined && { companyId: q.companyId }),
    limit: SEARCH_LIMITS.pageSize + 1,
    offset: (page - 1) * SEARCH_LIMITS.pageSize,
  };
}

/** A page of hits, and whether there is a next one. */
export interface Hits<T> {
  rows: T[];
  more: boolean;
}

const paged = <T>(rows: T[]): Hits<T> => ({ rows: rows.slice(0, SEARCH_LIMITS.pageSize), more: rows.length > SEARCH_LIMITS.pageSize });

export class UserAdmin {
  constructor(
    private readonly db: Db,
    private readonly mail: MailNotifier,
  ) {}

  /** How many there are of each, for the console's home page. */
  async counts(): Promise<Record<'companies' | 'users' | 'widget_users' | 'accounts' | 'operators' | 'events', number>> {
    const tables = ['companies', 'users', 'widget_users', 'accounts', 'operators', 'events'] as const;
    const n = await Promise.all(tables.map((t) => consoleStore.countRows(this.db.kysely, t)));
    return Object.fromEntries(tables.map((t, i) => [t, n[i] ?? 0])) as Record<(typeof tables)[number], number>;
  }

  async search(q: SearchQuery): Promise<Hits<UserView>> {
    return paged((await consoleStore.searchUsers(this.db.kysely, searchArgs(q))).map(toUserView));
  }

  async searchWidgetUsers(q: SearchQuery): Promise<Hits<WidgetUserView>> {
    return paged((await consoleStore.searchWidgetUsers(this.db.kysely, searchArgs(q))).map(toWidgetUserView));
  }

  async accounts(q: SearchQuery): Promise<Hits<consoleStore.AccountHit>> {
    const { limit, offset } = searchArgs(q);
    return paged(await consoleStore.listAccounts(this.db.kysely, { ...(q.companyId !== undefined && { companyId: q.companyId }), limit, offset }));
  }

  async accountMembers(accountId: number): Promise<Array<{ userId: number; email: string; name: string; role: string; createdAt: string }>> {
    return (await consoleStore.membersOfAccount(this.db.kysely, accountId)).map((m) => ({
      userId: m.user_id,
      email: m.email,
      name: m.name,
      role: m.role,
      createdAt: m.created_at,
    }));
  }

  async widgetUser(id: number): Promise<{ user: WidgetUserView; rooms: RoomRow[] }> {
    const w = await consoleStore.findWidgetUser(this.db.kysely, id);
    if (!w) throw notFound('WIDGET_USER_NOT_FOUND', `no widget user ${id}`);
    return { user: toWidgetUserView(w), rooms: await consoleStore.roomsOfWidgetUser(this.db.kysely, Number(w.id)) };
  }

  async get(id: number): Promise<UserDetail> {
    const u = await consoleStore.findUserWithCompany(this.db.kysely, id);
    if (!u) throw notFound('USER_NOT_FOUND', `no user ${id}`);
    const [memberships, live] = await Promise.all([
      consoleStore.membershipsOfUser(this.db.kysely, id),
      consoleStore.sessionsOfUser(this.db.kysely, id, nowIso()),
    ]);
    return {
      user: toUserView(u),
      memberships: memberships.map((m) => ({ accountId: m.account_id, accountName: m.account_name, role: m.role })),
      sessions: live.map((s) => ({ createdAt: s.created_at, expiresAt: s.expires_at })),
    };
  }

  /** Locks the user and runs `fn` on them in one transaction; 404 when there is no such user. */
  private async withUser<T>(id: number, fn: (trx: Kysely<Database>, u: consoleStore.UserHit, now: string) => Promise<T>): Promise<T> {
    return inTransaction(this.db.kysely, async (trx) => {
      const row = await usersStore.findUserForUpdate(trx, id);
      const u = row && (await consoleStore.findUserWithCompany(trx, id));
      if (!u) throw notFound('USER_NOT_FOUND', `no user ${id}`);
      return fn(trx, u, nowIso());
    });
  }

  private record(trx: Kysely<Database>, acting: Acting, type: EventType, u: consoleStore.UserHit, now: string) {
    return recordEvent(trx, acting, { type, companyId: Number(u.company_id), target: { kind: 'user', id: Number(u.id) }, data: { ...toUserView(u) } }, now);
  }

  /** Every login refused from now on, every session and login link ended (as SCIM `active: false`). Already inactive: nothing. */
  async deactivate(id: number, acting: Acting): Promise<UserView> {
    return this.withUser(id, async (trx, u, now) => {
      if (!isActive(u)) return toUserView(u);
      await usersStore.updateUser(trx, u.id, { active: 0, updated_at: now });
      await afterDeactivation(trx, u.id, now);
      const after = { ...u, active: 0, updated_at: now };
      await this.record(trx, acting, 'user.deactivated', after, now);
      return toUserView(after);
    });
  }

  async reactivate(id: number, acting: Acting): Promise<UserView> {
    return this.withUser(id, async (trx, u, now) => {
      if (isActive(u)) return toUserView(u);
      await usersStore.updateUser(trx, u.id, { active: 1, updated_at: now });
      const after = { ...u, active: 1, updated_at: now };
      await this.record(trx, acting, 'user.reactivated', after, now);
      return toUserView(after);
    });
  }

  /** Ends every Plazbot session of the user; a login whose password check is in flight opens none. */
  async endSessions(id: number, acting: Acting): Promise<void> {
    await this.withUser(id, async (trx, u, now) => {
      await usersStore.bumpCredentialVersion(trx, u.id);
      await sessions.deleteUserSessions(trx, u.id);
      await this.record(trx, acting, 'user.sessions_ended', u, now);
    });
  }

  /** Queues a password reset mail (a code, as Plazbot's forgot-password sends). */
  async sendPasswordReset(id: number, acting: Acting): Promise<void> {
    await this.withUser(id, async (trx, u, now) => {
      await queueMail(trx, 'reset_password', u);
      await this.record(trx, acting, 'user.password_reset_requested', u, now);
    });
    this.mail.notify();
  }

  /** Deletes the user; memberships, sessions and tokens go with the row, and every app's links to them. */
  async delete(id: number, acting: Acting): Promise<void> {
    await this.withUser(id, async (trx, u, now) => {
      await unlinkAll(trx, 'User', [u.id]);
      await usersStore.deleteUser(trx, u.id);
      await this.record(trx, acting, 'user.deleted', u, now);
    });
  }
}
