/**
 * Rails params on the Chatwoot routes: form and multipart bodies, the query string merged in (path
 * over body over query), nested keys; avatars uploaded as multipart files and served back.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withServer } from '../fixtures/server.js';
import { api, createTenant, GOOD_PASSWORD, PREFIX, uniqueEmail, type Api, type Tenant } from './helpers.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const GIF = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(32, 2)]);
const WEBP = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.alloc(4), Buffer.from('WEBPVP8 ', 'latin1'), Buffer.alloc(32, 3)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32, 4)]);
const MAX = 4096;

forEachStore('Chatwoot Rails params and avatars', (kind) => {
  const srv = withServer(kind, { AVATAR_MAX_BYTES: String(MAX), PUBLIC_URL: 'https://roster.example.test' });
  let acme: Tenant;
  let cw: Api;

  before(async () => {
    acme = await createTenant(srv, 'rails');
    cw = api(srv, acme.token);
  });

  const form = (method: string, path: string, body: string) =>
    srv.call(method, PREFIX + path, { headers: { api_access_token: acme.token, 'content-type': 'application/x-www-form-urlencoded' }, body });

  const multipart = async (method: string, path: string, fields: Record<string, string | Blob>) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v === 'string') fd.append(k, v);
      else fd.append(k, v, 'avatar.bin');
    }
    const res = await fetch(srv.url + PREFIX + path, { method, headers: { api_access_token: acme.token }, body: fd });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  it('reads a form body with nested keys and arrays (limits[agents]=5, features[campaigns]=false)', async () => {
    const r = await form(
      'POST',
      '/accounts',
      'name=Form%20Co&locale=es&limits[agents]=5&features[campaigns]=false&features[saml]=true&custom_attributes[tags][]=a&custom_attributes[tags][]=b',
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'Form Co');
    assert.equal(r.body.locale, 'es');
    assert.deepEqual(r.body.limits, { agents: 5 }, 'a whole number sent as text is kept as a number');
    assert.equal('campaigns' in r.body.features, false);
    assert.equal(r.body.features.saml, true);
    assert.deepEqual(r.body.custom_attributes, { tags: ['a', 'b'] });
  });

  it('merges the query string in: POST /accounts?name=X with no body creates the account', async () => {
    const r = await cw('POST', '/accounts?name=From%20Query&limits[agents]=2');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, 'From Query');
    assert.deepEqual(r.body.limits, { agents: 2 });
  });

  it('path over body over query', async () => {
    const a = (await cw('POST', '/accounts', { name: 'Precedence' })).body;
    const r = await cw('PATCH', `/accounts/${a.id}?name=Query&id=999999&locale=fr`, { name: 'Body', id: 888888 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.id, a.id, 'the path names the record');
    assert.equal(r.body.name, 'Body', 'the body wins over the query');
    assert.equal(r.body.locale, 'fr', 'the query fills in what the body does not send');
    const u = (await cw('POST', '/users', { name: 'Q', email: uniqueEmail('q'), password: GOOD_PASSWORD })).body;
    const member = await form('POST', `/accounts/${a.id}/account_users?role=agent`, `user_id=${u.id}&role=1`);
    assert.equal(member.status, 200, member.text);
    assert.equal(member.body.role, 'administrator', "the form's enum integer, over the query");
    const gone = await cw('DELETE', `/accounts/${a.id}/account_users?user_id=${u.id}`);
    assert.equal(gone.status, 200);
    assert.deepEqual((await cw('GET', `/accounts/${a.id}/account_users`)).body, []);
  });

  it('answers bad form bodies in Chatwoot format, never 500', async () => {
    const deep = await form('POST', '/accounts', `name=x&${'a'.repeat(1)}${'[b]'.repeat(40)}=1`);
    assert.equal(deep.status, 422, deep.text);
    assert.match(deep.body.message, /nested too deeply/);
    const many = await form('POST', '/accounts', Array.from({ length: 1100 }, (_, i) => `k${i}=1`).join('&'));
    assert.equal(many.status, 422, many.text);
    assert.match(many.body.message, /too many parameters/);
    const latin1 = await srv.call('POST', `${PREFIX}/accounts`, {
      headers: { api_access_token: acme.token, 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
      body: 'name=x',
    });
    assert.equal(latin1.status, 415, latin1.text);
    const badNumber = await form('POST', '/accounts', 'name=x&limits[agents]=many');
    assert.equal(badNumber.status, 422);
    const proto = await form('POST', '/accounts', 'name=Proto&__proto__[admin]=1&constructor[prototype][x]=1');
    assert.equal(proto.status, 200, proto.text);
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'nothing reached Object.prototype');
    const plazbot = await srv.call('POST', '/api/user', {
      headers: { authorization: 'Bearer x', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    assert.notEqual(plazbot.status, 200, 'other APIs read no form bodies');
    assert.ok(plazbot.status < 500);
  });

  it('stores an uploaded avatar, checked by content, served at the URL avatar_url shows; DELETE removes it', async () => {
    const created = await multipart('POST', '/agent_bots', { name: 'Pictured', avatar: new Blob([PNG], { type: 'text/plain' }) });
    assert.equal(created.status, 200, created.text);
    const url = new URL(created.body.avatar_url);
    assert.equal(url.origin, 'https://roster.example.test');
    assert.match(url.pathname, /^\/platform\/api\/v1\/avatars\/[0-9a-f]{32}$/);
    const image = await fetch(srv.url + url.pathname);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png', 'the type by content, not as declared');
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.match(image.headers.get('cache-control')!, /immutable/);
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), PNG);
    assert.equal((await cw('GET', `/agent_bots/${created.body.id}`)).body.avatar_url, created.body.avatar_url);

    for (const [label, data, type] of [
      ['gif', GIF, 'image/gif'],
      ['webp', WEBP, 'image/webp'],
      ['jpeg', JPEG, 'image/jpeg'],
    ] as const) {
      const r = await multipart('PATCH', `/agent_bots/${created.body.id}`, { avatar: new Blob([data]) });
      assert.equal(r.status, 200, `${label}: ${r.text}`);
      assert.notEqual(r.body.avatar_url, created.body.avatar_url, 'a new upload, a new URL');
      assert.equal((await fetch(srv.url + new URL(r.body.avatar_url).pathname)).headers.get('content-type'), type);
    }
    assert.equal((await fetch(srv.url + url.pathname)).status, 404, 'the replaced image is gone');

    const removed = await cw('DELETE', `/agent_bots/${created.body.id}/avatar`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.avatar_url, '');
    const rows = await srv.db.kysely.selectFrom('avatars').select('id').where('agent_bot_id', '=', created.body.id).execute();
    assert.deepEqual(rows, []);
    const events = await srv.db.kysely
      .selectFrom('events')
      .select('type')
      .where('target_kind', '=', 'agent_bot')
      .where('target_id', '=', String(created.body.id))
      .execute();
    assert.deepEqual(
      events.map((e) => e.type),
      ['agent_bot.created', 'agent_bot.updated', 'agent_bot.updated', 'agent_bot.updated', 'agent_bot.updated'],
    );
  });

  it("refuses an avatar that is not an image or is over AVATAR_MAX_BYTES, and writes nothing; a user's avatar too", async () => {
    const svg = await multipart('POST', '/agent_bots', { name: 'Svg', avatar: new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: 'image/png' }) });
    assert.equal(svg.status, 422, svg.text);
    assert.deepEqual(svg.body, { message: 'Avatar must be a PNG, JPEG, GIF or WebP image', attributes: ['avatar'] });
    const big = await multipart('POST', '/agent_bots', { name: 'Big', avatar: new Blob([Buffer.concat([PNG, Buffer.alloc(MAX)])]) });
    assert.equal(big.status, 422, big.text);
    assert.deepEqual(big.body, { message: `Avatar is too big (maximum is ${MAX} bytes)`, attributes: ['avatar'] });
    assert.equal((await srv.db.kysely.selectFrom('agent_bots').select('id').where('name', 'in', ['Svg', 'Big']).execute()).length, 0);

    const email = uniqueEmail('pic');
    const user = await multipart('POST', '/users', { name: 'Pic', email, password: GOOD_PASSWORD, avatar: new Blob([GIF]) });
    assert.equal(user.status, 200, user.text);
    assert.match(user.body.avatar_url, /\/avatars\/[0-9a-f]{32}$/);
    const byUrl = await cw('PATCH', `/users/${user.body.id}`, { avatar_url: 'https://img.example.test/u.png' });
    assert.equal(byUrl.body.avatar_url, user.body.avatar_url, 'an uploaded image is shown over a URL');
    const plain = (
      await cw('POST', '/users', { name: 'Url', email: uniqueEmail('url'), password: GOOD_PASSWORD, avatar_url: 'https://img.example.test/v.png' })
    ).body;
    assert.equal(plain.avatar_url, 'https://img.example.test/v.png', 'kept as given, never fetched');
    const bad = await cw('POST', '/users', { name: 'Bad', email: uniqueEmail('bad'), password: GOOD_PASSWORD, avatar_url: 'javascript:alert(1)' });
    assert.equal(bad.status, 422);
    assert.equal((await fetch(`${srv.url}${PREFIX}/avatars/${'0'.repeat(32)}`)).status, 404);
    assert.equal((await fetch(`${srv.url}${PREFIX}/avatars/nope`)).status, 404);
  });
});
