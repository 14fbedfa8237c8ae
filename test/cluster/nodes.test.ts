/**
 * Several roster nodes on one PostgreSQL database behave as one service: two in-process servers
 * and one `roster serve` child process. Skipped without DATABASE_URL_TEST.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../fixtures/cli.js';
import { eventually, fanOut, startCluster, type Cluster } from '../fixtures/cluster.js';
import { SKIP_POSTGRES } from '../fixtures/databases.js';
import { call } from '../fixtures/http.js';
import { servicesOf } from '../fixtures/services.js';
import { widgetRowsOf } from '../fixtures/widget-rows.js';

describe('two roster servers and a roster process on one PostgreSQL database', { skip: SKIP_POSTGRES }, () => {
  let cluster: Cluster;
  let auth: string;
  let botId: string;

  before(async () => {
    // The default credential cache TTL (2 s): revocation must reach every node despite it.
    cluster = await startCluster({ inProcess: 2, processes: 1 });
    await servicesOf(cluster.db).companies.create({ code: 'acme', name: 'Acme' });
    const c = await servicesOf(cluster.db).credentials.createWidgetClient({ companyCode: 'acme' });
    auth = `${c.clientId}:${c.clientSecret}`;
    botId = c.botId;
  });
  after(() => cluster?.stop());

  const post = (nodeUrl: string, json: unknown, authorization = auth) => call(nodeUrl, 'POST', '/v1/widget/user', { headers: { authorization }, json });

  it('has every node ready, one of them a separate process', async () => {
    assert.equal(cluster.nodes.length, 3);
    assert.ok(cluster.nodes.some((n) => n.kind === 'process'));
    for (const n of cluster.nodes) assert.equal((await call(n.url, 'GET', '/readyz')).status, 200, n.name);
  });

  it('creates one user and one pair of rooms for 60 concurrent first calls spread over the nodes', async () => {
    const replies = await fanOut(cluster.nodes, 60, (node) => post(node.url, { user: { id: 'race-x', names: 'Racer' } }));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    for (const key of ['User', 'Room', 'groupRoom'] as const) {
      const ids = new Set(replies.map((r) => (key === 'User' ? r.body.data.User.databaseId : r.body.data[key]._id)));
      assert.equal(ids.size, 1, `one ${key} across every node`);
    }
    assert.deepEqual(await widgetRowsOf(cluster.db, ['race-x'], botId), { users: 1, rooms: 2, members: 4 });
  });

  it('keeps many users apart while each is raced from every node', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `many-${i}`);
    const replies = await Promise.all(
      ids.flatMap((id) =>
        cluster.nodes
          .flatMap((n) => [post(n.url, { user: { id, names: id } }), post(n.url, { user: { id, names: id } })])
          .map((p) => p.then((r) => ({ id, r }))),
      ),
    );
    assert.deepEqual([...new Set(replies.map(({ r }) => r.status))], [200]);
    for (const id of ids) {
      const mine = replies.filter((x) => x.id === id);
      assert.equal(new Set(mine.map(({ r }) => r.body.data.User.databaseId)).size, 1, id);
      assert.equal(mine[0]!.r.body.data.User.id, id);
    }
    const rows = await cluster.db.kysely.selectFrom('widget_users').select('reference_id').where('reference_id', 'like', 'many-%').execute();
    assert.equal(rows.length, ids.length);
  });

  it('stops a client revoked through the CLI on every node within the cache TTL', async () => {
    const c = await servicesOf(cluster.db).credentials.createWidgetClient({ companyCode: 'acme', botName: 'Revoke Bot' });
    const victim = `${c.clientId}:${c.clientSecret}`;
    // Every node has looked the credential up and caches it.
    for (const n of cluster.nodes) assert.equal((await post(n.url, { user: { id: 'rv', names: 'x' } }, victim)).status, 200, n.name);
    const revoke = await runCli(['client', 'revoke', c.clientId, '--json'], { DATABASE_URL: cluster.database.url });
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.deepEqual(JSON.parse(revoke.stdout), { id: c.clientId, revoked: true });
    // CREDENTIAL_CACHE_TTL_MS is 2000: a generous bound, polled, not slept.
    await Promise.all(
      cluster.nodes.map((n) =>
        eventually(`${n.name} refuses the revoked client`, 10_000, async () => (await post(n.url, { user: { id: 'rv', names: 'x' } }, victim)).status === 401),
      ),
    );
    // And it stays refused; the other client is untouched.
    for (const n of cluster.nodes) {
      const r = await post(n.url, { user: { id: 'rv', names: 'x' } }, victim);
      assert.equal(r.status, 401, n.name);
      assert.equal(r.body.error.code, 'unauthorized');
      assert.equal((await post(n.url, { user: { id: 'rv', names: 'x' } })).status, 200, n.name);
    }
  });

  it('leaves one Chatwoot account_user row when POSTs for one membership race over every node', async () => {
    const app = await servicesOf(cluster.db).credentials.createToken('platform_app', { companyCode: 'acme', name: 'Cluster App' });
    const headers = { api_access_token: app.token };
    const first = cluster.nodes[0]!.url;
    const account = await call(first, 'POST', '/platform/api/v1/accounts', { headers, json: { name: 'Cluster Account' } });
    assert.equal(account.status, 200, account.text);
    const user = await call(first, 'POST', '/platform/api/v1/users', {
      headers,
      json: { name: 'Agent', email: 'cluster.agent@example.com', password: 'Tr0ub4dor&3-horse' },
    });
    assert.equal(user.status, 200, user.text);
    const path = `/platform/api/v1/accounts/${account.body.id}/account_users`;
    const replies = await fanOut(cluster.nodes, 30, (node, i) =>
      call(node.url, 'POST', path, { headers, json: { user_id: user.body.id, role: i % 2 ? 'administrator' : 'agent' } }),
    );
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1, 'every node answers the same row');
    const rows = await cluster.db.kysely.selectFrom('account_users').select(['id', 'role']).where('account_id', '=', account.body.id).execute();
    assert.equal(rows.length, 1);
    // Every node sees the same final row.
    for (const n of cluster.nodes) {
      const list = await call(n.url, 'GET', path, { headers });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.map((r: any) => [r.id, r.role]),
        rows.map((r) => [r.id, r.role]),
        n.name,
      );
    }
  });
});
