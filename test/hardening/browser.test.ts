/**
 * Issue 9, point 11: browser callers. Each company lists the web origins allowed to call the
 * widget API (`roster company update --cors-origin`, `--remove-cors-origin`); a preflight is
 * answered for an origin some company allows; an actual request from an origin its credential's
 * company does not allow is a 403 in Jelou's format. Security headers on every response, with
 * /openapi.json and the verify-email page still working.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runCli } from '../fixtures/cli.js';
import { forEachStore } from '../fixtures/databases.js';
import { call, type Reply } from '../fixtures/http.js';
import { startTestServer, type Stoppable, type TestServer } from '../fixtures/server.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';

const roster = (databaseUrl: string, ...args: string[]) => runCli(args, { DATABASE_URL: databaseUrl, ROSTER_SECRET_KEY: TEST_SECRET_KEY });

const SHOP = 'https://shop.acme.test';
const LOCAL = 'http://localhost:8080';
const GLOBEX = 'https://www.globex.test';

forEachStore('point 11: browser callers', (kind) => {
  let srv: TestServer & Stoppable;
  let acme: string;
  let n = 0;

  before(async () => {
    srv = await startTestServer(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
    await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
    await servicesOf(srv.db).companies.create({ code: 'globex', name: 'Globex' });
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
    acme = `${c.clientId}:${c.clientSecret}`;
  });
  after(() => srv.stop());

  const widget = (headers: Record<string, string>) =>
    call(srv.url, 'POST', '/v1/widget/user', { headers: { authorization: acme, ...headers }, json: { user: { id: `b${n++}`, names: 'Browser' } } });
  const preflight = (origin: string) =>
    call(srv.url, 'OPTIONS', '/v1/widget/user', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('keeps each company’s origins with roster company update, repeatable, and removes one', async () => {
    const add = await roster(
      srv.database.url,
      'company',
      'update',
      '--code',
      'acme',
      '--cors-origin',
      'HTTPS://Shop.Acme.test:443/',
      '--cors-origin',
      LOCAL,
      '--json',
    );
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(JSON.parse(add.stdout).corsOrigins, [LOCAL, SHOP]);
    const g = await roster(
      srv.database.url,
      'company',
      'update',
      '--code',
      'globex',
      '--cors-origin',
      GLOBEX,
      '--cors-origin',
      'http://localhost:9000',
      '--json',
    );
    assert.deepEqual(JSON.parse(g.stdout).corsOrigins, ['http://localhost:9000', GLOBEX]);
    const removed = await roster(srv.database.url, 'company', 'update', '--code', 'globex', '--remove-cors-origin', 'http://localhost:9000', '--json');
    assert.deepEqual(JSON.parse(removed.stdout).corsOrigins, [GLOBEX]);
    const list = JSON.parse((await roster(srv.database.url, 'company', 'list', '--json')).stdout);
    assert.deepEqual(
      list.companies.map((c: any) => [c.code, c.corsOrigins]),
      [
        ['acme', [LOCAL, SHOP]],
        ['globex', [GLOBEX]],
      ],
    );
    for (const bad of ['https://shop.acme.test/path', 'null', 'ftp://x.test', 'https://u:p@x.test', '*', 'https://x.test?q=1']) {
      const r = await roster(srv.database.url, 'company', 'update', '--code', 'acme', '--name', 'Renamed', '--cors-origin', bad);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /is not an origin/, bad);
    }
    assert.equal(JSON.parse((await roster(srv.database.url, 'company', 'list', '--json')).stdout).companies[0].name, 'Acme', 'nothing written');
  });

  it('answers a preflight for an origin some company allows, and only then', async () => {
    for (const origin of [SHOP, GLOBEX]) {
      const r = await preflight(origin);
      assert.equal(r.status, 204, `${origin}: ${r.text}`);
      assert.equal(r.headers.get('access-control-allow-origin'), origin);
      assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(r.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
      assert.match(r.headers.get('vary') ?? '', /Origin/);
      assert.equal(r.headers.get('access-control-allow-credentials'), null);
    }
    for (const origin of ['https://evil.test', 'http://localhost:9000', 'null']) {
      const r = await preflight(origin);
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      assert.notEqual(r.status, 204, origin);
    }
  });

  it('holds an actual request to its credential’s company: 403 in Jelou format from another origin', async () => {
    const ok = await widget({ origin: SHOP });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('access-control-allow-origin'), SHOP);
    assert.equal((await widget({ origin: LOCAL })).status, 200);
    assert.equal((await widget({})).status, 200, 'a server without Origin is not a browser');
    for (const origin of [GLOBEX, 'https://evil.test', 'null', 'http://localhost:9000']) {
      const r: Reply = await widget({ origin });
      assert.equal(r.status, 403, `${origin}: ${r.text}`);
      assert.equal(r.body.statusMessage, 'failure');
      assert.equal(r.body.status, 0);
      assert.equal(r.body.error.key, 'ORIGIN_NOT_ALLOWED');
      assert.equal(r.body.error.clientMessages.en, 'Access not allowed.');
    }
    const rows = await srv.db.kysely.selectFrom('widget_users').select('names').execute();
    assert.equal(rows.length, 3, 'the refused requests wrote nothing');
  });

  /** helmet's headers that bind a rendered document: sent with HTML pages, not with JSON answers. */
  const DOCUMENT_ONLY = [
    'cross-origin-opener-policy',
    'origin-agent-cluster',
    'x-dns-prefetch-control',
    'x-download-options',
    'x-permitted-cross-domain-policies',
    'x-xss-protection',
  ];

  it('puts security headers on every response, and /openapi.json and the verify-email page still work', async () => {
    const replies: Array<[string, Reply]> = [
      ['healthz', await call(srv.url, 'GET', '/healthz')],
      ['openapi', await call(srv.url, 'GET', '/openapi.json')],
      ['widget 401', await call(srv.url, 'POST', '/v1/widget/user', { json: {} })],
      ['widget 200', await widget({})],
      ['plazbot 400', await call(srv.url, 'POST', '/api/user/login', { json: {} })],
      ['chatwoot 401', await call(srv.url, 'GET', '/platform/api/v1/accounts')],
      ['404', await call(srv.url, 'GET', '/nowhere')],
      ['verify page', await call(srv.url, 'GET', '/api/user/verify-email?token=nope')],
    ];
    for (const [where, r] of replies) {
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', where);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', where);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', where);
      assert.equal(r.headers.get('cross-origin-resource-policy'), 'same-origin', where);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/, where);
      assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, where);
      assert.equal(r.headers.get('strict-transport-security'), null, `${where}: no HSTS over plain http`);
      // helmet's headers for documents only on the one page here (JSON is never rendered).
      for (const name of DOCUMENT_ONLY) assert.equal(r.headers.has(name), where === 'verify page', `${where}: ${name}`);
    }
    const openapi = replies[1]![1];
    assert.equal(openapi.status, 200);
    assert.equal(openapi.body.openapi, '3.1.0');
    const page = replies[7]![1];
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(
      page.headers.get('content-security-policy'),
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'the page keeps its own policy',
    );
    assert.match(page.text, /<h1>Enlace no válido/);
  });

  it('sends HSTS when the public URL is https', async () => {
    const https = await startTestServer(kind, { PUBLIC_URL: 'https://roster.example.test' });
    try {
      assert.match((await call(https.url, 'GET', '/healthz')).headers.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
    } finally {
      await https.stop();
    }
  });
});
