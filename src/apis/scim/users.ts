/**
 * SCIM Users (RFC 7644 §3.3-§3.6) over roster's one users table: a user an identity provider pushes is
 * the same row the Plazbot and Chatwoot APIs see. The rules of this API:
 * - the login email is the primary (or work, or only) email, else the userName when it is an email;
 * - emails are unique across the installation and userNames per company (case-insensitively), both
 *   answered 409 uniqueness;
 * - a password follows the company's policy and is hashed (argon2id) before the transaction opens;
 * - `active: false` keeps the user but refuses every login and ends every session;
 * - DELETE removes the user with their memberships, tokens and platform app links, as Chatwoot's does.
 * Every write records its events (user.created, user.updated, ...) in its own transaction.
 */
import type { Db } from '../../store/db.js';
import { findCompanyById } from '../../store/companies.js';
import { isUniqueViolation } from '../../store/errors.js';
import { unlinkAll } from '../../store/permissibles.js';
import * as scimStore from '../../store/scim.js';
import type { UserRow } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import * as usersStore from '../../store/users.js';
import { recordEvent } from '../../events/log.js';
import type { Acting, EventType } from '../../events/types.js';
import { nowIso } from '../../infra/clock.js';
import { afterCredentialChange, afterDeactivation } from '../../identity/credential-changes.js';
import type { Principal } from '../../identity/credentials.js';
import { checkPassword, hashPassword, parsePolicy, verifyPassword } from '../../identity/passwords.js';
import { newUserRow } from '../../identity/users.js';
import { invalidSyntax, invalidValue, notFound, preconditionFailed, uniqueness } from './errors.js';
import { foldCase, type IndexableEquality } from './filter.js';
import type { ListQuery } from './list.js';
import { parsePatchRequest, applyPatchOperations } from './patch.js';
import { checkSchemas, ifMatchAllows, parseScimId, userColumns, userFields, userNameKey, userNameOf, userResource, type UserFields } from './resources.js';
import { USER_RESOURCE, USER_SCHEMA, isObject, type JsonObject } from './schema.js';
import { search, type SearchResult, type SearchSource } from './search.js';

const userNotFound = (raw: string) => notFound(`User ${JSON.stringify(raw.slice(0, 100))} not found`);
const emailTaken = () => uniqueness('a user with this email already exists (emails are unique across the installation)');
const userNameTakenError = (userName: string) => uniqueness(`userName ${JSON.stringify(userName.slice(0, 100))} is taken in this company`);

/** What PATCH does with attributes roster does not keep (Entra's title, phoneNumbers, ...): skip them. */
const PATCH_OPTIONS = { ignoreUnknownAttributes: true } as const;

export class ScimUserService {
  constructor(
    private readonly db: Db,
    /** `<public URL>/scim/v2`, for meta.location and $ref. */
    private readonly baseUrl: string,
  ) {}

  private resource(row: UserRow): JsonObject {
    return userResource(row, this.baseUrl);
  }

  private source(companyId: number): SearchSource<UserRow> {
    const db = this.db.kysely;
    return {
      rt: USER_RESOURCE,
      lookup: async (eq: IndexableEquality) => {
        switch (eq.attribute) {
          case 'id': {
            const id = parseScimId(eq.value);
            const row = id === undefined ? undefined : await scimStore.findCompanyUser(db, companyId, id);
            return row ? [row] : [];
          }
          case 'userName':
            return scimStore.findCompanyUsersByUserName(db, companyId, userNameKey(eq.value));
          case 'externalId':
            return scimStore.findCompanyUsersByExternalId(db, companyId, eq.value);
          case 'emails.value':
            return scimStore.findCompanyUsersByEmail(db, companyId, foldCase(eq.value));
          default:
            return undefined;
        }
      },
      scan: (afterId, limit) => scimStore.listCompanyUsersAfter(db, companyId, afterId, limit),
      count: () => scimStore.countCompanyUsers(db, companyId),
      page: (offset, limit) => scimStore.listCompanyUsersPage(db, companyId, offset, limit),
      byIds: (ids) => scimStore.findCompanyUsersByIds(db, companyId, ids),
      resources: async (rows) => rows.map((r) => this.resource(r)),
    };
  }

  async search(principal: Principal, query: ListQuery): Promise<SearchResult> {
    return search(this.source(principal.companyId), query, false);
  }

  async get(principal: Principal, rawId: string): Promise<JsonObject> {
    const id = parseScimId(rawId);
    const row = id === undefined ? undefined : await scimStore.findCompanyUser(this.db.kysely, principal.companyId, id);
    if (!row) throw userNotFound(rawId);
    return this.resource(row);
  }

  /** The company's policy, then argon2id; before any transaction opens. */
  private async hash(companyId: number, password: string, email: string): Promise<string> {
    const company = await findCompanyById(this.db.kysely, companyId);
    const violation = checkPassword(password, email, parsePolicy(company?.password_policy ?? null));
    if (violation) throw invalidValue(`'password' ${violation.message}`);
    return hashPassword(password);
  }

  /**
   * The hash to store for a password a PUT or PATCH sends; undefined when it is the user's password
   * already (Okta sends it with every profile push when it syncs passwords: that must not end the
   * user's sessions every time).
   */
  private async changedPasswordHash(current: UserRow, password: string, email: string): Promise<string | undefined> {
    if (current.password_hash !== null && (await verifyPassword(current.password_hash, password))) return undefined;
    return this.hash(current.company_id, password, email);
  }

  /** A unique index refused the write (a race the checks before it lost): which one cannot matter here. */
  private async mapUnique<T>(fn: () => Promise<T>, userName: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw uniqueness(`a user with this email or userName ${JSON.stringify(userName.slice(0, 100))} already exists`);
      throw err;
    }
  }

  async create(principal: Principal, body: unknown): Promise<JsonObject> {
    if (!isObject(body)) throw invalidSyntax('the body must be a JSON object');
    checkSchemas(body, USER_SCHEMA);
    const f = userFields(body);
    const companyId = principal.companyId;
    const passwordHash = f.password === undefined ? null : await this.hash(companyId, f.password, f.email);
    const now = nowIso();
    const row = {
      ...newUserRow(
        {
          companyId,
          email: f.email,
          name: f.name,
          lastName: f.familyName,
          displayName: f.displayName,
          passwordHash,
          // The identity provider vouches for the address.
          emailVerified: true,
          createdVia: 'scim',
        },
        now,
      ),
      ...userColumns(f),
      active: f.active === false ? 0 : 1,
    };
    const created = await this.mapUnique(
      () =>
        inTransaction(this.db.kysely, async (trx) => {
          if (await usersStore.findUserByEmail(trx, f.email)) throw emailTaken();
          if (await scimStore.userNameTaken(trx, companyId, f.userNameKey, null)) throw userNameTakenError(f.userName);
          const user = await usersStore.insertUser(trx, row);
          if (!user) throw emailTaken();
          const resource = this.resource(user);
          await recordEvent(trx, principal.acting, { type: 'user.created', companyId, target: { kind: 'user', id: user.id }, data: resource }, now);
          return resource;
        }),
      f.userName,
    );
    return created;
  }

  /** PUT: the body replaces the user. A password or `active` not sent is left as it is. */
  async replace(principal: Principal, rawId: string, body: unknown, ifMatch?: string): Promise<JsonObject> {
    const id = parseScimId(rawId);
    if (id === undefined) throw userNotFound(rawId);
    if (!isObject(body)) throw invalidSyntax('the body must be a JSON object');
    checkSchemas(body, USER_SCHEMA);
    const f = userFields(body);
    let passwordHash: string | undefined;
    if (f.password !== undefined) {
      const before = await scimStore.findCompanyUser(this.db.kysely, principal.companyId, id);
      if (!before) throw userNotFound(rawId);
      passwordHash = await this.changedPasswordHash(before, f.password, f.email);
    }
    return this.mapUnique(
      () =>
        inTransaction(this.db.kysely, async (trx) => {
          const current = await scimStore.findCompanyUserForUpdate(trx, principal.companyId, id);
          if (!current) throw userNotFound(rawId);
          this.checkVersion(current, ifMatch);
          return this.resource(await this.write(trx, principal.acting, current, f, passwordHash));
        }),
      f.userName,
    );
  }

  /**
   * PATCH (RFC 7644 §3.5.2, and as Okta and Entra send it): the operations apply to the user as SCIM
   * shows it, and the result is written as a PUT would. A PATCH that changes nothing writes nothing.
   */
  async patch(principal: Principal, rawId: string, body: unknown, ifMatch?: string): Promise<JsonObject> {
    const ops = parsePatchRequest(body);
    const id = parseScimId(rawId);
    const before = id === undefined ? undefined : await scimStore.findCompanyUser(this.db.kysely, principal.companyId, id);
    if (!before || id === undefined) throw userNotFound(rawId);
    // A password set by the operations is hashed now, before the transaction (the result's password
    // depends on the operations alone: the user as shown never has one).
    const draft = applyPatchOperations(this.resource(before), ops, USER_RESOURCE, PATCH_OPTIONS).resource;
    const draftFields = userFields(draft);
    const passwordHash = draftFields.password === undefined ? undefined : await this.changedPasswordHash(before, draftFields.password, draftFields.email);

    return this.mapUnique(
      () =>
        inTransaction(this.db.kysely, async (trx) => {
          const current = await scimStore.findCompanyUserForUpdate(trx, principal.companyId, id);
          if (!current) throw userNotFound(rawId);
          this.checkVersion(current, ifMatch);
          const result = applyPatchOperations(this.resource(current), ops, USER_RESOURCE, PATCH_OPTIONS);
          if (!result.changed) return this.resource(current);
          const f = userFields(result.resource);
          const written = await this.write(trx, principal.acting, current, f, f.password === undefined ? undefined : passwordHash);
          return this.resource(written);
        }),
      draftFields.userName,
    );
  }

  async delete(principal: Principal, rawId: string, ifMatch?: string): Promise<void> {
    const id = parseScimId(rawId);
    if (id === undefined) throw userNotFound(rawId);
    await inTransaction(this.db.kysely, async (trx) => {
      const current = await scimStore.findCompanyUserForUpdate(trx, principal.companyId, id);
      if (!current) throw userNotFound(rawId);
      this.checkVersion(current, ifMatch);
      // Memberships, sessions and tokens go with the row (foreign keys cascade); every app's links here.
      await unlinkAll(trx, 'User', [id]);
      await usersStore.deleteUser(trx, id);
      await recordEvent(trx, principal.acting, {
        type: 'user.deleted',
        companyId: principal.companyId,
        target: { kind: 'user', id },
        data: this.resource(current),
      });
    });
  }

  private checkVersion(current: UserRow, ifMatch: string | undefined): void {
    const version = this.resource(current).meta as { version: string };
    if (!ifMatchAllows(ifMatch, version.version)) throw preconditionFailed(`the User is at version ${version.version}, not the one If-Match names`);
  }

  /**
   * Writes the user's new state in the caller's transaction, with what follows: a new email or
   * password ends sessions and kills mailed codes; deactivation ends every session and login link.
   * Nothing changed: nothing written, no event.
   */
  private async write(trx: Db['kysely'], acting: Acting, current: UserRow, f: UserFields, passwordHash: string | undefined): Promise<UserRow> {
    const companyId = current.company_id;
    const columns = userColumns(f);
    // A user no SCIM client named has their email as userName: that stays so while it is sent back.
    if (current.user_name === null && f.userName === f.email) {
      columns.user_name = null;
      columns.user_name_key = null;
    }
    const emailChanged = f.email !== current.email;
    if (emailChanged) {
      const other = await usersStore.findUserByEmail(trx, f.email);
      if (other && other.id !== current.id) throw emailTaken();
    }
    if (f.userNameKey !== userNameKey(userNameOf(current)) && (await scimStore.userNameTaken(trx, companyId, f.userNameKey, current.id))) {
      throw userNameTakenError(f.userName);
    }
    const profileChanged = (Object.keys(columns) as (keyof typeof columns)[]).some((k) => columns[k] !== current[k]);
    const active = f.active === undefined ? current.active : f.active ? 1 : 0;
    const activeChanged = active !== current.active;
    const passwordChanged = passwordHash !== undefined;
    if (!profileChanged && !activeChanged && !passwordChanged) return current;

    const now = nowIso();
    const updated = await usersStore.updateUser(trx, current.id, {
      ...columns,
      active,
      ...(passwordChanged && { password_hash: passwordHash }),
      // The identity provider vouches for the address it sets.
      ...(emailChanged && { email_verified_at: now }),
      updated_at: now,
    });
    if (!updated) throw new Error('a locked user vanished');
    await afterCredentialChange(trx, current.id, { emailChanged, passwordChanged }, now);
    if (activeChanged && active === 0) await afterDeactivation(trx, current.id, now);

    const data = this.resource(updated);
    const record = (type: EventType) => recordEvent(trx, acting, { type, companyId, target: { kind: 'user', id: current.id }, data }, now);
    if (profileChanged) await record('user.updated');
    if (passwordChanged) await record('user.password_changed');
    if (activeChanged) await record(active === 0 ? 'user.deactivated' : 'user.reactivated');
    return updated;
  }
}
