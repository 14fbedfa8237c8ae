/**
 * SCIM Groups over the company's Chatwoot accounts: a Group is an account (displayName is its name),
 * its members are the account's users. A member added through SCIM joins as an `agent`; a member who
 * already has a role keeps it. Removing a member removes the membership, never the user. Every write
 * records its events (account.created, account_user.created, ...) in its own transaction.
 */
import type { Kysely } from 'kysely';
import type { Db } from '../../store/db.js';
import { insertAccount, updateAccount, deleteAccount, agentBotIdsOfAccount } from '../../store/accounts.js';
import { insertAccountUserIfAbsent } from '../../store/account-users.js';
import { isForeignKeyViolation } from '../../store/errors.js';
import { unlinkAll } from '../../store/permissibles.js';
import * as scimStore from '../../store/scim.js';
import type { AccountRow, Database } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordEvent } from '../../events/log.js';
import type { Acting } from '../../events/types.js';
import { nowIso } from '../../infra/clock.js';
import { defaultFeatures, newMembershipRow } from '../../identity/accounts.js';
import type { Principal } from '../../identity/credentials.js';
import { invalidSyntax, invalidValue, notFound, preconditionFailed } from './errors.js';
import type { IndexableEquality } from './filter.js';
import type { ListQuery } from './list.js';
import { applyPatchOperations, parsePatchRequest } from './patch.js';
import { checkSchemas, groupFields, groupResource, ifMatchAllows, parseScimId, type GroupFields } from './resources.js';
import { GROUP_RESOURCE, GROUP_SCHEMA, isObject, type JsonObject } from './schema.js';
import { search, type SearchResult, type SearchSource } from './search.js';

const groupNotFound = (raw: string) => notFound(`Group ${JSON.stringify(raw.slice(0, 100))} not found`);
const PATCH_OPTIONS = { ignoreUnknownAttributes: true } as const;

export class ScimGroupService {
  constructor(
    private readonly db: Db,
    /** `<public URL>/scim/v2`, for meta.location and $ref. */
    private readonly baseUrl: string,
  ) {}

  /** The accounts as Groups; `withMembers` loads their members (one query for all of them). */
  private async resources(db: Kysely<Database>, rows: readonly AccountRow[], withMembers: boolean): Promise<JsonObject[]> {
    const ids = rows.map((r) => r.id);
    const stamps = new Map((await scimStore.membershipStamps(db, ids)).map((s) => [s.account_id, s]));
    const members = withMembers ? await scimStore.membersOfAccounts(db, ids) : undefined;
    return rows.map((r) =>
      groupResource(
        r,
        members?.filter((m) => m.account_id === r.id),
        stamps.get(r.id),
        this.baseUrl,
      ),
    );
  }

  private async resource(db: Kysely<Database>, row: AccountRow, withMembers: boolean): Promise<JsonObject> {
    return (await this.resources(db, [row], withMembers))[0] as JsonObject;
  }

  private source(companyId: number): SearchSource<AccountRow> {
    const db = this.db.kysely;
    return {
      rt: GROUP_RESOURCE,
      lookup: async (eq: IndexableEquality) => {
        switch (eq.attribute) {
          case 'id': {
            const id = parseScimId(eq.value);
            const row = id === undefined ? undefined : await scimStore.findCompanyAccount(db, companyId, id);
            return row ? [row] : [];
          }
          case 'externalId':
            return scimStore.findCompanyAccountsByExternalId(db, companyId, eq.value);
          case 'members.value': {
            const userId = parseScimId(eq.value);
            return userId === undefined ? [] : scimStore.findCompanyAccountsWithMember(db, companyId, userId);
          }
          default:
            return undefined;
        }
      },
      scan: (afterId, limit) => scimStore.listCompanyAccountsAfter(db, companyId, afterId, limit),
      count: () => scimStore.countCompanyAccounts(db, companyId),
      page: (offset, limit) => scimStore.listCompanyAccountsPage(db, companyId, offset, limit),
      byIds: (ids) => scimStore.findCompanyAccountsByIds(db, companyId, ids),
      resources: (rows, withMembers) => this.resources(db, rows, withMembers),
    };
  }

  /** `withMembers`: false for excludedAttributes=members (the members are then not even read). */
  async search(principal: Principal, query: ListQuery, withMembers: boolean): Promise<SearchResult> {
    return search(this.source(principal.companyId), query, withMembers);
  }

  async get(principal: Principal, rawId: string, withMembers = true): Promise<JsonObject> {
    const id = parseScimId(rawId);
    const row = id === undefined ? undefined : await scimStore.findCompanyAccount(this.db.kysely, principal.companyId, id);
    if (!row) throw groupNotFound(rawId);
    return this.resource(this.db.kysely, row, withMembers);
  }

  async create(principal: Principal, body: unknown): Promise<JsonObject> {
    if (!isObject(body)) throw invalidSyntax('the body must be a JSON object');
    checkSchemas(body, GROUP_SCHEMA);
    const f = groupFields(body);
    const companyId = principal.companyId;
    return this.membersMayVanish(() =>
      inTransaction(this.db.kysely, async (trx) => {
        await this.checkMembers(trx, companyId, f.members);
        const now = nowIso();
        const account = await insertAccount(trx, {
          company_id: companyId,
          name: f.displayName,
          locale: 'en',
          domain: null,
          support_email: null,
          status: 'active',
          features: JSON.stringify(defaultFeatures()),
          limits: '{}',
          custom_attributes: '{}',
          external_id: f.externalId,
          created_at: now,
          updated_at: now,
        });
        await recordEvent(
          trx,
          principal.acting,
          {
            type: 'account.created',
            companyId,
            target: { kind: 'account', id: account.id },
            data: { id: account.id, name: account.name, externalId: f.externalId },
          },
          now,
        );
        await this.addMembers(trx, principal.acting, companyId, account.id, f.members, now);
        return this.resource(trx, account, true);
      }),
    );
  }

  /** PUT: the body replaces the Group, members included (members not sent leave the account). */
  async replace(principal: Principal, rawId: string, body: unknown, ifMatch?: string): Promise<JsonObject> {
    const id = parseScimId(rawId);
    if (id === undefined) throw groupNotFound(rawId);
    if (!isObject(body)) throw invalidSyntax('the body must be a JSON object');
    checkSchemas(body, GROUP_SCHEMA);
    const f = groupFields(body);
    return this.membersMayVanish(() =>
      inTransaction(this.db.kysely, async (trx) => {
        const { row, resource } = await this.locked(trx, principal.companyId, id, rawId, ifMatch);
        return this.write(trx, principal.acting, row, resource, f);
      }),
    );
  }

  /** PATCH: add, remove or replace members, rename; applied to the Group as SCIM shows it. */
  async patch(principal: Principal, rawId: string, body: unknown, ifMatch?: string): Promise<JsonObject> {
    const ops = parsePatchRequest(body);
    const id = parseScimId(rawId);
    if (id === undefined) throw groupNotFound(rawId);
    return this.membersMayVanish(() =>
      inTransaction(this.db.kysely, async (trx) => {
        const { row, resource } = await this.locked(trx, principal.companyId, id, rawId, ifMatch);
        const result = applyPatchOperations(resource, ops, GROUP_RESOURCE, PATCH_OPTIONS);
        if (!result.changed) return resource;
        return this.write(trx, principal.acting, row, resource, groupFields(result.resource));
      }),
    );
  }

  /** DELETE: the account goes, with its memberships and agent bots (as Chatwoot's delete); the users stay. */
  async delete(principal: Principal, rawId: string, ifMatch?: string): Promise<void> {
    const id = parseScimId(rawId);
    if (id === undefined) throw groupNotFound(rawId);
    await inTransaction(this.db.kysely, async (trx) => {
      const { row } = await this.locked(trx, principal.companyId, id, rawId, ifMatch);
      await unlinkAll(trx, 'AgentBot', await agentBotIdsOfAccount(trx, id));
      await unlinkAll(trx, 'Account', [id]);
      await deleteAccount(trx, id);
      await recordEvent(trx, principal.acting, {
        type: 'account.deleted',
        companyId: principal.companyId,
        target: { kind: 'account', id },
        data: { id, name: row.name, externalId: row.external_id },
      });
    });
  }

  /** The account locked for this transaction, as a Group with its members; 404 and 412 checked. */
  private async locked(trx: Kysely<Database>, companyId: number, id: number, rawId: string, ifMatch: string | undefined) {
    const row = await scimStore.findCompanyAccountForUpdate(trx, companyId, id);
    if (!row) throw groupNotFound(rawId);
    const resource = await this.resource(trx, row, true);
    const version = (resource.meta as { version: string }).version;
    if (!ifMatchAllows(ifMatch, version)) throw preconditionFailed(`the Group is at version ${version}, not the one If-Match names`);
    return { row, resource };
  }

  /** Every member must be a user of the company. */
  private async checkMembers(trx: Kysely<Database>, companyId: number, userIds: readonly number[]): Promise<void> {
    if (userIds.length === 0) return;
    const found = new Set((await scimStore.findCompanyUsersByIds(trx, companyId, userIds)).map((u) => u.id));
    const missing = userIds.find((id) => !found.has(id));
    if (missing !== undefined) throw invalidValue(`member "${missing}" is not a User of this company`);
  }

  private async addMembers(
    trx: Kysely<Database>,
    acting: Acting,
    companyId: number,
    accountId: number,
    userIds: readonly number[],
    now: string,
  ): Promise<void> {
    for (const userId of userIds) {
      // A new member is an online agent; one who is already a member keeps their role (and
      // records nothing).
      const m = await insertAccountUserIfAbsent(trx, newMembershipRow({ accountId, userId, role: 'agent', now }));
      if (!m) continue;
      await recordEvent(
        trx,
        acting,
        { type: 'account_user.created', companyId, target: { kind: 'account_user', id: m.id }, data: { id: m.id, accountId, userId, role: m.role } },
        now,
      );
    }
  }

  /** Writes the Group's new state: name, externalId, members joined and left. Nothing changed: nothing written. */
  private async write(trx: Kysely<Database>, acting: Acting, row: AccountRow, current: JsonObject, f: GroupFields): Promise<JsonObject> {
    const companyId = row.company_id;
    const currentIds = ((current.members as { value: string }[] | undefined) ?? []).map((m) => Number(m.value));
    const wanted = new Set(f.members);
    const have = new Set(currentIds);
    const added = f.members.filter((id) => !have.has(id));
    const removed = currentIds.filter((id) => !wanted.has(id));
    const renamed = f.displayName !== row.name || f.externalId !== row.external_id;
    if (!renamed && added.length === 0 && removed.length === 0) return current;

    await this.checkMembers(trx, companyId, added);
    const now = nowIso();
    const updated = await updateAccount(trx, row.id, { name: f.displayName, external_id: f.externalId, updated_at: now });
    if (!updated) throw new Error('a locked account vanished');
    if (renamed) {
      await recordEvent(
        trx,
        acting,
        {
          type: 'account.updated',
          companyId,
          target: { kind: 'account', id: row.id },
          data: { id: row.id, name: updated.name, externalId: updated.external_id },
        },
        now,
      );
    }
    if (removed.length > 0) {
      const memberships = await scimStore.membershipsOf(trx, row.id, removed);
      await scimStore.deleteAccountUsers(trx, row.id, removed);
      for (const m of memberships) {
        await recordEvent(
          trx,
          acting,
          {
            type: 'account_user.deleted',
            companyId,
            target: { kind: 'account_user', id: m.id },
            data: { id: m.id, accountId: row.id, userId: m.user_id, role: m.role },
          },
          now,
        );
      }
    }
    await this.addMembers(trx, acting, companyId, row.id, added, now);
    return this.resource(trx, updated, true);
  }

  /** A member deleted while the write ran: the foreign key refuses the membership; say which rule. */
  private async membersMayVanish<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isForeignKeyViolation(err)) throw invalidValue('a member is not a User of this company (deleted meanwhile)');
      throw err;
    }
  }
}
