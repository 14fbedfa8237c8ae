/**
 * `roster import chatwoot`: a small Chatwoot database in PostgreSQL (its schema.rb tables), imported
 * into each store, then read through the Chatwoot Platform API with the original ids.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { featureFlagsOf } from '../../src/import/chatwoot-enums.js';
import { ChatwootSourceError } from '../../src/import/chatwoot-source.js';
import type { ChatwootImportReport } from '../../src/import/chatwoot.js';
import { createTestDatabase, openTestDb, SKIP_POSTGRES, STORES, type TestDatabase } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { CHATWOOT_DDL, onChatwoot } from './chatwoot-schema.js';
import { ROSTER_HASH } from '../fixtures/passwords.js';
import { countRows, deviseBcrypt, insertAccount, userByEmail } from './helpers.js';

const ALICE_PASSWORD = 'Alice-Passw0rd!';
const T = '2020-01-02 03:04:05.678';

/** Fills the Chatwoot database: three accounts, seven users, memberships, one platform app. */
async function fill(url: string): Promise<void> {
  const alice = deviseBcrypt(ALICE_PASSWORD);
  const cheap = deviseBcrypt('Bob-Passw0rd!', 4);
  await onChatwoot(url, async (c) => {
    await c.query(CHATWOOT_DDL);
    const account = (id: number, name: string, locale: number, flags: bigint, status: number, limits: object, custom: object) =>
      c.query(
        'insert into accounts (id, name, locale, feature_flags, status, limits, custom_attributes, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8)',
        [id, name, locale, flags.toString(), status, JSON.stringify(limits), JSON.stringify(custom), T],
      );
    await account(1, 'Acme Support', 12, featureFlagsOf(['inbound_emails', 'agent_bots', 'campaigns', 'companies']), 0, { agents: 5 }, { plan: 'pro' });
    await account(2, 'Second', 0, 0n, 0, {}, {});
    await account(7, 'Suspended', 99, 1n << 57n, 1, {}, {});
    const user = (id: number, email: string | null, name: string, hash: string, confirmed: string | null, custom: object, display: string | null = null) =>
      c.query(
        `insert into users (id, uid, email, name, display_name, encrypted_password, confirmed_at, custom_attributes, availability, created_at, updated_at)
         values ($1, $2, $2, $3, $4, $5, $6, $7, 1, $8, $8)`,
        [id, email ?? `uid-${id}`, name, display, hash, confirmed, JSON.stringify(custom), T],
      );
    await user(1, 'Alice@Acme.test', 'Alice Agent', alice, T, { team: 'a' }, 'Ally');
    await user(2, 'bob@acme.test', 'Bob', cheap, null, {});
    await user(3, 'carol@acme.test', 'Carol from Chatwoot', cheap, T, {});
    await user(4, 'dave@globex.test', 'Dave', cheap, T, {});
    await user(5, null, 'No Email', cheap, T, {});
    await user(6, 'frank@acme.test', 'Frank', '', T, {});
    await user(9, 'bad@acme.test', 'Bad Hash', '$2a$11$short', T, {});
    const member = (account: number, user: number, role: number | null, availability: number, activeAt: string | null) =>
      c.query('insert into account_users (account_id, user_id, role, availability, active_at, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)', [
        account,
        user,
        role,
        availability,
        activeAt,
        T,
      ]);
    await member(1, 1, 1, 2, '2024-05-06 07:08:09');
    await member(2, 1, 0, 0, null);
    await member(1, 2, 0, 1, null);
    await member(7, 3, null, 0, null);
    await member(1, 4, 0, 0, null);
    await c.query("insert into platform_apps (id, name, created_at, updated_at) values (1, 'Dashboard App', $1, $1)", [T]);
    for (const [type, id] of [
      ['Account', 1],
      ['Account', 2],
      ['User', 1],
      ['User', 2],
      ['User', 3],
      ['AgentBot', 5],
    ] as const) {
      await c.query(
        'insert into platform_app_permissibles (platform_app_id, permissible_type, permissible_id, created_at, updated_at) values (1, $1, $2, $3, $3)',
        [type, id, T],
      );
    }
  });
}

describe('roster import chatwoot', { skip: SKIP_POSTGRES }, () => {
  let source: TestDatabase;
  before(async () => {
    source = await createTestDatabase('postgres');
    await fill(source.url);
  });
  after(() => source?.drop());

  for (const kind of STORES) {
    describe(`into ${kind}`, () => {
      const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', LOGIN_MAX_FAILURES_PER_IP: '10000' });
      const run = (extra: { dryRun?: boolean } = {}) =>
        servicesOf(srv.db).imports.chatwoot({ companyCode: 'acme', from: source.url, platformApps: true, ...extra });
      let acme: number;
      let report: ChatwootImportReport;
      let token: string;
      const platform = (path: string) => srv.call('GET', `/platform/api/v1${path}`, { headers: { api_access_token: token } });

      before(async () => {
        acme = (await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' })).id;
        const globex = (await servicesOf(srv.db).companies.create({ code: 'globex', name: 'Globex' })).id;
        // roster already holds: account 2 (its own), carol (a user of this company, id 50), dave in
        // another company, and a user with id 6.
        await insertAccount(srv.db, acme, "roster's own", 2);
        const user = (id: number, companyId: number, email: string, name: string) =>
          srv.db.kysely
            .insertInto('users')
            .values({
              id,
              company_id: companyId,
              email,
              name,
              password_hash: null,
              email_verified_at: null,
              default_start_week: 0,
              is_external_creation: 0,
              custom_attributes: '{}',
              ui_settings: '{}',
              pubsub_token_digest: `digest-${id}`,
              created_via: 'cli',
              created_at: T,
              updated_at: T,
            })
            .execute();
        await user(50, acme, 'carol@acme.test', 'Carol');
        await user(51, globex, 'dave@globex.test', 'Dave');
        await user(6, globex, 'six@globex.test', 'Six');
      });

      it('a dry run says what it would do and writes nothing', async () => {
        const tables = ['users', 'accounts', 'account_users', 'events', 'import_links'] as const;
        const counts = await Promise.all(tables.map((t) => countRows(srv.db, t)));
        const dry = await run({ dryRun: true });
        assert.equal(dry.dryRun, true);
        assert.deepEqual(dry.kinds.accounts, { created: 3, updated: 0, unchanged: 0, failed: 0 });
        assert.deepEqual(dry.kinds.users, { created: 3, updated: 1, unchanged: 0, failed: 3 });
        assert.deepEqual(
          dry.idsNotKept.accounts.map((i) => i.chatwootId),
          [2],
        );
        assert.equal(dry.platformApps[0]!.token, null);
        assert.deepEqual(await Promise.all(tables.map((t) => countRows(srv.db, t))), counts);
      });

      it('imports accounts, users, memberships and the platform app, keeping the ids that are free', async () => {
        report = await run();
        assert.deepEqual(report.kinds.accounts, { created: 3, updated: 0, unchanged: 0, failed: 0 });
        assert.deepEqual(report.kinds.users, { created: 3, updated: 1, unchanged: 0, failed: 3 });
        assert.deepEqual(report.kinds.accountUsers, { created: 4, updated: 0, unchanged: 0, failed: 1 });
        assert.deepEqual(report.kinds.platformApps, { created: 1, updated: 0, unchanged: 0, failed: 0 });
        assert.deepEqual(report.kinds.permissibles, { created: 5, unchanged: 0, skipped: 1 });
        assert.deepEqual(
          report.failed.map((f) => [f.line, f.field]),
          [
            [4, 'users.email'],
            [5, 'users.email'],
            [5, 'account_users.user_id'],
            [9, 'users.encrypted_password'],
          ],
        );
        assert.equal(report.failed.find((f) => f.line === 4)!.message, 'belongs to a user of another company in roster');
        const second = (await srv.db.kysely.selectFrom('accounts').select('id').where('name', '=', 'Second').executeTakeFirstOrThrow()).id;
        const frank = (await userByEmail(srv.db, 'frank@acme.test'))!;
        assert.deepEqual(report.idsNotKept, {
          accounts: [{ chatwootId: 2, id: second }],
          users: [
            { chatwootId: 3, id: 50 },
            { chatwootId: 6, id: frank.id },
          ],
        });
        assert.ok(second > 7 && frank.id > 9, 'new ids come after every Chatwoot id');
        assert.equal(frank.password_hash, null, 'no password in Chatwoot: none in roster');
        assert.ok(report.notes.some((n) => n.startsWith('account 7: locale 99')));
        assert.ok(report.notes.some((n) => n.startsWith('account_users 4: no role')));
        const [app] = report.platformApps;
        assert.equal(app!.name, 'Dashboard App');
        assert.match(app!.token!, /^rpa_[0-9a-f]{16}\./);
        token = app!.token!;
        const events = await srv.db.kysely.selectFrom('events').select(['type', 'actor_kind']).where('actor_id', '=', report.runId).execute();
        assert.ok(events.length >= 12 && events.every((e) => e.actor_kind === 'import'));
        assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), [
          'account.created',
          'account_user.created',
          'credential.created',
          'user.created',
          'user.updated',
        ]);
      });

      it('answers the Platform API with the original ids', async () => {
        const account = await platform('/accounts/1');
        assert.equal(account.status, 200, account.text);
        assert.deepEqual(account.body, {
          id: 1,
          name: 'Acme Support',
          locale: 'es',
          domain: null,
          support_email: account.body.support_email,
          features: { inbound_emails: true, agent_bots: true, campaigns: true, companies: true },
          custom_attributes: { plan: 'pro' },
          limits: { agents: 5 },
          status: 'active',
        });
        const alice = await platform('/users/1');
        assert.equal(alice.status, 200, alice.text);
        assert.equal(alice.body.id, 1);
        assert.equal(alice.body.email, 'alice@acme.test');
        assert.equal(alice.body.name, 'Alice Agent');
        assert.equal(alice.body.display_name, 'Ally');
        assert.equal(alice.body.confirmed, true);
        assert.deepEqual(alice.body.custom_attributes, { team: 'a' });
        const second = report.idsNotKept.accounts[0]!.id;
        assert.deepEqual(
          alice.body.accounts.map((a: { id: number; role: string; active_at: string | null }) => [a.id, a.role, a.active_at]),
          [
            [1, 'administrator', '2024-05-06T07:08:09.000Z'],
            [second, 'agent', null],
          ],
        );
        const members = await platform('/accounts/1/account_users');
        assert.equal(members.status, 200, members.text);
        assert.deepEqual(members.body.map((m: { user_id: number; role: string; availability: string }) => [m.user_id, m.role, m.availability]).sort(), [
          [1, 'administrator', 'busy'],
          [2, 'agent', 'offline'],
        ]);
        assert.equal((await platform('/users/2')).body.confirmed, false);
        assert.equal((await platform('/users/50')).body.name, 'Carol from Chatwoot', 'carol (Chatwoot 3) is roster user 50');
        assert.equal((await platform(`/accounts/${second}`)).body.name, 'Second');
      });

      it('logs a Chatwoot user in with their Chatwoot password, and re-hashes it', async () => {
        const r = await srv.call('POST', '/api/user/login', { json: { email: 'alice@acme.test', password: ALICE_PASSWORD } });
        assert.equal(r.status, 200, r.text);
        assert.match((await userByEmail(srv.db, 'alice@acme.test'))!.password_hash!, ROSTER_HASH);
      });

      it('a second run changes nothing (and keeps the re-hashed password)', async () => {
        const hash = (await userByEmail(srv.db, 'alice@acme.test'))!.password_hash;
        const again = await run();
        assert.deepEqual([again.created, again.updated], [0, 0]);
        assert.equal(again.unchanged, report.created + report.updated);
        assert.deepEqual(again.kinds.permissibles, { created: 0, unchanged: 5, skipped: 1 });
        assert.equal(again.platformApps[0]!.token, null, 'the token is shown only by the run that made it');
        assert.deepEqual(again.idsNotKept, report.idsNotKept);
        assert.equal((await userByEmail(srv.db, 'alice@acme.test'))!.password_hash, hash);
        assert.equal(again.failed.length, report.failed.length);
      });

      it('new records after the import take ids above every Chatwoot id', async () => {
        const u = await servicesOf(srv.db).users.create({
          companyId: acme,
          email: 'later@acme.test',
          name: 'Later',
          passwordHash: null,
          emailVerified: true,
          createdVia: 'cli',
        });
        assert.ok(u.id > 9);
        assert.ok((await insertAccount(srv.db, acme, 'Later')) > 7);
      });
    });
  }

  it('refuses a database that is not Chatwoot, and one it cannot reach', async () => {
    const srvless = await createTestDatabase('postgres');
    try {
      const t = await openTestDb('sqlite');
      try {
        await servicesOf(t.db).companies.create({ code: 'acme', name: 'Acme' });
        await assert.rejects(
          servicesOf(t.db).imports.chatwoot({ companyCode: 'acme', from: srvless.url }),
          (e) => e instanceof ChatwootSourceError && e.code === 'NOT_CHATWOOT' && /accounts\.id/.test(e.message),
        );
        await assert.rejects(
          servicesOf(t.db).imports.chatwoot({ companyCode: 'acme', from: 'postgres://nobody@127.0.0.1:1/none' }),
          (e) => e instanceof ChatwootSourceError && e.code === 'CONNECT_FAILED',
        );
      } finally {
        await t.close();
      }
    } finally {
      await srvless.drop();
    }
  });
});
