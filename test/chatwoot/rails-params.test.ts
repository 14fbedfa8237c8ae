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

  /** A raw multipart body with boundary B: parts as (name, bytes, extra header lines). */
  const raw = (method: string, path: string, contentType: string, body: string | Uint8Array) =>
    srv.call(method, PREFIX + path, { headers: { api_access_token: acme.token, 'content-type': contentType }, body });
  const part = (name: string | Uint8Array, value: string | Uint8Array, headers = '') =>
    Buffer.concat([
      Buffer.from('--B\r\nContent-Disposition: form-data; name="'),
      Buffer.from(name),
      Buffer.from(`"\r\n${headers}\r\n`),
      Buffer.from(value),
      Buffer.from('\r\n'),
    ]);
  const parts = (...p: Buffer[]) => Buffer.concat([...p, Buffer.from('--B--\r\n')]);
  const MP = 'multipart/form-data; boundary=B';
  const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x42, 0x61, 0x64]); // \xff\xfeBad
  const count = async (table: 'accounts' | 'users' | 'agent_bots') =>
    Number(
      (
        await srv.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('answers a malformed multipart body 400 in Chatwoot format on every route that writes, never 500, and writes nothing', async () => {
    const account = (await cw('POST', '/accounts', { name: 'Multipart Target' })).body;
    const user = (await cw('POST', '/users', { name: 'Mp', email: uniqueEmail('mp'), password: GOOD_PASSWORD })).body;
    const bot = (await cw('POST', '/agent_bots', { name: 'Mp Bot' })).body;
    const routes: Array<[string, string]> = [
      ['POST', '/accounts'],
      ['PATCH', `/accounts/${account.id}`],
      ['PUT', `/accounts/${account.id}`],
      ['DELETE', `/accounts/${account.id}`],
      ['POST', `/accounts/${account.id}/account_users`],
      ['DELETE', `/accounts/${account.id}/account_users`],
      ['POST', '/users'],
      ['PATCH', `/users/${user.id}`],
      ['PUT', `/users/${user.id}`],
      ['DELETE', `/users/${user.id}`],
      ['POST', `/users/${user.id}/token`],
      ['POST', '/agent_bots'],
      ['PATCH', `/agent_bots/${bot.id}`],
      ['PUT', `/agent_bots/${bot.id}`],
      ['DELETE', `/agent_bots/${bot.id}`],
      ['DELETE', `/agent_bots/${bot.id}/avatar`],
    ];
    const bodies: Array<[string, string, string | Buffer, RegExp]> = [
      ['no boundary', 'multipart/form-data', 'x', /no boundary/],
      ['cut short', MP, '--B\r\nContent-Disposition: form-data; name="name"\r\n\r\ntrunc', /ends before its closing boundary/],
      ['another boundary', 'multipart/form-data; boundary=Y', parts(part('name', 'Wrong')), /ends before its closing boundary/],
      ['garbage between boundaries', MP, '--B\r\n\x00\x01garbage\r\n--B\r\nnot a header\r\n\r\nx\r\n--B', /ends before its closing boundary/],
      ['headers cut short', MP, '--B\r\nContent-Disposition: form-data; name="name"', /ends before its closing boundary/],
    ];
    const before = { accounts: await count('accounts'), users: await count('users'), agent_bots: await count('agent_bots') };
    for (const [method, path] of routes) {
      for (const [label, contentType, body, message] of bodies) {
        const r = await raw(method, path, contentType, body);
        assert.equal(r.status, 400, `${method} ${path}, ${label}: ${r.text}`);
        assert.equal(r.body.error, 'Bad Request', r.text);
        assert.match(r.body.message, /^The body is not valid multipart\/form-data \(/, r.text);
        assert.match(r.body.message, message, `${label}: ${r.text}`);
      }
    }
    assert.deepEqual({ accounts: await count('accounts'), users: await count('users'), agent_bots: await count('agent_bots') }, before, 'nothing written');
    assert.equal((await cw('GET', `/accounts/${account.id}`)).body.name, 'Multipart Target');
    assert.equal((await cw('GET', `/users/${user.id}`)).body.name, 'Mp');
    assert.equal((await cw('GET', `/agent_bots/${bot.id}`)).body.name, 'Mp Bot');
    // An empty multipart body is no params, as before (and as an empty JSON body).
    const empty = await raw('POST', '/accounts', MP, '');
    assert.equal(empty.status, 422, empty.text);
    assert.deepEqual(empty.body, { message: "Name can't be blank", attributes: ['name'] });
    // A well-formed body still works, with a quoted boundary and parts that are not form-data skipped.
    const ok = await raw(
      'POST',
      '/accounts',
      'multipart/form-data; boundary="B"',
      parts(part('name', 'Quoted'), Buffer.from('--B\r\nContent-Disposition: attachment; name="locale"\r\n\r\nfr\r\n')),
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.name, 'Quoted');
    assert.equal(ok.body.locale, 'en');
  });

  it('refuses multipart bytes that are not UTF-8 (400) and parts in another charset (415) rather than storing U+FFFD or decoding them', async () => {
    const account = (await cw('POST', '/accounts', { name: 'Utf8 Account' })).body;
    const user = (await cw('POST', '/users', { name: 'Utf8 User', email: uniqueEmail('u8'), password: GOOD_PASSWORD })).body;
    const bot = (await cw('POST', '/agent_bots', { name: 'Utf8 Bot' })).body;
    const before = { accounts: await count('accounts'), users: await count('users'), agent_bots: await count('agent_bots') };
    const notUtf8 = { error: 'Bad Request', message: 'The body is not valid UTF-8' };
    for (const [method, path] of [
      ['POST', '/accounts'],
      ['PATCH', `/accounts/${account.id}`],
      ['PATCH', `/users/${user.id}`],
      ['PATCH', `/agent_bots/${bot.id}`],
      ['POST', '/agent_bots'],
    ] as const) {
      const value = await raw(method, path, MP, parts(part('name', NOT_UTF8)));
      assert.equal(value.status, 400, `${method} ${path}: ${value.text}`);
      assert.deepEqual(value.body, notUtf8);
      // Declared UTF-8 changes nothing: still strict.
      const declared = await raw(method, path, MP, parts(part('name', NOT_UTF8, 'Content-Type: text/plain; charset=utf-8\r\n')));
      assert.equal(declared.status, 400, `${method} ${path}: ${declared.text}`);
      assert.deepEqual(declared.body, notUtf8);
      const key = await raw(
        method,
        path,
        MP,
        parts(part('name', 'Ok'), part(Buffer.concat([Buffer.from('custom_attributes['), NOT_UTF8, Buffer.from(']')]), 'v')),
      );
      assert.equal(key.status, 400, `a field name: ${key.text}`);
      assert.deepEqual(key.body, notUtf8);
      const utf16 = await raw(method, path, MP, parts(part('name', Buffer.from('Bad', 'utf16le'), 'Content-Type: text/plain; charset=utf-16le\r\n')));
      assert.equal(utf16.status, 415, `${method} ${path}: ${utf16.text}`);
      assert.deepEqual(utf16.body, { error: 'Unsupported Media Type', message: 'The field name must be UTF-8 or ISO-8859-1 (charset=utf-16le is not read)' });
      const base64 = await raw(method, path, MP, parts(part('name', 'QmFk', 'Content-Transfer-Encoding: base64\r\n')));
      assert.equal(base64.status, 415, `${method} ${path}: ${base64.text}`);
      assert.match(base64.body.message, /^Content-Transfer-Encoding base64 is not decoded/);
    }
    assert.deepEqual({ accounts: await count('accounts'), users: await count('users'), agent_bots: await count('agent_bots') }, before, 'nothing written');
    assert.equal((await cw('GET', `/accounts/${account.id}`)).body.name, 'Utf8 Account');
    assert.equal((await cw('GET', `/users/${user.id}`)).body.name, 'Utf8 User');
    assert.equal((await cw('GET', `/agent_bots/${bot.id}`)).body.name, 'Utf8 Bot');
    // UTF-8, declared or not, is read as sent: multi-byte characters, keys and all.
    const ok = await raw(
      'PATCH',
      `/accounts/${account.id}`,
      MP,
      parts(part('name', 'José ☃ 😀', 'Content-Type: text/plain; charset="UTF-8"\r\n'), part('custom_attributes[clé]', 'ü')),
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.name, 'José ☃ 😀');
    assert.deepEqual(ok.body.custom_attributes, { clé: 'ü' });
  });

  it('bounds the fields of a multipart body: 1 MiB in all (413), 1,000 fields (422)', async () => {
    const before = await count('accounts');
    const big = await raw('POST', '/accounts', MP, parts(part('name', 'Big'), part('domain', 'x'.repeat(1024 * 1024))));
    assert.equal(big.status, 413, big.text);
    assert.equal(big.body.error, 'Payload Too Large');
    const many = await raw('POST', '/accounts', MP, parts(part('name', 'Many'), ...Array.from({ length: 1000 }, (_, i) => part(`k${i}`, '1'))));
    assert.equal(many.status, 422, many.text);
    assert.match(many.body.message, /too many parameters/);
    assert.equal(await count('accounts'), before);
  });

  it('refuses broken %-escapes in form bodies and query strings (400, as Rails) instead of storing them as text', async () => {
    const before = await count('accounts');
    const account = (await cw('POST', '/accounts', { name: 'Escapes' })).body;
    for (const bad of ['%FF%FEBad', '%ED%A0%80', '%E0%A4%A', '%C0%AF', '100%', '%zz']) {
      const body = await form('POST', '/accounts', `name=${bad}`);
      assert.equal(body.status, 400, `${bad}: ${body.text}`);
      assert.equal(body.body.error, 'Bad Request');
      assert.match(body.body.message, /^The body has an invalid %-encoding/);
      const key = await form('PATCH', `/accounts/${account.id}`, `custom_attributes[${bad}]=1`);
      assert.equal(key.status, 400, `key ${bad}: ${key.text}`);
      const query = await cw('POST', `/accounts?name=${bad}`);
      assert.equal(query.status, 400, `query ${bad}: ${query.text}`);
      assert.match(query.body.message, /^The query string has an invalid %-encoding/);
      const read = await cw('GET', `/accounts/${account.id}?x=${bad}`);
      assert.equal(read.status, 400, `GET query ${bad}: ${read.text}`);
      const multipartQuery = await raw('PATCH', `/accounts/${account.id}?name=${bad}`, MP, parts(part('locale', 'fr')));
      assert.equal(multipartQuery.status, 400, `multipart + query ${bad}: ${multipartQuery.text}`);
    }
    assert.equal(await count('accounts'), before + 1, 'only the account made for the test');
    const kept = (await cw('GET', `/accounts/${account.id}`)).body;
    assert.equal(kept.name, 'Escapes');
    assert.deepEqual(kept.custom_attributes, {});
    assert.equal(kept.locale, 'en');
    // Good escapes still decode: UTF-8, `+` as a space, `%2B` as a plus, `%25` as a percent sign.
    const good = await form('PATCH', `/accounts/${account.id}?locale=fr`, 'name=Jos%C3%A9+A%2BB+100%25');
    assert.equal(good.status, 200, good.text);
    assert.equal(good.body.name, 'José A+B 100%');
    assert.equal(good.body.locale, 'fr');
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
