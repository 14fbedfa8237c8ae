/**
 * The row rules of `roster import`: raw records (CSV strings, or JSON values from JSON lines) become
 * typed rows, or row errors `{ line, field, message }` where the message reads after the field's
 * name ("email is required"). Every error of a row is reported, not just the first.
 *
 * Common rules: an absent column, null and the empty string all mean "not given" (CSV cannot tell
 * them apart). Text must be well-formed Unicode (no lone surrogates, which JSON's \ud800 escapes
 * can produce) and hold no NUL (PostgreSQL cannot store it). Names are trimmed; passwords never.
 *
 * The checkers are per file: they remember the emails (widget user ids) already seen, to refuse
 * duplicates inside one file, and the columns they do not read, reported once as warnings.
 * Memory: one Map entry (the normalised email and its first line) per distinct row, about 80 MiB
 * for a million 35-character emails.
 */
import type { RawRecord, RowError } from './types.js';
import { isValidEmail, normalizeEmail } from '../identity/email.js';

export const LIMITS = {
  email: 254,
  name: 255,
  lastName: 255,
  displayName: 255,
  passwordHash: 1024,
  password: 4096,
  externalId: 255,
  accountName: 255,
  accountsText: 65536,
  accounts: 100,
  widgetId: 255,
  widgetNames: 255,
  legalId: 64,
} as const;

export const ROLES = ['administrator', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** An account given by its numeric id, or by its name. */
export type AccountRef = { id: number; name?: never } | { name: string; id?: never };
export interface Membership {
  account: AccountRef;
  role: Role;
}

export interface ImportUser {
  /** Trimmed, lower-cased and in NFC (identity/email.ts): the form emails are compared and stored in. */
  email: string;
  name: string | null;
  lastName: string | null;
  displayName: string | null;
  /** Kept as given; its format was accepted by the `checkHash` the checker was given. */
  passwordHash: string | null;
  /** Plain text, to be hashed (and held to the company's policy) by the importer. */
  password: string | null;
  emailVerified: boolean;
  externalId: string | null;
  /** ISO 8601 in UTC with milliseconds, e.g. 2024-01-31T08:30:00.000Z. */
  createdAt: string | null;
  accounts: Membership[];
}

export interface ImportWidgetUser {
  id: string;
  names: string;
  legalId: string | null;
}

/** A typed row, or every reason it is refused. */
export type Checked<T> = { line: number; row: T; errors?: never } | { line: number; errors: RowError[]; row?: never };

/** A column the import does not read: reported once, with the first line it was seen on. */
export interface ColumnWarning {
  column: string;
  line: number;
  message: string;
}

export const USER_COLUMNS = [
  'email',
  'name',
  'lastName',
  'displayName',
  'password_hash',
  'password',
  'email_verified',
  'external_id',
  'created_at',
  'accounts',
] as const;
export const WIDGET_USER_COLUMNS = ['id', 'names', 'legalId'] as const;

const isWellFormed = (s: string): boolean => (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed.call(s);

/** Characters as people count them (code points) in a well-formed string: an emoji counts once. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

/** Quotes a value for a message, escaping control characters, and cuts it short. */
const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

/** Problems with a text value, or undefined: well-formed Unicode, no NUL. */
function textProblem(s: string): string | undefined {
  if (!isWellFormed(s)) return 'must be well-formed Unicode (it holds a lone surrogate)';
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  return undefined;
}

/** An address roster takes (identity/email.ts), within the import's length limit. */
export function isSaneEmail(email: string): boolean {
  return email.length <= LIMITS.email && isValidEmail(email);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * An ISO 8601 date or date and time, normalised to UTC with milliseconds, or undefined. Accepted:
 * `2024-01-31`, `2024-01-31T08:30`, `2024-01-31T08:30:00`, with `.123` (up to 9 digits, cut to
 * milliseconds), `T` or a space between date and time, and `Z`, `+02:00`, `+0200` or `+02` after
 * it. Without an offset the time is taken as UTC. Years 1000 to 9999.
 */
export function parseIsoDateTime(text: string): string | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1]!)) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Number(frac.slice(0, 3).padEnd(3, '0'))) - offsetMinutes * 60_000;
  const date = new Date(ms);
  const y2 = date.getUTCFullYear();
  if (y2 < 1000 || y2 > 9999) return undefined;
  return date.toISOString();
}

function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** A numeric account id: a safe integer of at least 1. */
const accountId = (n: number): number | undefined => (Number.isSafeInteger(n) && n >= 1 ? n : undefined);

function accountName(raw: string): { name: string } | { error: string } {
  const name = raw.trim();
  if (name === '') return { error: 'names no account' };
  const problem = textProblem(name);
  if (problem) return { error: `has an account name that ${problem}` };
  if (codePoints(name) > LIMITS.accountName) return { error: `has an account name longer than ${LIMITS.accountName} characters` };
  return { name };
}

/**
 * The memberships of a CSV cell (or of a JSON string). The syntax:
 *
 *   entry[;entry...]        entries are separated by ';', blank entries are ignored
 *   entry = account[:role]  the role after the LAST ':' (administrator or agent, any case);
 *                           without one, agent
 *   account = digits        an account id (12)
 *           | anything else an account name, trimmed (Sales, "EMEA: Sales:agent" is EMEA: Sales)
 *
 * So `Sales:administrator;Support:agent`, `12:agent` and `12;Support` all work. An account name
 * that holds ':' must be followed by a role; a name that holds ';' or is all digits cannot be
 * written in this syntax (use JSON lines, where accounts may be an array of {account, role}).
 * At most 100 entries; the same account twice is an error.
 */
export function parseAccounts(text: string): { accounts: Membership[] } | { error: string } {
  if (text.length > LIMITS.accountsText) return { error: `must be at most ${LIMITS.accountsText} characters` };
  const problem = textProblem(text);
  if (problem) return { error: problem };
  const entries = text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length > LIMITS.accounts) return { error: `must list at most ${LIMITS.accounts} accounts` };
  const out: Membership[] = [];
  for (const entry of entries) {
    const colon = entry.lastIndexOf(':');
    const ref = colon === -1 ? entry : entry.slice(0, colon).trim();
    const roleText =
      colon === -1
        ? 'agent'
        : entry
            .slice(colon + 1)
            .trim()
            .toLowerCase();
    if (!isRole(roleText)) return { error: `entry ${quote(entry)}: the role after the last ':' must be administrator or agent` };
    let account: AccountRef;
    if (/^\d+$/.test(ref)) {
      const id = ref.length <= 16 ? accountId(Number(ref)) : undefined;
      if (id === undefined) return { error: `entry ${quote(entry)}: ${quote(ref)} is not a valid account id` };
      account = { id };
    } else {
      const named = accountName(ref);
      if ('error' in named) return { error: `entry ${quote(entry)} ${named.error}` };
      account = named;
    }
    out.push({ account, role: roleText });
  }
  return noTwice(out);
}

/** The JSON form: an array of `{ account: <id number> | <name string>, role?: 'administrator' | 'agent' }`. */
function accountsFromJson(list: unknown[]): { accounts: Membership[] } | { error: string } {
  if (list.length > LIMITS.accounts) return { error: `must list at most ${LIMITS.accounts} accounts` };
  const out: Membership[] = [];
  for (const [i, item] of list.entries()) {
    const at = `item ${i + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { error: `${at} must be an object {account, role}` };
    const extra = Object.keys(item).find((k) => k !== 'account' && k !== 'role');
    if (extra !== undefined) return { error: `${at} has the unknown key ${quote(extra)} (only account and role)` };
    const { account, role = 'agent' } = item as { account?: unknown; role?: unknown };
    if (typeof role !== 'string' || !isRole(role.trim().toLowerCase())) return { error: `${at}: role must be administrator or agent` };
    let ref: AccountRef;
    if (typeof account === 'number') {
      const id = accountId(account);
      if (id === undefined) return { error: `${at}: account must be a positive integer id or a name` };
      ref = { id };
    } else if (typeof account === 'string') {
      const named = accountName(account);
      if ('error' in named) return { error: `${at} ${named.error}` };
      ref = named;
    } else {
      return { error: `${at}: account must be a positive integer id or a name` };
    }
    out.push({ account: ref, role: role.trim().toLowerCase() as Role });
  }
  return noTwice(out);
}

function noTwice(accounts: Membership[]): { accounts: Membership[] } | { error: string } {
  const seen = new Set<string>();
  for (const { account } of accounts) {
    const key = account.id !== undefined ? `#${account.id}` : `=${account.name}`;
    if (seen.has(key)) return { error: `lists the account ${account.id ?? quote(account.name)} twice` };
    seen.add(key);
  }
  return { accounts };
}

/** Collects a row's errors while its fields are read. */
class Row {
  readonly errors: RowError[] = [];
  constructor(
    readonly line: number,
    private readonly record: RawRecord,
  ) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ line: this.line, field, message });
    return undefined;
  }

  /** The field's value; undefined when absent, null or the empty string. */
  value(field: string): unknown {
    if (!Object.hasOwn(this.record, field)) return undefined;
    const v = this.record[field];
    return v === null || v === '' ? undefined : v;
  }

  /**
   * A text field: a string (or, with `integers`, a safe integer, as text) of at most `max`
   * characters, trimmed unless `trim` is false; undefined when not given or blank.
   */
  text(field: string, opts: { max: number; trim?: boolean; integers?: boolean; count?: (s: string) => number }): string | undefined {
    let v = this.value(field);
    if (opts.integers && typeof v === 'number') {
      if (!Number.isSafeInteger(v)) return this.fail(field, 'must be a string or an integer');
      v = String(v);
    }
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return this.fail(field, opts.integers ? 'must be a string or an integer' : 'must be a string');
    // Code points are at most the UTF-16 length: a string this long is too long however counted.
    if (v.length > opts.max * 2 + 64) return this.fail(field, `must be at most ${opts.max} characters`);
    const problem = textProblem(v);
    if (problem) return this.fail(field, problem);
    const t = opts.trim === false ? v : v.trim();
    if (t === '') return undefined;
    if ((opts.count ?? codePoints)(t) > opts.max) return this.fail(field, `must be at most ${opts.max} characters`);
    return t;
  }
}

/** Reports each column the import does not read once (at most 50 of them). */
class UnknownColumns {
  private readonly known: Set<string>;
  private readonly byLowerCase: Map<string, string>;
  private readonly reported = new Set<string>();
  readonly warnings: ColumnWarning[] = [];
  private full = false;

  constructor(columns: readonly string[]) {
    this.known = new Set(columns);
    this.byLowerCase = new Map(columns.map((c) => [c.toLowerCase(), c]));
  }

  see(line: number, record: RawRecord): void {
    if (this.full) return;
    for (const column of Object.keys(record)) {
      if (this.known.has(column) || this.reported.has(column)) continue;
      if (this.reported.size === 50) {
        this.full = true;
        this.warnings.push({ column: '…', line, message: 'more columns the import does not read; the rest are not listed' });
        return;
      }
      this.reported.add(column);
      const like = this.byLowerCase.get(column.trim().toLowerCase());
      const hint = like === undefined ? '' : ` (did you mean ${like}?)`;
      this.warnings.push({ column, line, message: `is not a column the import reads; it is ignored${hint}` });
    }
  }
}

export interface UserCheckOptions {
  /**
   * Checks a password hash's format; returns why it is refused, or undefined. Without it, any
   * non-blank text is taken (the importer should always pass the identity kernel's parser).
   */
  checkHash?: (hash: string) => string | undefined;
}

/** The checker of one users file. */
export class UserRows {
  private readonly firstLine = new Map<string, number>();
  private readonly unknown = new UnknownColumns(USER_COLUMNS);

  constructor(private readonly options: UserCheckOptions = {}) {}

  /** Columns seen that the import ignores, each once. */
  get warnings(): readonly ColumnWarning[] {
    return this.unknown.warnings;
  }

  check(item: { line: number; record: RawRecord }): Checked<ImportUser> {
    const { line, record } = item;
    this.unknown.see(line, record);
    const row = new Row(line, record);

    const email = this.email(row);
    const name = row.text('name', { max: LIMITS.name }) ?? null;
    const lastName = row.text('lastName', { max: LIMITS.lastName }) ?? null;
    const displayName = row.text('displayName', { max: LIMITS.displayName }) ?? null;

    const passwordHash = row.text('password_hash', { max: LIMITS.passwordHash }) ?? null;
    const password = row.text('password', { max: LIMITS.password, trim: false, count: (s) => s.length }) ?? null;
    if (passwordHash !== null && password !== null) {
      row.fail('password', 'must not be given with password_hash: give one or the other');
    } else if (passwordHash !== null) {
      const why = this.hashProblem(passwordHash);
      if (why !== undefined) row.fail('password_hash', why);
    }

    const emailVerified = this.flag(row, 'email_verified');
    const externalId = row.text('external_id', { max: LIMITS.externalId, integers: true }) ?? null;

    let createdAt: string | null = null;
    const created = row.text('created_at', { max: 64 });
    if (created !== undefined)
      createdAt = parseIsoDateTime(created) ?? row.fail('created_at', 'must be an ISO 8601 date and time, such as 2024-01-31T08:30:00Z') ?? null;

    const accounts = this.accounts(row);

    if (row.errors.length > 0 || email === undefined) return { line, errors: row.errors };
    return { line, row: { email, name, lastName, displayName, passwordHash, password, emailVerified, externalId, createdAt, accounts } };
  }

  private email(row: Row): string | undefined {
    const text = row.text('email', { max: LIMITS.email, count: (s) => s.length });
    if (text === undefined) return row.errors.some((e) => e.field === 'email') ? undefined : row.fail('email', 'is required');
    const email = normalizeEmail(text);
    if (!isSaneEmail(email)) return row.fail('email', 'is not a valid email address');
    // Kept even when another field of the row fails: the report then names every duplicate at once.
    const first = this.firstLine.get(email);
    if (first !== undefined) return row.fail('email', `is already on line ${first} of this file`);
    this.firstLine.set(email, row.line);
    return email;
  }

  private hashProblem(hash: string): string | undefined {
    if (!this.options.checkHash) return undefined;
    try {
      return this.options.checkHash(hash);
    } catch {
      return 'could not be checked';
    }
  }

  /** true/false, 1/0, yes/no (any case); blank is false. JSON booleans and 1/0 too. */
  private flag(row: Row, field: string): boolean {
    const v = row.value(field);
    if (v === undefined || typeof v === 'boolean') return v ?? false;
    if (v === 1 || v === 0) return v === 1;
    if (typeof v === 'string') {
      const t = v.trim().toLowerCase();
      if (t === '' || t === 'false' || t === '0' || t === 'no') return false;
      if (t === 'true' || t === '1' || t === 'yes') return true;
    }
    row.fail(field, 'must be true, false, 1, 0, yes or no');
    return false;
  }

  private accounts(row: Row): Membership[] {
    const v = row.value('accounts');
    if (v === undefined) return [];
    const parsed =
      typeof v === 'string'
        ? parseAccounts(v)
        : Array.isArray(v)
          ? accountsFromJson(v)
          : { error: 'must be text such as "Sales:administrator;12:agent", or a list of {account, role}' };
    if ('error' in parsed) {
      row.fail('accounts', parsed.error);
      return [];
    }
    return parsed.accounts;
  }
}

/** The checker of one widget users file: `{ id, names, legalId }`, ids unique in the file. */
export class WidgetUserRows {
  private readonly firstLine = new Map<string, number>();
  private readonly unknown = new UnknownColumns(WIDGET_USER_COLUMNS);

  get warnings(): readonly ColumnWarning[] {
    return this.unknown.warnings;
  }

  check(item: { line: number; record: RawRecord }): Checked<ImportWidgetUser> {
    const { line, record } = item;
    this.unknown.see(line, record);
    const row = new Row(line, record);
    // As the widget API takes them: not trimmed, lengths in UTF-16 units.
    const utf16 = (s: string) => s.length;
    const id = row.text('id', { max: LIMITS.widgetId, trim: false, integers: true, count: utf16 });
    if (id === undefined && !row.errors.some((e) => e.field === 'id')) row.fail('id', 'is required');
    const names = row.text('names', { max: LIMITS.widgetNames, trim: false, count: utf16 });
    if (names === undefined && !row.errors.some((e) => e.field === 'names')) row.fail('names', 'is required');
    const legalId = row.text('legalId', { max: LIMITS.legalId, trim: false, integers: true, count: utf16 }) ?? null;
    if (id !== undefined) {
      const first = this.firstLine.get(id);
      if (first !== undefined) row.fail('id', `is already on line ${first} of this file`);
      else this.firstLine.set(id, line);
    }
    if (row.errors.length > 0 || id === undefined || names === undefined) return { line, errors: row.errors };
    return { line, row: { id, names, legalId } };
  }
}
