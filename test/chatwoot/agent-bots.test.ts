import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { api, createTenant, newApp, type Api } from './helpers.js';
import { servicesOf } from '../fixtures/services.js';

const BOT_KEYS = ['access_token', 'account_id', 'avatar_url', 'description', 'id', 'name', 'outgoing_url'];

forEachStore('Chatwoot agent bots', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let cw: Api;
  let other: Api;
  let accountId: number;

  before(async () => {
    cw = api(srv, (await createTenant(srv, 'acme')).token);
    other = api(srv, (await newApp(srv, 'acme')).token);
    accountId = (await cw('POST', '/accounts', { name: 'Acme' })).body.id;
  });

  for (const [method, path] of [
    ['GET', '/agent_bots'],
    ['POST', '/agent_bots'],
    ['GET', '/agent_bots/1'],
    ['PATCH', '/agent_bots/1'],
    ['PUT', '/agent_bots/1'],
    ['DELETE', '/agent_bots/1'],
  ] as const) {
    it(`${method} ${path} answers 401 without a token and with token "invalid"`, async () => {
      for (const token of [undefined, 'invalid']) {
        const r = await api(srv, token)(method, path, method === 'POST' || method.startsWith('P') ? { name: 'x' } : undefined);
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { error: 'Invalid access_token' });
      }
    });
  }

  it('creates a bot, filling outgoing_url with the URL, and shows its token in every body', async () => {
    const r = await cw('POST', '/agent_bots', {
      name: 'Helper',
      description: 'Answers FAQs',
      outgoing_url: 'https://bot.example.test/hook',
      account_id: accountId,
      avatar_url: 'https://img.example.test/helper.png',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), BOT_KEYS);
    assert.equal(r.body.name, 'Helper');
    assert.equal(r.body.description, 'Answers FAQs');
    assert.equal(r.body.outgoing_url, 'https://bot.example.test/hook');
    assert.equal(r.body.account_id, accountId);
    assert.equal(r.body.avatar_url, 'https://img.example.test/helper.png', 'kept as given, never fetched');
    assert.match(r.body.access_token, /^rbt_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyAgentBotToken(r.body.access_token), r.body.id);
    const shown = await cw('GET', `/agent_bots/${r.body.id}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, r.body);
    const row = await srv.db.kysely.selectFrom('agent_bots').select('access_token_sealed').where('id', '=', r.body.id).executeTakeFirstOrThrow();
    assert.match(row.access_token_sealed!, /^v1\./);
    assert.ok(!row.access_token_sealed!.includes(r.body.access_token.split('.')[1]), 'stored sealed, never in clear');
  });

  it('creates a bot without an account or URL', async () => {
    const r = await cw('POST', '/agent_bots', { name: 'Loose' });
    assert.equal(r.status, 200);
    assert.equal(r.body.account_id, null);
    assert.equal(r.body.outgoing_url, null);
    assert.equal(r.body.description, null);
  });

  it("lists only this app's bots", async () => {
    const mine = (await cw('POST', '/agent_bots', { name: 'Mine' })).body.id;
    const theirs = (await other('POST', '/agent_bots', { name: 'Theirs' })).body.id;
    const ids = (await cw('GET', '/agent_bots')).body.map((b: { id: number }) => b.id);
    assert.ok(ids.includes(mine));
    assert.ok(!ids.includes(theirs));
    for (const b of (await cw('GET', '/agent_bots')).body) assert.match(b.access_token, /^rbt_/);
  });

  it('updates with PATCH and PUT', async () => {
    const b = (await cw('POST', '/agent_bots', { name: 'Old', outgoing_url: 'http://old.test/' })).body;
    const p = await cw('PATCH', `/agent_bots/${b.id}`, { name: 'New', outgoing_url: 'https://new.test/hook', account_id: accountId });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.name, 'New');
    assert.equal(p.body.outgoing_url, 'https://new.test/hook');
    assert.equal(p.body.account_id, accountId);
    assert.equal(p.body.access_token, b.access_token);
    const put = await cw('PUT', `/agent_bots/${b.id}`, { description: 'described', account_id: null });
    assert.equal(put.status, 200);
    assert.equal(put.body.description, 'described');
    assert.equal(put.body.account_id, null);
    assert.equal(put.body.name, 'New');
  });

  it('DELETE /agent_bots/:id/avatar removes the avatar and answers the bot', async () => {
    const b = (await cw('POST', '/agent_bots', { name: 'Avatar', avatar_url: 'https://img.test/a.png' })).body;
    const r = await cw('DELETE', `/agent_bots/${b.id}/avatar`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { ...b, avatar_url: '' });
    const theirs = (await other('POST', '/agent_bots', { name: 'Theirs' })).body;
    assert.equal((await cw('DELETE', `/agent_bots/${theirs.id}/avatar`)).status, 401);
    assert.equal((await api(srv, undefined)('DELETE', `/agent_bots/${b.id}/avatar`)).status, 401);
  });

  it('deletes a bot: 200, empty body, token dead', async () => {
    const b = (await cw('POST', '/agent_bots', { name: 'Gone' })).body;
    const r = await cw('DELETE', `/agent_bots/${b.id}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal((await cw('GET', `/agent_bots/${b.id}`)).status, 404);
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyAgentBotToken(b.access_token), undefined);
  });

  it("answers 401 for another app's bot and 404 for an unknown one", async () => {
    const theirs = (await other('POST', '/agent_bots', { name: 'Theirs' })).body;
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const body = method.startsWith('P') ? { name: 'hijack' } : undefined;
      const foreign = await cw(method, `/agent_bots/${theirs.id}`, body);
      assert.equal(foreign.status, 401);
      assert.deepEqual(foreign.body, { error: 'Non permissible resource' });
      const missing = await cw(method, '/agent_bots/987654', body);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { status: 404, error: 'Not Found' });
    }
    assert.equal((await other('GET', `/agent_bots/${theirs.id}`)).body.name, 'Theirs');
  });

  describe('validation: 422, nothing written', () => {
    const cases: Array<[string, Record<string, unknown>, string, string[]]> = [
      ['no name', {}, "Name can't be blank", ['name']],
      ['a blank name', { name: '' }, "Name can't be blank", ['name']],
      ['a long description', { name: 'x', description: 'd'.repeat(2001) }, 'Description is too long (maximum is 2000 characters)', ['description']],
      ['a javascript: URL', { name: 'x', outgoing_url: 'javascript:alert(1)' }, 'Outgoing url is invalid', ['outgoing_url']],
      ['a relative URL', { name: 'x', outgoing_url: '/hook' }, 'Outgoing url is invalid', ['outgoing_url']],
      ['an unknown account', { name: 'x', account_id: 987654 }, 'Account must exist', ['account']],
      ['a non-numeric account', { name: 'x', account_id: 'abc' }, 'Account must exist', ['account']],
    ];
    for (const [label, body, message, attributes] of cases) {
      it(`POST with ${label}`, async () => {
        const before = (await srv.db.kysely.selectFrom('agent_bots').select('id').execute()).length;
        const r = await cw('POST', '/agent_bots', body);
        assert.equal(r.status, 422, r.text);
        assert.deepEqual(r.body, { message, attributes });
        assert.equal((await srv.db.kysely.selectFrom('agent_bots').select('id').execute()).length, before);
      });
    }

    it("refuses an account of another app (it must be this app's)", async () => {
      const theirs = (await other('POST', '/accounts', { name: 'Theirs' })).body.id;
      const r = await cw('POST', '/agent_bots', { name: 'x', account_id: theirs });
      assert.deepEqual(r.body, { message: 'Account must exist', attributes: ['account'] });
      const b = (await cw('POST', '/agent_bots', { name: 'y' })).body;
      const p = await cw('PATCH', `/agent_bots/${b.id}`, { account_id: theirs });
      assert.equal(p.status, 422);
      assert.equal((await cw('GET', `/agent_bots/${b.id}`)).body.account_id, null);
    });
  });
});
