import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

forEachStore('the event log records a write in its transaction, with who and which request', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  let auth: string;
  let clientId: string;

  before(async () => {
    await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
    clientId = c.clientId;
    auth = `${c.clientId}:${c.clientSecret}`;
  });

  const events = () => srv.db.kysely.selectFrom('events').selectAll().where('type', '=', 'widget_user.created').orderBy('id').execute();

  it('records widget_user.created once for a new user, and nothing for a returning one or a refused write', async () => {
    const post = (id: string) => srv.call('POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user: { id, names: 'Ev Tester' } } });
    assert.equal((await post('ev-1')).status, 200);
    assert.equal((await post('ev-1')).status, 200);
    assert.equal((await post('')).status, 400);
    const rows = await events();
    assert.equal(rows.length, 1);
    const e = rows[0]!;
    assert.equal(e.actor_kind, 'widget_client');
    assert.equal(e.actor_id, clientId);
    assert.ok(e.request_id, 'the request id is kept');
    assert.equal(e.client_ip, '127.0.0.1');
    assert.equal(e.target_kind, 'widget_user');
    assert.equal(e.target_id, 'ev-1');
    const data = JSON.parse(e.data) as Record<string, unknown>;
    assert.equal(data.names, 'Ev Tester');
    assert.ok(!JSON.stringify(data).includes(auth.split(':')[1]!), 'no secret in the event');
  });
});
