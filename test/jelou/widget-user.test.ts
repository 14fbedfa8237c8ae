import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { widgetRowsOf } from '../fixtures/widget-rows.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

forEachStore('Jelou POST /v1/widget/user', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let basic: string;
  let raw: string;
  let botId: string;
  let other: string;

  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
    await servicesOf(srv.db).companies.create({ code: 'globex', name: 'Globex' });
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme', botName: 'Acme Bot' });
    botId = c.botId;
    basic = `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;
    raw = `${c.clientId}:${c.clientSecret}`;
    const g = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'globex' });
    other = `${g.clientId}:${g.clientSecret}`;
  });

  const post = (auth: string | undefined, json: unknown, headers: Record<string, string> = {}) =>
    srv.call('POST', '/v1/widget/user', { headers: { ...(auth && { authorization: auth }), ...headers }, json });

  it('creates the user and both rooms, with every documented field', async () => {
    const r = await post(basic, { user: { id: 'u-1', names: 'Tester #1', legalId: '1223334444' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.message, ['User created successfully!']);
    assert.equal(r.body.statusMessage, 'success');
    assert.equal(r.body.status, 1);
    const { User, Room, groupRoom } = r.body.data;
    assert.deepEqual(Object.keys(User).sort(), [
      'botId',
      'companyId',
      'createdAt',
      'databaseId',
      'groupId',
      'groupRoomId',
      'id',
      'legalId',
      'names',
      'providerId',
      'referenceId',
      'roomId',
      'socketId',
      'updatedAt',
    ]);
    assert.equal(User.id, 'u-1');
    assert.equal(User.referenceId, 'u-1');
    assert.equal(User.botId, botId);
    assert.equal(typeof User.companyId, 'number');
    assert.equal(typeof User.databaseId, 'number');
    assert.equal(User.names, 'Tester #1');
    assert.equal(User.legalId, '1223334444');
    assert.equal(User.roomId, Room.id);
    assert.equal(User.groupRoomId, groupRoom.id);
    assert.equal(Room.id, `G:${botId}:u-1`);
    assert.match(User.createdAt, ISO);
    assert.match(User.updatedAt, ISO);
    for (const room of [Room, groupRoom]) {
      assert.equal(room.avatarUrl, 'https://s3.us-west-2.amazonaws.com/cdn.devlabs.tech/default_avatar.jpeg');
      assert.match(room._id, /^[0-9a-f]{24}$/);
      assert.deepEqual(room.members, ['u-1', botId]);
      assert.equal(room.membersInfo.length, 2);
      assert.deepEqual(room.messages, []);
      assert.deepEqual(room.tags, []);
      assert.equal(room.deleted, false);
      assert.equal(room.channel, 'Widget');
      assert.equal(room.channelProvider, 'Widget');
      assert.deepEqual(room.bot, { id: botId, name: 'Acme Bot' });
      assert.deepEqual(room.company, { id: User.companyId, name: 'Acme' });
      assert.equal(room.__v, 0);
      for (const k of ['type', 'kind', 'name']) assert.equal(typeof room[k], 'string');
      for (const k of ['lastMessageAt', 'createdAt', 'updatedAt']) assert.match(room[k], ISO);
    }
    assert.notEqual(Room._id, groupRoom._id);
    assert.equal(groupRoom.id, `GR:${botId}:${User.groupId}`);
  });

  it('returns the same user and rooms on later calls, refreshing names and legal id', async () => {
    const first = (await post(raw, { user: { id: 'u-2', names: 'Ana' } })).body.data;
    const second = await post(raw, { user: { id: 'u-2', names: 'Ana María', legalid: 99 } });
    assert.equal(second.status, 200);
    const d = second.body.data;
    assert.equal(d.User.databaseId, first.User.databaseId);
    assert.equal(d.Room._id, first.Room._id);
    assert.equal(d.groupRoom._id, first.groupRoom._id);
    assert.equal(d.User.createdAt, first.User.createdAt);
    assert.equal(d.User.names, 'Ana María');
    assert.equal(d.User.legalId, '99');
    assert.equal(d.Room.name, 'Ana María');
    const third = (await post(raw, { user: { id: 'u-2', names: 'Ana María' } })).body.data;
    assert.equal(third.User.legalId, '99', 'an omitted legalId keeps the stored one');
  });

  it('keeps tenants apart: the same id under another company is another user', async () => {
    const a = (await post(raw, { user: { id: 'shared', names: 'A' } })).body.data;
    const b = (await post(other, { user: { id: 'shared', names: 'B' } })).body.data;
    assert.notEqual(a.User.databaseId, b.User.databaseId);
    assert.notEqual(a.Room._id, b.Room._id);
    assert.notEqual(a.User.companyId, b.User.companyId);
    assert.equal((await post(raw, { user: { id: 'shared', names: 'A' } })).body.data.User.names, 'A');
  });

  it('creates exactly one user and one pair of rooms for 50 concurrent first calls', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, () => post(basic, { user: { id: 'race-1', names: 'Racer' } })));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    assert.equal(new Set(replies.map((r) => r.body.data.User.databaseId)).size, 1);
    assert.equal(new Set(replies.map((r) => r.body.data.Room._id)).size, 1);
    assert.equal(new Set(replies.map((r) => r.body.data.groupRoom._id)).size, 1);
    assert.deepEqual(await widgetRowsOf(srv.db, ['race-1']), { users: 1, rooms: 2, members: 4 });
  });

  it("creates many new users at once (a group commit on PostgreSQL): each once, with its rooms, members and its own request's event", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    // Each id twice at once: the second of a pair answers with the first's user.
    const replies = await Promise.all([...ids, ...ids].map((id) => post(basic, { user: { id, names: `Name ${id}` } })));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    for (const id of ids) {
      const mine = replies.filter((r) => r.body.data.User.id === id);
      assert.equal(mine.length, 2);
      assert.equal(mine[0]!.body.data.User.databaseId, mine[1]!.body.data.User.databaseId);
      assert.equal(mine[0]!.body.data.Room._id, mine[1]!.body.data.Room._id);
      assert.equal(mine[0]!.body.data.User.names, `Name ${id}`);
    }
    assert.deepEqual(await widgetRowsOf(srv.db, ids), { users: ids.length, rooms: 2 * ids.length, members: 4 * ids.length });
    const events = await srv.db.kysely
      .selectFrom('events')
      .select(['target_id', 'request_id', 'data'])
      .where('type', '=', 'widget_user.created')
      .where('target_id', 'in', ids)
      .execute();
    assert.deepEqual(events.map((e) => e.target_id).sort(), [...ids].sort());
    // Each event carries the request that created its user, not another of its group.
    assert.equal(new Set(events.map((e) => e.request_id)).size, ids.length);
    for (const e of events) assert.equal((JSON.parse(e.data) as { names: string }).names, `Name ${e.target_id}`);
  });

  it("serves user ids that look like another user's groupId, or like the bot id", async () => {
    const a = (await post(raw, { user: { id: 'collide-a', names: 'A' } })).body.data;
    for (const id of [a.User.groupId, a.groupRoom.id, botId, a.Room.id]) {
      const r = await post(raw, { user: { id, names: 'Mallory' } });
      assert.equal(r.status, 200, `${id}: ${r.text}`);
      assert.equal(r.body.data.User.id, id);
      assert.equal((await post(raw, { user: { id, names: 'Mallory' } })).body.data.User.databaseId, r.body.data.User.databaseId);
    }
    assert.equal((await post(raw, { user: { id: 'collide-a', names: 'A' } })).body.data.Room._id, a.Room._id);
  });

  describe('authentication', () => {
    const cases: Array<[string, string | undefined]> = [
      ['no header', undefined],
      ['a bearer token', 'Bearer abc'],
      ['a wrong secret', 'nope:nope'],
      ['Basic garbage', 'Basic !!!'],
      ['Basic without a colon', `Basic ${Buffer.from('justone').toString('base64')}`],
      ['a NUL in the client id', `Basic ${Buffer.from('ab\u0000cd:secret').toString('base64')}`],
      ['a client id of the wrong shape', 'not-hex-at-all:secret'],
    ];
    for (const [name, auth] of cases) {
      it(`answers 401 in Jelou's error format for ${name}`, async () => {
        const r = await post(auth, { user: { id: 'x', names: 'x' } });
        assert.equal(r.status, 401);
        assert.equal(r.body.status, 0);
        assert.equal(r.body.statusMessage, 'failure');
        assert.equal(r.body.error.code, 'unauthorized');
        assert.deepEqual(r.body.validationError, {});
      });
    }

    it('answers 401 with the right client id and a wrong secret', async () => {
      const r = await post(`${raw.split(':')[0]}:wrong`, { user: { id: 'x', names: 'x' } });
      assert.equal(r.status, 401);
    });

    it('answers 401 once the client is revoked', async () => {
      const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
      const auth = `${c.clientId}:${c.clientSecret}`;
      assert.equal((await post(auth, { user: { id: 'rv', names: 'x' } })).status, 200);
      await servicesOf(srv.db).credentials.revoke('widget_client', c.clientId);
      assert.equal((await post(auth, { user: { id: 'rv', names: 'x' } })).status, 401);
    });
  });

  describe('bad input', () => {
    const invalid: Array<[string, unknown, string]> = [
      ['no user', {}, 'user'],
      ['no id', { user: { names: 'x' } }, 'user.id'],
      ['no names', { user: { id: 'x' } }, 'user.names'],
      ['a numeric id', { user: { id: 5, names: 'x' } }, 'user.id'],
      ['an empty id', { user: { id: '', names: 'x' } }, 'user.id'],
      ['an id over 255 characters', { user: { id: 'x'.repeat(256), names: 'x' } }, 'user.id'],
      ['a boolean legalId', { user: { id: 'x', names: 'x', legalId: true } }, 'user.legalId'],
      ['user as a string', { user: 'x' }, 'user'],
      ['an array body', [1, 2], '(body)'],
      ['a NUL in the id', { user: { id: 'a\u0000b', names: 'x' } }, 'user.id'],
      ['a NUL in names', { user: { id: 'nul-names', names: 'x\u0000' } }, 'user.names'],
      ['a NUL in legalId', { user: { id: 'nul-legal', names: 'x', legalId: '1\u00002' } }, 'user.legalId'],
    ];
    for (const [name, body, field] of invalid) {
      it(`answers 400 naming ${field} for ${name}, and writes nothing`, async () => {
        const r = await post(raw, body);
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.status, 0);
        assert.equal(r.body.error.code, 'validation_failed');
        assert.ok(field in r.body.validationError, JSON.stringify(r.body.validationError));
      });
    }

    it('answers 400 to page 001 own curl body (one brace too many)', async () => {
      const r = await srv.call('POST', '/v1/widget/user', {
        headers: { authorization: raw, 'content-type': 'application/json' },
        body: '{\n\t"user": {\n\t\t"id": "11111111111",\n\t\t"names": "Tester #1111",\n\t\t"legalid": "1223334444"\n\t\t}\n\t}\n}',
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'malformed_json');
    });

    it('answers 400 to __proto__ pollution attempts', async () => {
      const r = await srv.call('POST', '/v1/widget/user', {
        headers: { authorization: raw, 'content-type': 'application/json' },
        body: '{"user":{"id":"p","names":"p","__proto__":{"admin":true}}}',
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.status, 0);
    });

    it('answers 400 to deeply nested JSON without falling over', async () => {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      const r = await srv.call('POST', '/v1/widget/user', {
        headers: { authorization: raw, 'content-type': 'application/json' },
        body: `{"user":${deep}}`,
      });
      assert.equal(r.status, 400);
    });

    it('answers 413 to a body over 1 MiB', async () => {
      const r = await post(raw, { user: { id: 'big', names: 'x'.repeat(1024 * 1024) } });
      assert.equal(r.status, 413);
      assert.equal(r.body.error.code, 'payload_too_large');
    });

    it('answers 415 to a body that is not JSON', async () => {
      const r = await srv.call('POST', '/v1/widget/user', { headers: { authorization: raw, 'content-type': 'text/plain' }, body: '{"user":{}}' });
      assert.equal(r.status, 415);
      assert.equal(r.body.error.code, 'unsupported_media_type');
      const form = await srv.call('POST', '/v1/widget/user', {
        headers: { authorization: raw, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user=1',
      });
      assert.equal(form.status, 415);
    });

    it('answers 404 in Jelou format for an unknown route under /v1', async () => {
      const r = await srv.call('GET', '/v1/widget/user', { headers: { authorization: raw } });
      assert.equal(r.status, 404);
      assert.equal(r.body.status, 0);
    });

    it('never answers 500 to hostile input, and always in its own error format', async () => {
      const deep = JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200));
      const values: unknown[] = [
        null,
        true,
        0,
        -1,
        1.5,
        1e308,
        2 ** 63,
        'x'.repeat(300),
        '\u0000',
        'a\u0000b',
        '\ud800',
        '😀'.repeat(200),
        '<script>',
        "'; drop table widget_users; --",
        [],
        [1, 'a'],
        {},
        deep,
        { __proto__: { admin: true } },
      ];
      const failures: string[] = [];
      for (const field of ['id', 'names', 'legalId', 'legalid']) {
        for (const value of values) {
          const r = await post(raw, { user: { id: 'fuzz-target', names: 'Fuzz', [field]: value } });
          const ok = r.status === 200 ? r.body.status === 1 : r.status === 400 && r.body?.status === 0 && typeof r.body.error?.code === 'string';
          if (!ok) failures.push(`${field}=${JSON.stringify(value)?.slice(0, 40)} -> ${r.status} ${r.text.slice(0, 100)}`);
        }
      }
      for (const auth of [
        'Basic ' + 'A'.repeat(10_000),
        'Basic \u00e9',
        'x'.repeat(10_000) + ':y',
        `${raw.split(':')[0]}:${'\u00e9'.repeat(50)}`,
        ':',
        '::::',
      ]) {
        const r = await srv
          .call('POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user: { id: 'x', names: 'x' } } })
          .catch(() => undefined);
        if (r && r.status !== 401) failures.push(`auth ${auth.slice(0, 30)} -> ${r.status}`);
      }
      assert.deepEqual(failures, []);
    });

    it('wrote nothing for any rejected request', async () => {
      const rows = await srv.db.kysely.selectFrom('widget_users').select('reference_id').execute();
      const ids = rows.map((r) => r.reference_id);
      for (const bad of ['x', 'big', 'p', '']) assert.ok(!ids.includes(bad), `unexpected user ${bad}`);
    });
  });
});
