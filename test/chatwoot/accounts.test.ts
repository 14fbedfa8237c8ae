import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FEATURE_DEFAULTS, LOCALES } from '../../src/apis/chatwoot/accounts.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { api, createTenant, newApp, type Api, type Tenant } from './helpers.js';

const ACCOUNT_KEYS = ['custom_attributes', 'domain', 'features', 'id', 'limits', 'locale', 'name', 'status', 'support_email'];
const defaultsOn = Object.keys(FEATURE_DEFAULTS).filter((f) => FEATURE_DEFAULTS[f]);

forEachStore('Chatwoot accounts', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', MAIL_FROM: 'Acme Desk <desk@acme.test>' });
  let acme: Tenant;
  let cw: Api;
  let other: Api;

  before(async () => {
    acme = await createTenant(srv, 'acme');
    cw = api(srv, acme.token);
    other = api(srv, (await newApp(srv, 'acme')).token);
  });

  describe('authentication (Chatwoot spec: no token, invalid token)', () => {
    const routes: Array<[string, string]> = [
      ['GET', '/accounts'],
      ['POST', '/accounts'],
      ['GET', '/accounts/1'],
      ['PATCH', '/accounts/1'],
      ['PUT', '/accounts/1'],
      ['DELETE', '/accounts/1'],
    ];
    for (const [method, path] of routes) {
      it(`${method} ${path} answers 401 without a token and with token "invalid"`, async () => {
        for (const token of [undefined, 'invalid']) {
          const r = await api(srv, token)(method, path, method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' });
          assert.equal(r.status, 401, `${String(token)}: ${r.text}`);
          assert.deepEqual(r.body, { error: 'Invalid access_token' });
        }
      });
    }
  });

  it('creates an account with defaults, linked to the app (Chatwoot spec: create)', async () => {
    const r = await cw('POST', '/accounts', { name: 'Acme Support' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ACCOUNT_KEYS);
    assert.equal(typeof r.body.id, 'number');
    assert.equal(r.body.name, 'Acme Support');
    assert.equal(r.body.locale, 'en');
    assert.equal(r.body.status, 'active');
    assert.equal(r.body.domain, null);
    assert.equal(r.body.support_email, 'Acme Desk <desk@acme.test>', "the installation's sender address, as Chatwoot's MAILER_SENDER_EMAIL");
    const stored = await srv.db.kysely.selectFrom('accounts').select('support_email').where('id', '=', r.body.id).executeTakeFirstOrThrow();
    assert.equal(stored.support_email, null, 'the fallback is not written');
    assert.equal(r.body.features.campaigns, true, 'Chatwoot 4.8 turned campaigns on');
    assert.deepEqual(r.body.limits, {});
    assert.deepEqual(r.body.custom_attributes, {});
    assert.deepEqual(Object.keys(r.body.features).sort(), [...defaultsOn].sort());
    assert.ok(Object.values(r.body.features).every((v) => v === true));
    const link = await srv.db.kysely
      .selectFrom('platform_app_permissibles')
      .selectAll()
      .where('permissible_type', '=', 'Account')
      .where('permissible_id', '=', r.body.id)
      .execute();
    assert.equal(link.length, 1);
    assert.equal(link[0]!.platform_app_id, acme.appId);
    const row = await srv.db.kysely.selectFrom('accounts').select('company_id').where('id', '=', r.body.id).executeTakeFirstOrThrow();
    assert.equal(row.company_id, acme.companyId);
  });

  it('takes locale, domain, support email, status, limits and custom attributes (Chatwoot spec: locale es, limits)', async () => {
    const r = await cw('POST', '/accounts', {
      name: 'Hola',
      locale: 'es',
      domain: 'support.acme.test',
      support_email: ' Help@Acme.TEST ',
      status: 'suspended',
      limits: { agents: 5, inboxes: 10 },
      custom_attributes: { plan: 'pro', seats: [1, 2] },
      unknown_field: 'ignored',
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.locale, 'es');
    assert.equal(r.body.domain, 'support.acme.test');
    assert.equal(r.body.support_email, 'help@acme.test');
    assert.equal(r.body.status, 'suspended');
    assert.deepEqual(r.body.limits, { agents: 5, inboxes: 10 });
    assert.deepEqual(r.body.custom_attributes, { plan: 'pro', seats: [1, 2] });
  });

  it('merges features over the installation defaults: true enables, false disables (Chatwoot spec: features)', async () => {
    const r = await cw('POST', '/accounts', { name: 'F', features: { campaigns: true, labels: false, ip_lookup: null } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.features.campaigns, true);
    assert.equal('labels' in r.body.features, false);
    assert.equal('ip_lookup' in r.body.features, false);
    assert.equal(r.body.features.inbox_management, true);
  });

  it('accepts every documented locale', async () => {
    for (const locale of ['pt_BR', 'zh_TW', 'fr', 'de']) {
      assert.ok((LOCALES as readonly string[]).includes(locale));
      const r = await cw('POST', '/accounts', { name: `L ${locale}`, locale });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.locale, locale);
    }
  });

  it("lists only this app's accounts (Chatwoot spec: index)", async () => {
    const mine = (await cw('POST', '/accounts', { name: 'Mine' })).body.id;
    const theirs = (await other('POST', '/accounts', { name: 'Theirs' })).body.id;
    const r = await cw('GET', '/accounts');
    assert.equal(r.status, 200);
    const ids = r.body.map((a: { id: number }) => a.id);
    assert.ok(ids.includes(mine));
    assert.ok(!ids.includes(theirs));
    assert.deepEqual(
      ids,
      [...ids].sort((a: number, b: number) => a - b),
    );
    assert.deepEqual(
      (await other('GET', '/accounts')).body.map((a: { id: number }) => a.id),
      [theirs],
    );
  });

  it('shows an account', async () => {
    const created = (await cw('POST', '/accounts', { name: 'Show me', limits: { agents: 2 } })).body;
    const r = await cw('GET', `/accounts/${created.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, created);
  });

  it("takes every flag of Chatwoot 4.8's features.yml (saml, captain_integration_v2, quoted_email_reply)", async () => {
    const r = await cw('POST', '/accounts', {
      name: 'Flags',
      features: { saml: true, captain_integration_v2: true, quoted_email_reply: true, campaigns: false },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.features.saml, true);
    assert.equal(r.body.features.captain_integration_v2, true);
    assert.equal(r.body.features.quoted_email_reply, true);
    assert.equal('campaigns' in r.body.features, false);
  });

  it('updates with PATCH and PUT: features merge over the current flags, limits and attributes are replaced', async () => {
    const a = (await cw('POST', '/accounts', { name: 'Before', features: { campaigns: true }, limits: { agents: 1 }, custom_attributes: { a: 1 } })).body;
    const p = await cw('PATCH', `/accounts/${a.id}`, {
      name: 'After',
      features: { sla: true, labels: false },
      limits: { inboxes: 3 },
      custom_attributes: { b: 2 },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.name, 'After');
    assert.equal(p.body.features.campaigns, true, 'a flag not sent keeps its value');
    assert.equal(p.body.features.sla, true);
    assert.equal('labels' in p.body.features, false);
    assert.deepEqual(p.body.limits, { inboxes: 3 });
    assert.deepEqual(p.body.custom_attributes, { b: 2 });
    assert.equal(p.body.locale, 'en', 'what is not sent is kept');
    const put = await cw('PUT', `/accounts/${a.id}`, { status: 'suspended', locale: 'pt_BR', domain: null });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.status, 'suspended');
    assert.equal(put.body.locale, 'pt_BR');
    assert.equal(put.body.name, 'After');
    assert.deepEqual((await cw('GET', `/accounts/${a.id}`)).body, put.body);
  });

  it('keeps both of two concurrent feature updates', async () => {
    const a = (await cw('POST', '/accounts', { name: 'Concurrent' })).body;
    const flags = ['sla', 'campaigns', 'ip_lookup', 'audit_logs', 'custom_roles', 'inbox_view'];
    const replies = await Promise.all(flags.map((f) => cw('PATCH', `/accounts/${a.id}`, { features: { [f]: true } })));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    const after = (await cw('GET', `/accounts/${a.id}`)).body;
    for (const f of flags) assert.equal(after.features[f], true, f);
  });

  it('deletes an account with its memberships, bots and links, answering 200 with an empty body', async () => {
    const a = (await cw('POST', '/accounts', { name: 'Doomed' })).body;
    const bot = (await cw('POST', '/agent_bots', { name: 'B', account_id: a.id })).body;
    const r = await cw('DELETE', `/accounts/${a.id}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal((await cw('GET', `/accounts/${a.id}`)).status, 404);
    assert.equal((await cw('GET', `/agent_bots/${bot.id}`)).status, 404);
    const links = await srv.db.kysely
      .selectFrom('platform_app_permissibles')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('permissible_type', '=', 'Account'), eb('permissible_id', '=', a.id)]),
          eb.and([eb('permissible_type', '=', 'AgentBot'), eb('permissible_id', '=', bot.id)]),
        ]),
      )
      .execute();
    assert.equal(links.length, 0);
  });

  describe('lookup before permission', () => {
    it('answers 404 {"error":"Not Found"} for an unknown or malformed id', async () => {
      for (const id of ['999999', 'abc', '0', '-1', '1.5', '1e3', '99999999999999999999', '%20']) {
        for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
          const r = await cw(method, `/accounts/${id}`, method === 'PATCH' || method === 'PUT' ? { name: 'x' } : undefined);
          assert.equal(r.status, 404, `${method} ${id}: ${r.text}`);
          assert.deepEqual(r.body, { status: 404, error: 'Not Found' });
        }
      }
    });

    it("answers 401 Non permissible resource for another app's account, and changes nothing (Chatwoot spec)", async () => {
      const theirs = (await other('POST', '/accounts', { name: 'Theirs' })).body;
      for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
        const r = await cw(method, `/accounts/${theirs.id}`, method === 'PATCH' || method === 'PUT' ? { name: 'hijacked' } : undefined);
        assert.equal(r.status, 401, `${method}: ${r.text}`);
        assert.deepEqual(r.body, { error: 'Non permissible resource' });
      }
      assert.deepEqual((await other('GET', `/accounts/${theirs.id}`)).body, theirs);
    });

    it('checks the permission before the body: an invalid body on a foreign account is still 401', async () => {
      const theirs = (await other('POST', '/accounts', { name: 'Theirs' })).body;
      const r = await cw('PATCH', `/accounts/${theirs.id}`, { name: 5 });
      assert.equal(r.status, 401);
    });
  });

  describe('validation: 422 with Chatwoot messages, nothing written', () => {
    const cases: Array<[string, unknown, string, string[]]> = [
      ['no name', {}, "Name can't be blank", ['name']],
      ['a blank name', { name: '   ' }, "Name can't be blank", ['name']],
      ['a null name', { name: null }, "Name can't be blank", ['name']],
      ['a numeric name', { name: 5 }, 'Name must be a string or null', ['name']],
      ['a name over 255 characters', { name: 'x'.repeat(256) }, 'Name is too long (maximum is 255 characters)', ['name']],
      ['an unknown locale', { name: 'x', locale: 'xx' }, 'Locale is not included in the list', ['locale']],
      ['an unknown status', { name: 'x', status: 'deleted' }, 'Status is not included in the list', ['status']],
      ['a domain over 100', { name: 'x', domain: `${'d'.repeat(97)}.com` }, 'Domain is too long (maximum is 100 characters)', ['domain']],
      ['a bad support email', { name: 'x', support_email: 'not-an-email' }, 'Support email is invalid', ['support_email']],
      ['an unknown feature', { name: 'x', features: { teleport: true } }, 'Features teleport is not a known feature', ['features']],
      ['a feature that is not a boolean', { name: 'x', features: { sla: 'yes' } }, 'Features sla must be true or false', ['features']],
      ['features as an array', { name: 'x', features: ['sla'] }, 'Features must be an object or null', ['features']],
      ['a negative limit', { name: 'x', limits: { agents: -1 } }, 'Limits agents must be a whole number, 0 or more', ['limits']],
      ['custom attributes as a string', { name: 'x', custom_attributes: 'x' }, 'Custom attributes must be an object or null', ['custom_attributes']],
      ['a name with NUL', { name: 'a\u0000b' }, 'Name is invalid', ['name']],
      ['an array body', [1], 'Body must be an object', ['body']],
    ];
    for (const [label, body, message, attributes] of cases) {
      it(`POST with ${label}`, async () => {
        const before = (await cw('GET', '/accounts')).body.length;
        const r = await cw('POST', '/accounts', body);
        assert.equal(r.status, 422, r.text);
        assert.deepEqual(r.body, { message, attributes });
        assert.equal((await cw('GET', '/accounts')).body.length, before);
      });
    }

    it('joins several messages with ", "', async () => {
      const r = await cw('POST', '/accounts', { locale: 'xx', status: 'gone' });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body, {
        message: "Name can't be blank, Locale is not included in the list, Status is not included in the list",
        attributes: ['name', 'locale', 'status'],
      });
    });

    it('PATCH with bad values changes nothing', async () => {
      const a = (await cw('POST', '/accounts', { name: 'Stable' })).body;
      const r = await cw('PATCH', `/accounts/${a.id}`, { name: '', features: { sla: true, nope: true } });
      assert.equal(r.status, 422);
      assert.deepEqual(r.body.attributes, ['name', 'features']);
      assert.deepEqual((await cw('GET', `/accounts/${a.id}`)).body, a);
    });
  });
});
