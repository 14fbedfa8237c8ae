/**
 * `roster import chatwoot`: a Chatwoot installation's accounts, users (with their bcrypt password
 * hashes), memberships and, when asked, platform apps with what each may touch, into one company.
 *
 * Ids: a Chatwoot account or user keeps its numeric id in roster when no roster record of the
 * same table has it, so that integrations which stored Chatwoot ids keep working; the others get a
 * new id, and the report lists each (`idsNotKept`). Before anything is written, the id counters of
 * roster's users and accounts tables are moved past Chatwoot's largest ids, so that nothing roster
 * creates meanwhile (the API, this import's own records whose ids are not kept) takes an id a
 * Chatwoot record is about to claim.
 *
 * Idempotent: every record brought in is recorded in import_links (Chatwoot id -> roster id), so
 * that a second run finds it, whether its id was kept or not; a run stopped halfway finishes the
 * job when started again. A second run syncs what Chatwoot changed meanwhile (names, display names,
 * custom attributes, confirmation, an account's settings, a membership's role and availability),
 * and never a password: roster re-hashes a user's password at their first login, and a user may
 * have changed it since. A Chatwoot user whose email is already a roster user's of this company is
 * taken to be that user (linked, not duplicated); of another company, a row error.
 *
 * Row errors say `{ line, field, message }` with the Chatwoot record's id as the line and
 * `<table>.<column>` as the field (`{ line: 12, field: "users.email", ... }`).
 *
 * Platform apps: roster cannot take over a Chatwoot platform app's access token (roster's tokens are
 * its own format, kept as digests), so each imported app is a new roster platform app whose token is
 * in the report of the run that created it, once; integrations switch to it. Its permissibles are
 * linked to the imported accounts and users (agent bots are not imported: their links are skipped).
 */
import { LOCALES } from '../identity/accounts.js';
import type { Company } from '../identity/companies.js';
import { TOKEN_PREFIX } from '../identity/credentials.js';
import { digest, formatToken, newPublicId, newSecret } from '../identity/secrets.js';
import { isValidEmail, newUserRow, normalizeEmail } from '../identity/users.js';
import { recordEvents } from '../events/log.js';
import type { Acting, NewEvent } from '../events/types.js';
import { nowIso } from '../infra/clock.js';
import { insertAccount } from '../store/accounts.js';
import { insertCredential } from '../store/credentials.js';
import type { Db } from '../store/db.js';
import { StoreError } from '../store/errors.js';
import * as batches from '../store/import-batches.js';
import * as links from '../store/import-links.js';
import type { AccountRole, AccountRow, NewAccount, NewUser, UserRow } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import { updateUser, type UserPatch } from '../store/users.js';
import { CHATWOOT_AVAILABILITY, CHATWOOT_ROLES, CHATWOOT_STATUSES, featuresOf } from './chatwoot-enums.js';
import {
  ChatwootSource,
  type ChatwootAccount,
  type ChatwootAccountUser,
  type ChatwootPermissible,
  type ChatwootPlatformApp,
  type ChatwootUser,
} from './chatwoot-source.js';
import { batchSizeOf, importActing, newRunId, writeIsolating, type ImportReport } from './run.js';
import type { RowError } from './types.js';
import { hashProblem } from './users.js';

export interface ChatwootImportOptions {
  company: Company;
  /** postgres:// URL of the Chatwoot database (read only). */
  from: string;
  dryRun?: boolean;
  /** Also platform_apps and platform_app_permissibles. */
  platformApps?: boolean;
  /** Records per transaction (default DEFAULT_BATCH_SIZE). */
  batchSize?: number;
  /** Called after each batch with the records handled so far. */
  onProgress?: (records: number) => void;
  runId?: string;
}

export interface KindCounts {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface ChatwootImportReport extends ImportReport {
  kinds: {
    accounts: KindCounts;
    users: KindCounts;
    accountUsers: KindCounts;
    platformApps: KindCounts;
    /** Links of platform apps to records: new, already there, or skipped (an agent bot, a record not imported). */
    permissibles: { created: number; unchanged: number; skipped: number };
  };
  /**
   * Chatwoot ids roster holds under another id (this run's and earlier runs'), and the roster id
   * each has; a dry run lists the ones it would not keep, with id null.
   */
  idsNotKept: { accounts: IdNotKept[]; users: IdNotKept[] };
  /** The platform apps of the run; `token` only for the ones it created (shown once). */
  platformApps: Array<{ chatwootId: number; name: string; id: string | null; token: string | null }>;
  /** What was imported other than as it was (an unknown locale, a membership without a role, ...). */
  notes: string[];
}

export interface IdNotKept {
  chatwootId: number;
  id: number | null;
}

const MAX_NOTES = 200;
/** The most ids not kept a report lists, per kind. */
const MAX_NOT_KEPT = 10_000;
const jsonObject = (v: unknown): string => JSON.stringify(typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {});
const counts = (): KindCounts => ({ created: 0, updated: 0, unchanged: 0, failed: 0 });

type AccountFields = Pick<
  NewAccount,
  'name' | 'locale' | 'domain' | 'support_email' | 'status' | 'features' | 'limits' | 'custom_attributes' | 'created_at' | 'updated_at'
>;

type Item<T> = {
  line: number;
  /** The roster id: given for an update; for a create, the kept id or, once written, the new one. */
  id?: number;
  keep?: boolean;
  create?: T;
  patch?: Record<string, unknown>;
  changed?: string[];
  /** A link to record (a create, or a roster user adopted by email). */
  link?: boolean;
};

class ChatwootImport {
  private readonly accountIds = new Map<number, number>();
  private readonly userIds = new Map<number, number>();
  /** Chatwoot user id by normalised email: two Chatwoot users with one email cannot both come. */
  private readonly emails = new Map<string, number>();
  private readonly failed: RowError[] = [];
  private readonly notes: string[] = [];
  private notesLeftOut = 0;
  private readonly report: Pick<ChatwootImportReport, 'kinds' | 'idsNotKept' | 'platformApps'> = {
    kinds: { accounts: counts(), users: counts(), accountUsers: counts(), platformApps: counts(), permissibles: { created: 0, unchanged: 0, skipped: 0 } },
    idsNotKept: { accounts: [], users: [] },
    platformApps: [],
  };
  private handled = 0;
  private readonly batchSize: number;
  private readonly dryRun: boolean;
  private readonly company: Company;
  private placeholder = 0;
  private acting: Acting = importActing('imp_unset');

  constructor(
    private readonly db: Db,
    private readonly options: ChatwootImportOptions,
  ) {
    this.batchSize = batchSizeOf(options.batchSize);
    this.dryRun = options.dryRun === true;
    this.company = options.company;
  }

  private key(kind: 'user' | 'account' | 'platform_app'): links.LinkKey {
    return { companyId: this.company.id, source: 'chatwoot', kind };
  }

  private note(text: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
    else this.notesLeftOut++;
  }

  private fail(kind: KindCounts, line: number, field: string, message: string): void {
    this.failed.push({ line, field, message });
    kind.failed++;
  }

  private progress(n: number): void {
    this.handled += n;
    this.options.onProgress?.(this.handled);
  }

  /** A stand-in id for a record a dry run would create with a new id (negative: matches no row). */
  private nextPlaceholder(): number {
    return --this.placeholder;
  }

  async run(): Promise<ChatwootImportReport> {
    const runId = this.options.runId ?? newRunId();
    const source = await ChatwootSource.open(this.options.from, { platformApps: this.options.platformApps === true });
    try {
      if (!this.dryRun) {
        await batches.reserveIdsUpTo(this.db.kysely, 'accounts', await source.maxId('accounts'));
        await batches.reserveIdsUpTo(this.db.kysely, 'users', await source.maxId('users'));
      }
      this.acting = importActing(runId);
      for await (const page of source.pages<ChatwootAccount>('accounts', this.batchSize)) await this.accounts(page);
      for await (const page of source.pages<ChatwootUser>('users', this.batchSize)) await this.users(page);
      for await (const page of source.pages<ChatwootAccountUser>('account_users', this.batchSize)) await this.accountUsers(page);
      if (this.options.platformApps) {
        const apps: ChatwootPlatformApp[] = [];
        for await (const page of source.pages<ChatwootPlatformApp>('platform_apps', this.batchSize)) apps.push(...page);
        const appIds = await this.platformApps(apps);
        for await (const page of source.pages<ChatwootPermissible>('platform_app_permissibles', this.batchSize)) await this.permissibles(page, appIds);
      }
    } finally {
      await source.close();
    }
    if (!this.dryRun) {
      // Every Chatwoot id of this company that roster holds under another id, whichever run linked it.
      for (const [kind, list] of [
        ['account', this.report.idsNotKept.accounts],
        ['user', this.report.idsNotKept.users],
      ] as const) {
        for (const l of await links.linksNotKept(this.db.kysely, this.key(kind), MAX_NOT_KEPT))
          list.push({ chatwootId: Number(l.sourceId), id: Number(l.targetId) });
      }
    }
    const k = this.report.kinds;
    const total = (f: keyof KindCounts) => k.accounts[f] + k.users[f] + k.accountUsers[f] + k.platformApps[f];
    if (this.notesLeftOut > 0) this.notes.push(`… and ${this.notesLeftOut} more notes`);
    return {
      runId,
      dryRun: this.dryRun,
      created: total('created'),
      updated: total('updated'),
      unchanged: total('unchanged'),
      failed: this.failed.sort((a, b) => a.line - b.line),
      warnings: [],
      ...this.report,
      notes: this.notes,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Accounts

  private accountFields(a: ChatwootAccount): AccountFields {
    let locale = a.locale === null ? undefined : LOCALES[a.locale];
    if (locale === undefined) {
      this.note(`account ${a.id}: locale ${String(a.locale)} is not a Chatwoot locale; imported as en`);
      locale = 'en';
    }
    let status = a.status === null ? undefined : CHATWOOT_STATUSES[a.status];
    if (status === undefined) {
      this.note(`account ${a.id}: status ${String(a.status)} is not a Chatwoot status; imported as active`);
      status = 'active';
    }
    return {
      name: a.name,
      locale,
      domain: a.domain,
      support_email: a.support_email,
      status,
      features: JSON.stringify(featuresOf(a.feature_flags)),
      limits: jsonObject(a.limits),
      custom_attributes: jsonObject(a.custom_attributes),
      created_at: a.created_at,
      updated_at: a.updated_at,
    };
  }

  private async accounts(page: ChatwootAccount[]): Promise<void> {
    const kind = this.report.kinds.accounts;
    const kysely = this.db.kysely;
    const linked = await links.findLinks(
      kysely,
      this.key('account'),
      page.map((a) => String(a.id)),
    );
    const stored = new Map((await batches.findAccountsByIds(kysely, this.company.id, [...linked.values()].map(Number))).map((a) => [a.id, a]));
    await this.dropStale('account', linked, (target) => stored.has(Number(target)));
    const taken = await batches.takenIds(
      kysely,
      'accounts',
      page.filter((a) => !linked.has(String(a.id))).map((a) => a.id),
    );

    const items: Array<Item<AccountFields>> = [];
    for (const a of page) {
      const fields = this.accountFields(a);
      const target = linked.get(String(a.id));
      if (target !== undefined) {
        const current = stored.get(Number(target))!;
        const { patch, changed } = accountDiff(current, fields);
        this.accountIds.set(a.id, current.id);
        if (changed.length === 0) kind.unchanged++;
        else items.push({ line: a.id, id: current.id, patch, changed });
      } else {
        items.push({ line: a.id, keep: !taken.has(a.id), create: fields, link: true });
      }
    }
    await this.write(kind, items, (trx, part, now) => this.writeAccounts(trx, part, now));
    for (const i of items) if (i.create && i.id !== undefined) this.accountIds.set(i.line, i.id);
    this.notKept(this.report.idsNotKept.accounts, items);
    this.progress(page.length);
  }

  private async writeAccounts(trx: Db['kysely'], items: Array<Item<AccountFields>>, now: string): Promise<void> {
    const events: NewEvent[] = [];
    for (const i of items) {
      if (i.create) {
        const row = await insertAccount(trx, { ...i.create, company_id: this.company.id, ...(i.keep && { id: i.line }) });
        i.id = row.id;
        events.push({
          type: 'account.created',
          companyId: this.company.id,
          target: { kind: 'account', id: row.id },
          data: { id: row.id, name: row.name, chatwootId: i.line },
        });
      } else {
        await trx
          .updateTable('accounts')
          .set({ ...i.patch, updated_at: now })
          .where('id', '=', i.id!)
          .execute();
        events.push({
          type: 'account.updated',
          companyId: this.company.id,
          target: { kind: 'account', id: i.id! },
          data: { id: i.id, changed: i.changed, chatwootId: i.line },
        });
      }
    }
    await links.insertLinks(
      trx,
      this.key('account'),
      items.filter((i) => i.link).map((i) => ({ sourceId: String(i.line), targetId: String(i.id) })),
      now,
    );
    await recordEvents(trx, this.acting, events, now);
  }

  // -------------------------------------------------------------------------------------------
  // Users

  private async users(page: ChatwootUser[]): Promise<void> {
    const kind = this.report.kinds.users;
    const kysely = this.db.kysely;
    const linked = await links.findLinks(
      kysely,
      this.key('user'),
      page.map((u) => String(u.id)),
    );
    const byId = new Map(
      (await batches.findUsersByIds(kysely, [...linked.values()].map(Number))).filter((u) => u.company_id === this.company.id).map((u) => [u.id, u]),
    );
    await this.dropStale('user', linked, (target) => byId.has(Number(target)));
    const emailOf = (u: ChatwootUser) => (typeof u.email === 'string' ? normalizeEmail(u.email) : '');
    const byEmail = new Map(
      (
        await batches.findUsersByEmails(
          kysely,
          page
            .filter((u) => !linked.has(String(u.id)))
            .map(emailOf)
            .filter(isValidEmail),
        )
      ).map((u) => [u.email, u]),
    );
    const taken = await batches.takenIds(
      kysely,
      'users',
      page.filter((u) => !linked.has(String(u.id))).map((u) => u.id),
    );

    const items: Array<Item<NewUser>> = [];
    for (const u of page) {
      const errors = this.failed.length;
      const email = emailOf(u);
      if (email === '') this.fail(kind, u.id, 'users.email', 'is blank');
      else if (!isValidEmail(email)) this.fail(kind, u.id, 'users.email', 'is not a valid email address');
      else {
        const first = this.emails.get(email);
        if (first !== undefined && first !== u.id) this.fail(kind, u.id, 'users.email', `is also the email of Chatwoot user ${first}`);
        else this.emails.set(email, u.id);
      }
      const hash = typeof u.encrypted_password === 'string' && u.encrypted_password !== '' ? u.encrypted_password : null;
      const problem = hash === null ? undefined : hashProblem(hash);
      if (problem !== undefined) this.fail(kind, u.id, 'users.encrypted_password', problem);
      const target = linked.get(String(u.id));
      const current = target !== undefined ? byId.get(Number(target)) : byEmail.get(email);
      if (target === undefined && current && current.company_id !== this.company.id) {
        this.fail(kind, u.id, 'users.email', 'belongs to a user of another company in roster');
      }
      if (this.failed.length > errors) continue;

      const fields = this.userFields(u, email, hash);
      if (current) {
        const { patch, changed } = userDiff(current, fields);
        this.userIds.set(u.id, current.id);
        // A roster user of this company with the email (created through an API, say) is this user.
        const adopt = target === undefined;
        if (adopt && current.id !== u.id && this.dryRun) this.report.idsNotKept.users.push({ chatwootId: u.id, id: null });
        if (changed.length === 0 && !adopt) kind.unchanged++;
        else items.push({ line: u.id, id: current.id, patch, changed, link: adopt });
      } else {
        items.push({ line: u.id, keep: !taken.has(u.id), create: fields, link: true });
      }
    }
    await this.write(
      kind,
      items,
      (trx, part, now) => this.writeUsers(trx, part, now),
      (i) => !!i.create || (i.changed?.length ?? 0) > 0,
    );
    for (const i of items) if (i.create && i.id !== undefined) this.userIds.set(i.line, i.id);
    this.notKept(this.report.idsNotKept.users, items);
    this.progress(page.length);
  }

  private userFields(u: ChatwootUser, email: string, hash: string | null): NewUser {
    const name = u.name?.trim() || u.display_name?.trim() || email.slice(0, email.indexOf('@'));
    const row = newUserRow(
      {
        companyId: this.company.id,
        email,
        name,
        displayName: u.display_name?.trim() || null,
        passwordHash: hash,
        emailVerified: false,
        createdVia: 'import',
      },
      u.updated_at,
    );
    row.email_verified_at = u.confirmed_at;
    row.custom_attributes = jsonObject(u.custom_attributes);
    row.created_at = u.created_at;
    return row;
  }

  private async writeUsers(trx: Db['kysely'], items: Array<Item<NewUser>>, now: string): Promise<void> {
    const events: NewEvent[] = [];
    const creates = items.filter((i) => i.create);
    const kept = creates.filter((i) => i.keep);
    const fresh = creates.filter((i) => !i.keep);
    const ids = new Map<string, number>();
    for (const u of await batches.insertUsers(
      trx,
      kept.map((i) => ({ ...i.create!, id: i.line })),
    ))
      ids.set(u.email, u.id);
    for (const u of await batches.insertUsers(
      trx,
      fresh.map((i) => i.create!),
    ))
      ids.set(u.email, u.id);
    for (const i of creates) {
      const row = i.create!;
      const id = ids.get(row.email);
      // Taken since the lookup: fails the batch, which is then written row by row.
      if (id === undefined) throw new StoreError('unique', 'email taken during the import');
      i.id = id;
      events.push({
        type: 'user.created',
        companyId: this.company.id,
        target: { kind: 'user', id },
        data: { id, email: row.email, name: row.name, displayName: row.display_name, emailVerified: row.email_verified_at !== null, chatwootId: i.line },
      });
    }
    for (const i of items) {
      if (i.create || !i.changed || i.changed.length === 0) continue;
      await updateUser(trx, i.id!, { ...(i.patch as UserPatch), updated_at: now });
      events.push({
        type: 'user.updated',
        companyId: this.company.id,
        target: { kind: 'user', id: i.id! },
        data: { id: i.id, changed: i.changed, chatwootId: i.line },
      });
    }
    await links.insertLinks(
      trx,
      this.key('user'),
      items.filter((i) => i.link).map((i) => ({ sourceId: String(i.line), targetId: String(i.id) })),
      now,
    );
    await recordEvents(trx, this.acting, events, now);
  }

  // -------------------------------------------------------------------------------------------
  // Memberships

  private async accountUsers(page: ChatwootAccountUser[]): Promise<void> {
    const kind = this.report.kinds.accountUsers;
    type Fields = {
      account_id: number;
      user_id: number;
      role: AccountRole;
      availability: string;
      auto_offline: number;
      active_at: string | null;
      inviter_id: number | null;
    };
    const wanted: Array<{ line: number; fields: Fields; created_at: string; updated_at: string }> = [];
    for (const au of page) {
      const accountId = au.account_id === null ? undefined : this.accountIds.get(au.account_id);
      const userId = au.user_id === null ? undefined : this.userIds.get(au.user_id);
      if (accountId === undefined)
        this.fail(kind, au.id, 'account_users.account_id', `names Chatwoot account ${String(au.account_id)}, which was not imported`);
      if (userId === undefined) this.fail(kind, au.id, 'account_users.user_id', `names Chatwoot user ${String(au.user_id)}, which was not imported`);
      let role = au.role === null ? undefined : CHATWOOT_ROLES[au.role];
      if (au.role === null) {
        this.note(`account_users ${au.id}: no role; imported as agent`);
        role = 'agent';
      } else if (role === undefined) {
        this.fail(kind, au.id, 'account_users.role', `${au.role} is not a Chatwoot role (0 agent, 1 administrator)`);
      }
      if (accountId === undefined || userId === undefined || role === undefined) continue;
      wanted.push({
        line: au.id,
        fields: {
          account_id: accountId,
          user_id: userId,
          role,
          availability: (au.availability === null ? undefined : CHATWOOT_AVAILABILITY[au.availability]) ?? 'online',
          auto_offline: au.auto_offline === false ? 0 : 1,
          active_at: au.active_at,
          inviter_id: au.inviter_id === null ? null : (this.userIds.get(au.inviter_id) ?? null),
        },
        created_at: au.created_at,
        updated_at: au.updated_at,
      });
    }
    const existing = new Map(
      (
        await batches.findMemberships(
          this.db.kysely,
          wanted.map((w) => ({ accountId: w.fields.account_id, userId: w.fields.user_id })),
        )
      ).map((m) => [`${m.account_id}:${m.user_id}`, m]),
    );
    const items: Array<Item<(typeof wanted)[number]>> = [];
    for (const w of wanted) {
      const m = existing.get(`${w.fields.account_id}:${w.fields.user_id}`);
      if (!m) {
        items.push({ line: w.line, create: w });
        continue;
      }
      const changed: string[] = [];
      const patch: Record<string, unknown> = {};
      for (const f of ['role', 'availability', 'auto_offline', 'active_at'] as const) {
        if (m[f] !== w.fields[f]) {
          patch[f] = w.fields[f];
          changed.push(f);
        }
      }
      if (changed.length === 0) kind.unchanged++;
      else items.push({ line: w.line, id: m.id, patch, changed });
    }
    await this.write(kind, items, async (trx, part, now) => {
      const events: NewEvent[] = [];
      for (const i of part) {
        if (i.create) {
          const [row] = await batches.insertMemberships(trx, [{ ...i.create.fields, created_at: i.create.created_at, updated_at: i.create.updated_at }]);
          // The membership appeared meanwhile: fails the batch, which is then written row by row.
          if (!row) throw new StoreError('unique', 'membership created during the import');
          events.push({
            type: 'account_user.created',
            companyId: this.company.id,
            target: { kind: 'account_user', id: row.id },
            data: { id: row.id, accountId: row.account_id, userId: row.user_id, role: i.create.fields.role },
          });
        } else {
          await batches.updateMembership(trx, i.id!, { ...(i.patch as { role?: AccountRole }), updated_at: now });
          events.push({
            type: 'account_user.updated',
            companyId: this.company.id,
            target: { kind: 'account_user', id: i.id! },
            data: { id: i.id, changed: i.changed },
          });
        }
      }
      await recordEvents(trx, this.acting, events, now);
    });
    this.progress(page.length);
  }

  // -------------------------------------------------------------------------------------------
  // Platform apps

  private async platformApps(apps: ChatwootPlatformApp[]): Promise<Map<number, string>> {
    const kind = this.report.kinds.platformApps;
    const kysely = this.db.kysely;
    const linked = await links.findLinks(
      kysely,
      this.key('platform_app'),
      apps.map((a) => String(a.id)),
    );
    const alive = new Set((await batches.findPlatformApps(kysely, this.company.id, [...linked.values()])).map((c) => c.id));
    await this.dropStale('platform_app', linked, (target) => alive.has(target));
    const appIds = new Map<number, string>();
    const created: Array<{ app: ChatwootPlatformApp; name: string; id: string; token: string; line: number }> = [];
    for (const app of apps) {
      const name = (app.name ?? '').trim().slice(0, 200) || `Chatwoot platform app ${app.id}`;
      const target = linked.get(String(app.id));
      if (target !== undefined) {
        kind.unchanged++;
        appIds.set(app.id, target);
        this.report.platformApps.push({ chatwootId: app.id, name, id: target, token: null });
      } else if (this.dryRun) {
        kind.created++;
        appIds.set(app.id, `dry-run-${app.id}`);
        this.report.platformApps.push({ chatwootId: app.id, name, id: null, token: null });
      } else {
        const id = newPublicId();
        created.push({ app, name, id, token: formatToken(TOKEN_PREFIX.platform_app, id, newSecret()), line: app.id });
      }
    }
    if (created.length > 0) {
      await inTransaction(kysely, async (trx) => {
        const now = nowIso();
        const events: NewEvent[] = [];
        for (const c of created) {
          const secret = c.token.slice(c.token.indexOf('.') + 1);
          await insertCredential(trx, {
            id: c.id,
            kind: 'platform_app',
            company_id: this.company.id,
            bot_id: null,
            name: c.name,
            secret_digest: digest(secret),
            created_at: now,
          });
          events.push({
            type: 'credential.created',
            companyId: this.company.id,
            target: { kind: 'credential', id: c.id },
            data: { id: c.id, kind: 'platform_app', name: c.name, chatwootId: c.app.id },
          });
        }
        await links.insertLinks(
          trx,
          this.key('platform_app'),
          created.map((c) => ({ sourceId: String(c.app.id), targetId: c.id })),
          now,
        );
        await recordEvents(trx, this.acting, events, now);
      });
      for (const c of created) {
        kind.created++;
        appIds.set(c.app.id, c.id);
        this.report.platformApps.push({ chatwootId: c.app.id, name: c.name, id: c.id, token: c.token });
      }
    }
    this.progress(apps.length);
    return appIds;
  }

  private async permissibles(page: ChatwootPermissible[], appIds: Map<number, string>): Promise<void> {
    const counts = this.report.kinds.permissibles;
    const now = nowIso();
    const rows: Array<{ platform_app_id: string; permissible_type: 'Account' | 'User'; permissible_id: number; created_at: string }> = [];
    for (const p of page) {
      const app = appIds.get(p.platform_app_id);
      const target =
        p.permissible_type === 'Account'
          ? this.accountIds.get(p.permissible_id)
          : p.permissible_type === 'User'
            ? this.userIds.get(p.permissible_id)
            : undefined;
      if (app === undefined || target === undefined) {
        counts.skipped++;
        continue;
      }
      rows.push({ platform_app_id: app, permissible_type: p.permissible_type as 'Account' | 'User', permissible_id: target, created_at: now });
    }
    if (this.dryRun) {
      counts.created += rows.length;
    } else {
      const n = await inTransaction(this.db.kysely, (trx) => batches.insertPermissibles(trx, rows));
      counts.created += n;
      counts.unchanged += rows.length - n;
    }
    this.progress(page.length);
  }

  // -------------------------------------------------------------------------------------------

  /** Forgets links whose roster record is gone (deleted since): the record is imported anew. */
  private async dropStale(kind: 'user' | 'account' | 'platform_app', linked: Map<string, string>, alive: (target: string) => boolean): Promise<void> {
    const stale = [...linked].filter(([, target]) => !alive(target)).map(([source]) => source);
    for (const s of stale) linked.delete(s);
    if (stale.length > 0 && !this.dryRun) await links.deleteLinks(this.db.kysely, this.key(kind), stale);
  }

  /**
   * Writes the items in one transaction (row by row when it fails: see writeIsolating) and counts
   * them; a dry run counts what it would do and gives creates a stand-in id.
   */
  private async write<T>(
    kind: KindCounts,
    items: Array<Item<T>>,
    write: (trx: Db['kysely'], items: Array<Item<T>>, now: string) => Promise<void>,
    isChange: (i: Item<T>) => boolean = () => true,
  ): Promise<void> {
    const count = (i: Item<T>) => {
      if (i.create) kind.created++;
      else if (isChange(i)) kind.updated++;
      else kind.unchanged++;
    };
    if (this.dryRun) {
      for (const i of items) {
        if (i.create) i.id = i.keep ? i.line : this.nextPlaceholder();
        count(i);
      }
      return;
    }
    const before = this.failed.length;
    const written = await writeIsolating(items, (part) => inTransaction(this.db.kysely, (trx) => write(trx, part, nowIso())), this.failed);
    kind.failed += this.failed.length - before;
    const ok = new Set(written);
    for (const i of items) {
      if (ok.has(i)) count(i);
      else if (i.create) delete i.id;
    }
  }

  /** A dry run's prediction (a real run reads them from import_links at its end). */
  private notKept(list: IdNotKept[], items: Array<Item<unknown>>): void {
    if (!this.dryRun) return;
    for (const i of items) if (i.create && !i.keep) list.push({ chatwootId: i.line, id: null });
  }
}

function accountDiff(current: AccountRow, fields: AccountFields): { patch: Record<string, unknown>; changed: string[] } {
  const patch: Record<string, unknown> = {};
  const changed: string[] = [];
  for (const f of ['name', 'locale', 'domain', 'support_email', 'status', 'features', 'limits', 'custom_attributes'] as const) {
    if (current[f] !== fields[f]) {
      patch[f] = fields[f];
      changed.push(f);
    }
  }
  return { patch, changed };
}

/** What a second run updates: profile fields; confirmation only from none; a password only where there is none. */
function userDiff(current: UserRow, fields: NewUser): { patch: UserPatch; changed: string[] } {
  const patch: UserPatch = {};
  const changed: string[] = [];
  const set = <K extends keyof UserPatch>(key: K, value: UserPatch[K], name: string) => {
    patch[key] = value;
    changed.push(name);
  };
  if (current.email !== fields.email) set('email', fields.email, 'email');
  if (current.name !== fields.name) set('name', fields.name, 'name');
  if (current.display_name !== (fields.display_name ?? null)) set('display_name', fields.display_name ?? null, 'displayName');
  if (current.custom_attributes !== fields.custom_attributes) set('custom_attributes', fields.custom_attributes, 'customAttributes');
  if (current.email_verified_at === null && fields.email_verified_at) set('email_verified_at', fields.email_verified_at, 'confirmed');
  if (current.password_hash === null && fields.password_hash) set('password_hash', fields.password_hash, 'password');
  return { patch, changed };
}

/** Runs a Chatwoot import (see the module comment). */
export function importChatwoot(db: Db, options: ChatwootImportOptions): Promise<ChatwootImportReport> {
  return new ChatwootImport(db, options).run();
}
