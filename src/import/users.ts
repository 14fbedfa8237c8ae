/**
 * `roster import users`: a CSV or JSON lines file of people into one company, in batches, each
 * batch one transaction, idempotent.
 *
 * A row (checked by UserRows: see rows.ts for the columns) becomes:
 * - a new user, when no user has its email: with the file's password hash as it is (any format
 *   password-hashes.ts accepts; re-hashed with roster's argon2id at the first login), or its
 *   plaintext password hashed now (after the company's password policy), and its memberships;
 * - an update of the company's user with that email, when the file says something the user does
 *   not have yet: another name, last name or display name; verified where the user is not (never
 *   the other way); a membership the user lacks or another role in it; a password where the user
 *   has none; another external_id (users.external_id, the column SCIM's externalId also reads).
 *   Nothing else is touched: a password is never replaced (the user
 *   may have changed it since), memberships not in the file stay, a blank field keeps what is
 *   stored;
 * - "unchanged" when the file says nothing new, which is what a second run of the same file finds
 *   for every row. A run stopped halfway left whole batches behind it; the next run finds them
 *   unchanged and writes the rest.
 * - a row error ({ line, field, message }) and nothing written for it, when it is malformed, when
 *   its email belongs to a user of another company, when an account it names does not exist in the
 *   company (accounts are never created by this import: a misspelt name must not make a new
 *   workspace) or is ambiguous (two accounts of that name: give the id), or when its external_id
 *   is another user's of the company (or on an earlier line).
 *
 * Plaintext passwords are hashed before the batch's transaction opens, in the password threads, a
 * few at a time (p-limit). With `dryRun` everything is checked against the database (emails,
 * accounts, policy) and nothing is hashed or written; the counts say what a run would do.
 */
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { recordEvents } from '../events/log.js';
import type { Acting, NewEvent } from '../events/types.js';
import type { Company } from '../identity/companies.js';
import { parseForeignHash } from '../identity/password-hashes.js';
import { checkPassword, hashPassword } from '../identity/passwords.js';
import { newUserRow } from '../identity/users.js';
import { nowIso } from '../infra/clock.js';
import type { Db } from '../store/db.js';
import { StoreError } from '../store/errors.js';
import * as batches from '../store/import-batches.js';
import type { AccountRole, NewUser, UserRow } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import type { UserPatch } from '../store/users.js';
import { updateUser } from '../store/users.js';
import { readRows, type ImportFormat } from './read.js';
import { UserRows, type ImportUser, type Membership } from './rows.js';
import { batchSizeOf, importActing, newRunId, writeIsolating, type ImportReport } from './run.js';
import type { RowError } from './types.js';
import { newMembershipRow } from '../identity/accounts.js';

export interface UsersImportOptions {
  company: Company;
  /** A path, or a byte stream. */
  source: string | Readable;
  /** Default: from the path's extension. */
  format?: ImportFormat;
  dryRun?: boolean;
  /** Rows per transaction (default DEFAULT_BATCH_SIZE). */
  batchSize?: number;
  /** Plaintext passwords hashed at once (default: the machine's parallelism, at most 4: libuv's pool). */
  hashConcurrency?: number;
  /** Called as rows are read, with the rows so far and the bytes read so far. */
  onProgress?: (rows: number, bytesRead: number) => void;
  runId?: string;
}

/** The message a hash the parser refuses gets (after the field name, "password_hash"). */
export function hashProblem(hash: string): string | undefined {
  try {
    parseForeignHash(hash);
    return undefined;
  } catch (err) {
    return `is not accepted: ${err instanceof Error ? err.message : 'unknown password hash format'}`;
  }
}

const quote = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

/** The company's accounts by id and by name, looked up once per run as rows name them. */
class AccountDirectory {
  private readonly ids = new Map<number, boolean>();
  private readonly names = new Map<string, number[]>();

  constructor(
    private readonly db: Db,
    private readonly companyId: number,
  ) {}

  async load(rows: ImportUser[]): Promise<void> {
    const ids = new Set<number>();
    const names = new Set<string>();
    for (const r of rows) {
      for (const m of r.accounts) {
        if (m.account.id !== undefined) {
          if (!this.ids.has(m.account.id)) ids.add(m.account.id);
        } else if (!this.names.has(m.account.name)) names.add(m.account.name);
      }
    }
    if (ids.size === 0 && names.size === 0) return;
    const found = await batches.findCompanyAccounts(this.db.kysely, this.companyId, [...ids], [...names]);
    for (const id of ids) this.ids.set(id, false);
    for (const name of names) this.names.set(name, []);
    for (const a of found) {
      if (ids.has(a.id)) this.ids.set(a.id, true);
      if (names.has(a.name)) {
        const list = this.names.get(a.name)!;
        if (!list.includes(a.id)) list.push(a.id);
      }
    }
  }

  /** The account id a membership names, or why it names none. */
  resolve(m: Membership, companyCode: string): { id: number } | { error: string } {
    if (m.account.id !== undefined) {
      return this.ids.get(m.account.id) ? { id: m.account.id } : { error: `names the account ${m.account.id}, which company ${companyCode} does not have` };
    }
    const ids = this.names.get(m.account.name) ?? [];
    if (ids.length === 1) return { id: ids[0]! };
    if (ids.length === 0) return { error: `names the account ${quote(m.account.name)}, which company ${companyCode} does not have (create it first)` };
    return { error: `names the account ${quote(m.account.name)}, and company ${companyCode} has ${ids.length} of that name: give its id (${ids.join(', ')})` };
  }
}

interface MembershipPlan {
  accountId: number;
  role: AccountRole;
  /** The membership row when the user has one (its role differs, or it would not be planned). */
  existingId?: number;
}

interface RowPlan {
  line: number;
  row: ImportUser;
  /** The stored user, when the email is the company's already. */
  user?: UserRow;
  patch: UserPatch;
  /** The names of the fields the update changes (for the event), memberships excluded. */
  changed: string[];
  memberships: MembershipPlan[];
  /** A plaintext password to hash (the user is new, or has no password). */
  hashFrom?: string;
  /** The hash to store: the file's, or hashFrom's once hashed. */
  passwordHash: string | null;
}

const isEmpty = (p: RowPlan) => p.changed.length === 0 && p.memberships.length === 0;

export class UsersImport {
  private readonly failed: RowError[] = [];
  private created = 0;
  private updated = 0;
  private unchanged = 0;
  private readonly accounts: AccountDirectory;
  private readonly limit: ReturnType<typeof pLimit>;
  private acting: Acting = importActing('imp_unset');
  /** The line each external_id was first seen on: one per user in a file. */
  private readonly externalLines = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly options: UsersImportOptions,
  ) {
    this.accounts = new AccountDirectory(db, options.company.id);
    const concurrency = options.hashConcurrency ?? Math.min(4, availableParallelism());
    this.limit = pLimit(Math.max(1, concurrency));
  }

  async run(): Promise<ImportReport> {
    const runId = this.options.runId ?? newRunId();
    const batchSize = batchSizeOf(this.options.batchSize);
    const checker = new UserRows({ checkHash: hashProblem });
    this.acting = importActing(runId);
    let batch: Array<{ line: number; row: ImportUser }> = [];
    let rows = 0;
    let bytes = 0;
    const onBytes = (n: number) => {
      bytes = n;
    };
    for await (const item of readRows(this.options.source, this.options.format, { onBytes })) {
      rows++;
      this.options.onProgress?.(rows, bytes);
      if (item.error) {
        this.failed.push(item.error);
        continue;
      }
      const checked = checker.check(item);
      if (checked.errors) this.failed.push(...checked.errors);
      else batch.push(checked);
      if (batch.length >= batchSize) {
        await this.batch(batch);
        batch = [];
      }
    }
    await this.batch(batch);
    this.options.onProgress?.(rows, bytes);
    return {
      runId,
      dryRun: this.options.dryRun === true,
      created: this.created,
      updated: this.updated,
      unchanged: this.unchanged,
      failed: this.failed.sort((a, b) => a.line - b.line),
      warnings: checker.warnings,
    };
  }

  private async batch(rows: Array<{ line: number; row: ImportUser }>): Promise<void> {
    if (rows.length === 0) return;
    const plans = await this.plan(rows);
    const todo: RowPlan[] = [];
    for (const p of plans) {
      if (p.user && isEmpty(p)) this.unchanged++;
      else todo.push(p);
    }
    if (this.options.dryRun) {
      for (const p of todo) {
        if (p.user) this.updated++;
        else this.created++;
      }
      return;
    }
    // Hashed before the transaction opens, a few at a time on libuv's pool.
    await Promise.all(
      todo
        .filter((p) => p.hashFrom !== undefined)
        .map((p) =>
          this.limit(async () => {
            p.passwordHash = await hashPassword(p.hashFrom!);
            if (p.user) p.patch.password_hash = p.passwordHash;
          }),
        ),
    );
    const written = await writeIsolating(todo, (items) => inTransaction(this.db.kysely, (trx) => this.write(trx, items)), this.failed);
    for (const p of written) {
      if (p.user) this.updated++;
      else this.created++;
    }
  }

  /** What each row of a batch would write; rows that cannot be written go to `failed`. */
  private async plan(rows: Array<{ line: number; row: ImportUser }>): Promise<RowPlan[]> {
    const { company } = this.options;
    const kysely = this.db.kysely;
    await this.accounts.load(rows.map((r) => r.row));
    const existing = new Map(
      (
        await batches.findUsersByEmails(
          kysely,
          rows.map((r) => r.row.email),
        )
      ).map((u) => [u.email, u]),
    );
    const ours = [...existing.values()].filter((u) => u.company_id === company.id);
    const memberships = new Map<string, { id: number; role: AccountRole }>();
    for (const m of await batches.membershipsOfUsers(
      kysely,
      ours.map((u) => u.id),
    )) {
      memberships.set(`${m.user_id}:${m.account_id}`, { id: m.id, role: m.role });
    }
    const externalIds = [...new Set(rows.map((r) => r.row.externalId).filter((x): x is string => x !== null))];
    const owners = new Map<string, number>();
    for (const u of await batches.findUsersByExternalIds(kysely, company.id, externalIds)) if (u.external_id !== null) owners.set(u.external_id, u.id);

    const plans: RowPlan[] = [];
    for (const { line, row } of rows) {
      const errors: RowError[] = [];
      const fail = (field: string, message: string) => errors.push({ line, field, message });
      const user = existing.get(row.email);
      if (user && user.company_id !== company.id) fail('email', 'belongs to a user of another company');

      const planned: MembershipPlan[] = [];
      for (const m of row.accounts) {
        const r = this.accounts.resolve(m, company.code);
        if ('error' in r) {
          fail('accounts', r.error);
          continue;
        }
        const current = user ? memberships.get(`${user.id}:${r.id}`) : undefined;
        if (!current) planned.push({ accountId: r.id, role: m.role });
        else if (current.role !== m.role) planned.push({ accountId: r.id, role: m.role, existingId: current.id });
      }

      const firstLine = row.externalId === null ? undefined : this.externalLines.get(row.externalId);
      if (row.externalId !== null && firstLine === undefined) this.externalLines.set(row.externalId, line);
      if (firstLine !== undefined) {
        fail('external_id', `is already on line ${firstLine} of this file`);
      } else if (row.externalId !== null) {
        const owner = owners.get(row.externalId);
        if (owner !== undefined && owner !== user?.id) fail('external_id', `is already the external id of another user (id ${owner})`);
      }

      const passwordWanted = !user || user.password_hash === null;
      let hashFrom: string | undefined;
      if (passwordWanted && row.password !== null) {
        const violation = checkPassword(row.password, row.email, company.passwordPolicy);
        if (violation) fail('password', `${violation.message} (the company's password policy)`);
        else hashFrom = row.password;
      }

      if (errors.length > 0) {
        this.failed.push(...errors);
        continue;
      }

      const patch: UserPatch = {};
      const changed: string[] = [];
      if (user) {
        const set = <K extends keyof UserPatch>(key: K, value: UserPatch[K], name: string) => {
          patch[key] = value;
          changed.push(name);
        };
        if (row.name !== null && row.name !== user.name) set('name', row.name, 'name');
        if (row.lastName !== null && row.lastName !== user.last_name) set('last_name', row.lastName, 'lastName');
        if (row.displayName !== null && row.displayName !== user.display_name) set('display_name', row.displayName, 'displayName');
        if (row.emailVerified && user.email_verified_at === null) set('email_verified_at', nowIso(), 'emailVerified');
        if (passwordWanted && row.passwordHash !== null) set('password_hash', row.passwordHash, 'password');
        if (passwordWanted && hashFrom !== undefined) changed.push('password');
        if (row.externalId !== null && row.externalId !== user.external_id) set('external_id', row.externalId, 'externalId');
      }
      plans.push({
        line,
        row,
        ...(user && { user }),
        patch,
        changed,
        memberships: planned,
        passwordHash: row.passwordHash,
        ...(hashFrom !== undefined && { hashFrom }),
      });
    }
    return plans;
  }

  private async write(trx: Db['kysely'], plans: RowPlan[]): Promise<void> {
    const { company } = this.options;
    const now = nowIso();
    const events: NewEvent[] = [];
    const creates = plans.filter((p) => !p.user);
    const newRows = creates.map((p) => {
      const r = p.row;
      const row: NewUser = newUserRow(
        {
          companyId: company.id,
          email: r.email,
          name: r.name ?? r.displayName ?? r.email.slice(0, r.email.indexOf('@')),
          lastName: r.lastName,
          displayName: r.displayName,
          passwordHash: p.passwordHash,
          emailVerified: r.emailVerified,
          createdVia: 'import',
        },
        now,
      );
      if (r.createdAt !== null) row.created_at = r.createdAt;
      if (r.externalId !== null) row.external_id = r.externalId;
      return row;
    });
    const inserted = new Map((await batches.insertUsers(trx, newRows)).map((u) => [u.email, u.id]));
    const ids = new Map<RowPlan, number>();
    for (const [i, p] of creates.entries()) {
      const id = inserted.get(p.row.email);
      // Taken between the lookup and the insert (another request, another run): the store's
      // unique violation, so that the batch is retried row by row and this row fails alone.
      if (id === undefined) throw new StoreError('unique', 'email taken during the import');
      ids.set(p, id);
      events.push({
        type: 'user.created',
        companyId: company.id,
        target: { kind: 'user', id },
        data: {
          id,
          email: p.row.email,
          name: newRows[i]!.name,
          lastName: p.row.lastName,
          displayName: p.row.displayName,
          emailVerified: p.row.emailVerified,
          externalId: p.row.externalId,
          createdVia: 'import',
        },
      });
    }
    for (const p of plans) {
      if (!p.user) continue;
      ids.set(p, p.user.id);
      if (p.changed.length === 0) continue;
      await updateUser(trx, p.user.id, { ...p.patch, updated_at: now });
      events.push({
        type: 'user.updated',
        companyId: company.id,
        target: { kind: 'user', id: p.user.id },
        data: { id: p.user.id, email: p.user.email, changed: p.changed },
      });
    }
    const newMemberships = plans.flatMap((p) =>
      p.memberships.filter((m) => m.existingId === undefined).map((m) => newMembershipRow({ accountId: m.accountId, userId: ids.get(p)!, role: m.role, now })),
    );
    const roles = new Map(newMemberships.map((n) => [`${n.user_id}:${n.account_id}`, n.role]));
    for (const m of await batches.insertMemberships(trx, newMemberships)) {
      const role = roles.get(`${m.user_id}:${m.account_id}`)!;
      events.push({
        type: 'account_user.created',
        companyId: company.id,
        target: { kind: 'account_user', id: m.id },
        data: { id: m.id, accountId: m.account_id, userId: m.user_id, role },
      });
    }
    for (const p of plans) {
      for (const m of p.memberships) {
        if (m.existingId === undefined) continue;
        await batches.updateMembership(trx, m.existingId, { role: m.role, updated_at: now });
        events.push({
          type: 'account_user.updated',
          companyId: company.id,
          target: { kind: 'account_user', id: m.existingId },
          data: { id: m.existingId, accountId: m.accountId, userId: ids.get(p)!, role: m.role },
        });
      }
    }
    await recordEvents(trx, this.acting, events, now);
  }
}

/** Runs a users import (see the module comment). */
export function importUsers(db: Db, options: UsersImportOptions): Promise<ImportReport> {
  return new UsersImport(db, options).run();
}
