/** The console's pages over HTTP: each action writes what it says, with its event by the operator; bad input is a 4xx page that writes nothing. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { CLI } from '../../src/events/types.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';
import { loadConfig } from '../../src/config.js';
import { openSecretBox } from '../../src/infra/secret-key.js';
import { buildServices } from '../../src/services.js';
import { ConsoleClient } from './browser-session.js';

const EMAIL = 'pages@example.com';
const PASSWORD = 'orange tundra operator';

forEachStore('admin console pages', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  const c = new ConsoleClient(() => srv.call);
  let operatorId = '';
  let userId = 0;

  before(async () => {
    const s = servicesOf(srv.db);
    operatorId = String((await s.operators.create({ email: EMAIL, password: PASSWORD }, CLI)).id);
    const acme = await s.companies.create({ code: 'acme', name: 'Acme' });
    const u = await s.users.create({
      companyId: acme.id,
      email: 'grace@example.com',
      name: 'Grace',
      passwordHash: null,
      emailVerified: true,
      createdVia: 'cli',
    });
    userId = Number(u.id);
    assert.equal((await c.login(EMAIL, PASSWORD)).status, 303);
  });

  const eventsOf = (type: string) =>
    srv.db.kysely.selectFrom('events').selectAll().where('type', '=', type).where('actor_kind', '=', 'operator').where('actor_id', '=', operatorId).execute();

  it('edits a company: name, email verification, password policy and CORS origins, each recorded', async () => {
    await c.get('/admin/companies/acme');
    const r = await c.post('/admin/companies/acme', {
      name: 'Acme Inc',
      requireEmailVerification: '1',
      passwordMinLength: '10',
      passwordMaxLength: '128',
      corsOrigins: 'https://shop.example.com\r\nhttps://app.example.com',
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /Settings saved/);
    const company = await servicesOf(srv.db).companies.get('acme');
    assert.equal(company.name, 'Acme Inc');
    assert.equal(company.requireEmailVerification, true);
    assert.equal(company.passwordPolicy.minLength, 10);
    assert.deepEqual(await servicesOf(srv.db).corsOrigins.of(company.id), ['https://app.example.com', 'https://shop.example.com']);
    const saved = await eventsOf('company.updated');
    assert.equal(saved.length, 1, 'one event for one save');
    assert.equal(JSON.parse(saved[0]!.data).name, 'Acme Inc');
    assert.deepEqual(JSON.parse(saved[0]!.data).corsOrigins, ['https://app.example.com', 'https://shop.example.com']);

    const bad = await c.post('/admin/companies/acme', { name: 'Other', passwordMinLength: 'ten' });
    assert.equal(bad.status, 400);
    const tooShort = await c.post('/admin/companies/acme', { name: 'Other', passwordMinLength: '3' });
    assert.equal(tooShort.status, 400);
    const badOrigin = await c.post('/admin/companies/acme', { name: 'Acme Inc', requireEmailVerification: '1', corsOrigins: 'javascript:alert(1)' });
    assert.equal(badOrigin.status, 400);
    assert.equal((await servicesOf(srv.db).companies.get('acme')).name, 'Acme Inc', 'nothing written');
    assert.equal((await eventsOf('company.updated')).length, 1);
  });

  it('refuses a bad company code (400) and escapes what companies are named', async () => {
    await c.get('/admin/companies');
    const bad = await c.post('/admin/companies', { code: 'no spaces!', name: 'X' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /role="alert"/);
    const dup = await c.post('/admin/companies', { code: 'acme', name: 'Again' });
    assert.equal(dup.status, 409);
    const ok = await c.post('/admin/companies', { code: 'xss', name: '<script>alert(1)</script>' });
    assert.equal(ok.status, 303);
    const list = await c.get('/admin/companies');
    assert.ok(!list.text.includes('<script>alert(1)</script>'));
    assert.ok(list.text.includes('&lt;script>alert(1)&lt;/script>'));
  });

  it('creates a token of every kind, shown once, and revokes it', async () => {
    for (const kind of ['api_token', 'platform_app', 'scim_token'] as const) {
      await c.get('/admin/companies/acme');
      const r = await c.post('/admin/companies/acme/credentials', { kind, name: `console ${kind}` });
      assert.equal(r.status, 200);
      const token = /<code id="secret-0"[^>]*>([^<]+)<\/code>/.exec(r.text)?.[1];
      assert.ok(token, `the ${kind} is shown`);
      const [row] = await servicesOf(srv.db).credentials.list(kind, 'acme');
      assert.ok(row);
      assert.ok(token.includes(row.id));
      const revoked = await c.post(`/admin/companies/acme/credentials/${kind}/${row.id}/revoke`);
      assert.equal(revoked.status, 200);
      assert.match(revoked.text, new RegExp(`Revoked ${row.id}`));
      assert.ok(!revoked.text.includes(token), 'never shown again');
    }
    assert.equal((await eventsOf('credential.created')).length, 3);
    assert.equal((await eventsOf('credential.revoked')).length, 3);
    const again = await c.post('/admin/companies/acme/credentials/api_token/0000000000000000/revoke');
    assert.equal(again.status, 404);
    const badKind = await c.post('/admin/companies/acme/credentials', { kind: 'root' });
    assert.equal(badKind.status, 400);
  });

  it("shows a user's page; ends their sessions and queues a reset mail, each recorded", async () => {
    const page = await c.get(`/admin/users/${userId}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /grace@example\.com/);
    assert.equal((await c.post(`/admin/users/${userId}/end-sessions`)).status, 200);
    assert.equal((await eventsOf('user.sessions_ended')).length, 1);
    assert.equal((await c.post(`/admin/users/${userId}/reset-password`)).status, 200);
    const mail = await srv.db.kysely.selectFrom('outbox').selectAll().where('user_id', '=', userId).execute();
    assert.deepEqual(
      mail.map((m) => m.template),
      ['reset_password'],
    );
    assert.equal((await eventsOf('user.password_reset_requested')).length, 1);
    const search = await c.get('/admin/users?q=GRACE&company=acme');
    assert.match(search.text, new RegExp(`/admin/users/${userId}`));
    const none = await c.get('/admin/users?q=nobody');
    assert.match(none.text, /No users found/);
    assert.equal((await c.get('/admin/users?company=nope')).status, 404);
    assert.equal((await c.get('/admin/users/999999')).status, 404);
    assert.equal((await c.get('/admin/users/abc')).status, 404);
  });

  it('retries a failed mail (and only a failed one)', async () => {
    const [m] = await srv.db.kysely.selectFrom('outbox').select('id').where('user_id', '=', userId).execute();
    assert.ok(m);
    await c.get('/admin/outbox');
    assert.equal((await c.post(`/admin/outbox/${m.id}/retry`)).status, 404, 'a pending message is not retried');
    await srv.db.kysely.updateTable('outbox').set({ status: 'failed', attempts: 5, last_error: 'SMTP said no' }).where('id', '=', m.id).execute();
    const failed = await c.get('/admin/outbox?status=failed');
    assert.match(failed.text, /SMTP said no/);
    assert.equal((await c.post(`/admin/outbox/${m.id}/retry`)).status, 303);
    const row = await srv.db.kysely.selectFrom('outbox').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 0);
    assert.equal((await eventsOf('mail.retried')).length, 1);
    assert.equal((await c.get('/admin/outbox?status=bogus')).status, 400);
  });

  it("lists a company's webhook deliveries and redelivers one, recorded", async () => {
    // The graph as the app has it (WEBHOOK_ALLOW_PRIVATE for a local endpoint that is never called).
    const config = loadConfig({ ROSTER_SECRET_KEY: TEST_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE: 'true' });
    const s = buildServices({ db: srv.db, config, secrets: openSecretBox({ ...config, databaseUrl: 'sqlite::memory:' }) });
    const { webhook } = await s.webhooks.add({ companyCode: 'acme', url: 'http://127.0.0.1:9/hook', eventTypes: ['company.updated'] }, CLI);
    await s.companies.update('acme', { name: 'Acme Hooked' }, CLI);
    const [d] = await s.webhooks.deliveries({ companyCode: 'acme', limit: 1 });
    assert.ok(d);
    await srv.db.kysely.updateTable('webhook_deliveries').set({ status: 'failed', attempts: 8 }).where('id', '=', d.id).execute();
    const page = await c.get('/admin/companies/acme');
    assert.ok(page.text.includes(webhook.id));
    assert.match(page.text, new RegExp(`Redeliver ${d.id}`));
    const r = await c.post(`/admin/companies/acme/deliveries/${d.id}/redeliver`);
    assert.equal(r.status, 200);
    assert.match(r.text, new RegExp(`Delivery ${d.id} queued again`));
    const row = await srv.db.kysely.selectFrom('webhook_deliveries').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 0);
    assert.equal((await eventsOf('webhook.redelivered')).length, 1);
    // A delivery of another company is not this company's to redeliver.
    await s.companies.create({ code: 'other', name: 'Other' });
    assert.equal((await c.post(`/admin/companies/other/deliveries/${d.id}/redeliver`)).status, 404);
  });

  it('deletes a user, recorded', async () => {
    await c.get(`/admin/users/${userId}`);
    const r = await c.post(`/admin/users/${userId}/delete`);
    assert.equal(r.status, 303);
    assert.equal(await srv.db.kysely.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst(), undefined);
    assert.equal((await eventsOf('user.deleted')).length, 1);
    assert.equal((await c.post(`/admin/users/${userId}/delete`)).status, 404);
  });

  it('answers the audit, accounts and home pages, refuses bad filters, and keeps /admin out of the OpenAPI document', async () => {
    const audit = await c.get(`/admin/audit?actorKind=operator&actorId=${operatorId}`);
    assert.equal(audit.status, 200);
    assert.match(audit.text, /user\.deleted/);
    assert.equal((await c.get('/admin/audit?type=nope')).status, 400);
    assert.equal((await c.get('/admin/audit?since=yesterday')).status, 400);
    assert.equal((await c.get('/admin/accounts')).status, 200);
    assert.equal((await c.get('/admin/widget-users?q=x')).status, 200);
    const home = await c.get('/admin');
    assert.match(home.text, /Companies/);
    const api = await srv.call('GET', '/openapi.json');
    assert.ok(!Object.keys(api.body.paths).some((p) => p.startsWith('/admin')));
  });
});
