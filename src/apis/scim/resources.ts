// roster's rows as SCIM resources, and SCIM resources back as roster's columns.
//
// A User is a row of the users table (the one identity the Plazbot and Chatwoot APIs use): userName
// is the SCIM userName a client set, else the email; name.givenName is users.name, familyName
// last_name, displayName display_name; the one email is the login email. A Group is an account of
// the company; its members are the account's users.
//
// Versions (ETags) are weak and derived from what the resource shows, so a change made through any
// API changes them: a User's from its representation, a Group's from the account row and a stamp of
// its membership (which moves whenever a member joins, leaves or changes role).

import { createHash } from 'node:crypto';
import type { AccountRow, UserRow } from '../../store/schema.js';
import type { MemberRow, MembershipStamp } from '../../store/scim.js';
import { isValidEmail, normalizeEmail } from '../../identity/users.js';
import { invalidSyntax, invalidValue } from './errors.js';
import { foldCase, toBoolean } from './filter.js';
import { SCIM_LIMITS } from './limits.js';
import { ENTERPRISE_USER_SCHEMA, getCI, GROUP_SCHEMA, isObject, USER_SCHEMA, type JsonObject } from './schema.js';

// ---------------------------------------------------------------- ids and versions

/** roster's ids are positive integers; SCIM's are strings. */
export const scimId = (id: number): string => String(id);

/** The row id a SCIM id names, or undefined when it cannot name one (answered as not found). */
export function parseScimId(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A weak entity tag over some content: W/"<16 hex>". */
export function versionOf(content: unknown): string {
  return `W/"${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16)}"`;
}

/**
 * Whether an If-Match header lets a write go ahead on a resource at `version` (RFC 7232 §3.1, with
 * the weak comparison RFC 7644 §3.14 asks for). No header: yes.
 */
export function ifMatchAllows(header: string | undefined, version: string): boolean {
  if (header === undefined) return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//i, '');
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*')) return true;
  return tags.some((t) => t !== '' && opaque(t) === opaque(version));
}

// ---------------------------------------------------------------- text checks

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An optional string attribute: null when absent, null or empty; otherwise checked. */
function text(v: unknown, where: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalidValue(`'${where}' must be a string`);
  if (v === '') return null;
  if ([...v].length > SCIM_LIMITS.maxStringLength) throw invalidValue(`'${where}' must be at most ${SCIM_LIMITS.maxStringLength} characters`);
  if (CONTROL.test(v)) throw invalidValue(`'${where}' must not contain control characters`);
  return v;
}

/** `schemas`, when sent, must name the resource's core schema (RFC 7643 §3). */
export function checkSchemas(body: JsonObject, core: string): void {
  const schemas = getCI(body, 'schemas');
  if (schemas === undefined) return;
  const ok = Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === core.toLowerCase());
  if (!ok) throw invalidSyntax(`"schemas" must include "${core}"`);
}

// ---------------------------------------------------------------- users

/** The userName a user has: the one a SCIM client set, else the email. */
export const userNameOf = (row: Pick<UserRow, 'user_name' | 'email'>): string => row.user_name ?? row.email;

/** The key userName uniqueness is decided on (per company): lower-cased, in Unicode NFC (as emails are, identity/email.ts). */
export const userNameKey = (userName: string): string => foldCase(userName);

/** A user row as a SCIM User, every attribute (the password never). */
export function userResource(row: UserRow, baseUrl: string): JsonObject {
  const resource: JsonObject = { schemas: [USER_SCHEMA], id: scimId(row.id) };
  if (row.external_id !== null) resource.externalId = row.external_id;
  resource.userName = userNameOf(row);
  const name: JsonObject = { givenName: row.name };
  if (row.last_name !== null) name.familyName = row.last_name;
  if (row.name_formatted !== null) name.formatted = row.name_formatted;
  resource.name = name;
  if (row.display_name !== null) resource.displayName = row.display_name;
  resource.emails = [{ value: row.email, type: row.email_type ?? 'work', primary: true }];
  resource.active = row.active !== 0;
  const enterprise: JsonObject = {};
  if (row.employee_number !== null) enterprise.employeeNumber = row.employee_number;
  if (row.department !== null) enterprise.department = row.department;
  if (row.manager_id !== null) enterprise.manager = { value: row.manager_id, $ref: `${baseUrl}/Users/${encodeURIComponent(row.manager_id)}` };
  if (Object.keys(enterprise).length > 0) {
    resource.schemas = [USER_SCHEMA, ENTERPRISE_USER_SCHEMA];
    resource[ENTERPRISE_USER_SCHEMA] = enterprise;
  }
  const meta: JsonObject = { resourceType: 'User', created: row.created_at, lastModified: row.updated_at, location: `${baseUrl}/Users/${row.id}` };
  resource.meta = meta;
  meta.version = versionOf(resource);
  return resource;
}

/** What a SCIM User (a POST or PUT body, or the result of a PATCH) sets, checked. */
export interface UserFields {
  userName: string;
  userNameKey: string;
  /** The login email, normalized. */
  email: string;
  /** The email's SCIM type; null = work. */
  emailType: string | null;
  /** users.name: givenName, else formatted, else displayName, else userName (never empty). */
  name: string;
  familyName: string | null;
  formatted: string | null;
  displayName: string | null;
  externalId: string | null;
  /** Undefined when not sent (a new user is active; a replaced one keeps its state). */
  active: boolean | undefined;
  /** Cleartext, to be checked and hashed; undefined when not sent. */
  password: string | undefined;
  employeeNumber: string | null;
  department: string | null;
  managerId: string | null;
}

interface EmailCandidate {
  value: string;
  type: string | null;
  primary: boolean;
}

function emailCandidates(raw: unknown): EmailCandidate[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const out: EmailCandidate[] = [];
  for (const el of list) {
    if (el === null) continue;
    if (!isObject(el)) throw invalidValue("'emails' must be a list of objects with a 'value'");
    const value = text(getCI(el, 'value'), 'emails.value');
    if (value === null) continue;
    const type = text(getCI(el, 'type'), 'emails.type');
    const primaryRaw = getCI(el, 'primary');
    const primary = primaryRaw === undefined || primaryRaw === null ? false : toBoolean(primaryRaw);
    if (primary === undefined) throw invalidValue("'emails.primary' must be a boolean");
    out.push({ value, type: type === null ? null : type.toLowerCase(), primary });
  }
  return out;
}

/**
 * The login email: the primary email, else the work one, else the only one; else the userName when
 * it is an email address. Neither is 400 invalidValue.
 */
function chooseEmail(emails: EmailCandidate[], userName: string): { email: string; type: string | null } {
  const chosen = emails.find((e) => e.primary) ?? emails.find((e) => e.type === 'work') ?? (emails.length === 1 ? emails[0] : undefined);
  if (chosen) {
    const email = normalizeEmail(chosen.value);
    if (!isValidEmail(email)) throw invalidValue(`'emails.value' ${JSON.stringify(chosen.value.slice(0, 100))} is not an email address`);
    return { email, type: chosen.type === 'work' ? null : chosen.type };
  }
  const fromUserName = normalizeEmail(userName);
  if (isValidEmail(fromUserName)) return { email: fromUserName, type: null };
  throw invalidValue("a User needs an email: a primary (or work, or only) value in 'emails', or a userName that is an email address");
}

/** Reads and checks a User. Attributes roster does not keep (title, phoneNumbers, ...) are ignored. */
export function userFields(resource: JsonObject): UserFields {
  const rawUserName = getCI(resource, 'userName');
  if (rawUserName === undefined || rawUserName === null) throw invalidValue("'userName' is required");
  const userName = text(typeof rawUserName === 'string' ? rawUserName.trim() : rawUserName, 'userName');
  if (userName === null) throw invalidValue("'userName' must not be empty");

  const rawName = getCI(resource, 'name');
  if (rawName !== undefined && rawName !== null && !isObject(rawName)) throw invalidValue("'name' must be an object");
  const nameObj = isObject(rawName) ? rawName : {};
  const givenName = text(getCI(nameObj, 'givenName'), 'name.givenName');
  const familyName = text(getCI(nameObj, 'familyName'), 'name.familyName');
  const formatted = text(getCI(nameObj, 'formatted'), 'name.formatted');
  const displayName = text(getCI(resource, 'displayName'), 'displayName');
  const externalId = text(getCI(resource, 'externalId'), 'externalId');

  const { email, type: emailType } = chooseEmail(emailCandidates(getCI(resource, 'emails')), userName);

  const activeRaw = getCI(resource, 'active');
  let active: boolean | undefined;
  if (activeRaw !== undefined && activeRaw !== null) {
    active = toBoolean(activeRaw);
    if (active === undefined) throw invalidValue("'active' must be a boolean");
  }

  const passwordRaw = getCI(resource, 'password');
  let password: string | undefined;
  if (passwordRaw !== undefined && passwordRaw !== null) {
    if (typeof passwordRaw !== 'string' || passwordRaw === '') throw invalidValue("'password' must be a non-empty string");
    password = passwordRaw;
  }

  const extRaw = getCI(resource, ENTERPRISE_USER_SCHEMA);
  if (extRaw !== undefined && extRaw !== null && !isObject(extRaw)) throw invalidValue(`'${ENTERPRISE_USER_SCHEMA}' must be an object`);
  const ext = isObject(extRaw) ? extRaw : {};
  const managerRaw = getCI(ext, 'manager');
  let managerId: string | null = null;
  if (isObject(managerRaw)) managerId = text(getCI(managerRaw, 'value'), 'manager.value');
  else if (managerRaw !== undefined && managerRaw !== null) managerId = text(managerRaw, 'manager');

  return {
    userName,
    userNameKey: userNameKey(userName),
    email,
    emailType,
    name: givenName ?? formatted ?? displayName ?? userName,
    familyName,
    formatted,
    displayName,
    externalId,
    active,
    password,
    employeeNumber: text(getCI(ext, 'employeeNumber'), 'employeeNumber'),
    department: text(getCI(ext, 'department'), 'department'),
    managerId,
  };
}

export interface UserColumns {
  email: string;
  name: string;
  last_name: string | null;
  display_name: string | null;
  user_name: string | null;
  user_name_key: string | null;
  external_id: string | null;
  name_formatted: string | null;
  email_type: string | null;
  employee_number: string | null;
  department: string | null;
  manager_id: string | null;
}

/** The users columns UserFields set (not the password, not `active`). */
export function userColumns(f: UserFields): UserColumns {
  return {
    email: f.email,
    name: f.name,
    last_name: f.familyName,
    display_name: f.displayName,
    user_name: f.userName,
    user_name_key: f.userNameKey,
    external_id: f.externalId,
    name_formatted: f.formatted,
    email_type: f.emailType,
    employee_number: f.employeeNumber,
    department: f.department,
    manager_id: f.managerId,
  };
}

// ---------------------------------------------------------------- groups

/** An account (and, when loaded, its members) as a SCIM Group. */
export function groupResource(row: AccountRow, members: readonly MemberRow[] | undefined, stamp: MembershipStamp | undefined, baseUrl: string): JsonObject {
  const resource: JsonObject = { schemas: [GROUP_SCHEMA], id: scimId(row.id) };
  if (row.external_id !== null) resource.externalId = row.external_id;
  resource.displayName = row.name;
  if (members !== undefined) {
    resource.members = members.map((m) => ({
      value: scimId(m.user_id),
      $ref: `${baseUrl}/Users/${m.user_id}`,
      display: m.display_name || m.name,
      type: 'User',
    }));
  }
  const version = versionOf([
    row.id,
    row.name,
    row.external_id,
    row.created_at,
    row.updated_at,
    stamp ? [stamp.n, stamp.id_sum, stamp.id_max, stamp.changed] : null,
  ]);
  resource.meta = { resourceType: 'Group', created: row.created_at, lastModified: row.updated_at, location: `${baseUrl}/Groups/${row.id}`, version };
  return resource;
}

export interface GroupFields {
  displayName: string;
  externalId: string | null;
  /** Member user ids, without repeats, in the order given. */
  members: number[];
}

/** Reads and checks a Group. A member must be a User (by id); nested groups are not supported. */
export function groupFields(resource: JsonObject): GroupFields {
  const displayName = text(getCI(resource, 'displayName'), 'displayName');
  if (displayName === null) throw invalidValue("'displayName' is required");
  const externalId = text(getCI(resource, 'externalId'), 'externalId');
  const raw = getCI(resource, 'members');
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) throw invalidValue("'members' must be a list");
  const members: number[] = [];
  const seen = new Set<number>();
  for (const el of (raw as unknown[] | null | undefined) ?? []) {
    if (el === null) continue;
    if (!isObject(el)) throw invalidValue("'members' must be a list of objects with a 'value'");
    const type = getCI(el, 'type');
    if (typeof type === 'string' && type.toLowerCase() !== 'user') throw invalidValue('a Group member must be a User: nested groups are not supported');
    const value = getCI(el, 'value');
    const id = parseScimId(typeof value === 'number' ? String(value) : value);
    if (id === undefined)
      throw invalidValue(
        `member ${typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : `of type ${Array.isArray(value) ? 'array' : typeof value}`} is not a User id`,
      );
    if (!seen.has(id)) {
      seen.add(id);
      members.push(id);
    }
  }
  return { displayName, externalId, members };
}
