/** The console over HTTP: login and logout, session expiry, cookie flags, CSRF on every form, its CSP, ADMIN_CONSOLE=false. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { CLI } from '../../src/events/types.js';
import { ConsoleClient } from './browser-session.js';

const EMAIL = 'ops@example.com';
const PASSWORD = 'a long operator password';

forEachStore('admin console over HTTP', (kind) => {
  const srv = withApp(kind);
  before(async () => {
    await servicesOf(srv.db).operators.create({ email: EMAIL, password: PASSWORD }, CLI);
  });

  it('sends an unsigned-in browser to the login page, and logs in with HttpOnly, SameSite=Strict cookies on /admin (not Secure over http)', async () => {
    const c = new ConsoleClient(() => srv.call);
    const home = await c.get('/admin');
    assert.equal(home.status, 303);
    assert.equal(home.headers.get('location'), '/admin/login');
    const login = await c.get('/admin/login');
    assert.equal(login.status, 200);
    assert.match(login.text, /<label for="email">Email<\/label>/);
    const csrfCookie = c.cookies.get('roster_admin_csrf');
    assert.ok(csrfCookie?.value, 'the CSRF secret cookie is set');
    assert.match(csrfCookie.attributes, /HttpOnly/i);
    assert.match(csrfCookie.attributes, /SameSite=Strict/i);
    assert.match(csrfCookie.attributes, /Path=\/admin/i);

    const bad = await c.post('/admin/login', { email: EMAIL, password: 'not the password' });
    assert.equal(bad.status, 401);
    assert.match(bad.text, /Invalid email or password/);
    assert.equal(c.cookies.get('roster_admin'), undefined);

    const ok = await c.post('/admin/login', { email: EMAIL, password: PASSWORD });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/admin');
    const session = c.cookies.get('roster_admin');
    assert.match(session?.value ?? '', /^ros_/);
    assert.match(session!.attributes, /HttpOnly/i);
    assert.match(session!.attributes, /SameSite=Strict/i);
    assert.match(session!.attributes, /Path=\/admin/i);
    assert.doesNotMatch(session!.attributes, /Secure/i);
    const row = await srv.db.kysely.selectFrom('operator_sessions').selectAll().execute();
    assert.ok(row.length >= 1);
    assert.ok(!JSON.stringify(row).includes(session!.value), 'the session token is stored only as its digest');

    const page = await c.get('/admin');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Home<\/h1>/);
    assert.match(page.text, /database/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    // A page a browser renders keeps helmet's headers for documents (JSON answers leave them out).
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('x-permitted-cross-domain-policies'), 'none');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const css = await c.get('/admin/assets/pico.min.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    const htmx = await c.get('/admin/assets/htmx.min.js');
    assert.equal(htmx.status, 200);
    assert.match(htmx.text, /htmx/);
  });

  it('refuses a form post without a CSRF token or with a wrong one (403, nothing written), and accepts the page token', async () => {
    const c = new ConsoleClient(() => srv.call);
    await c.login(EMAIL, PASSWORD);
    await c.get('/admin/companies');
    const count = async () => (await srv.db.kysely.selectFrom('companies').select('code').where('code', '=', 'csrf-co').execute()).length;

    const none = await c.post('/admin/companies', { _csrf: null, code: 'csrf-co', name: 'CSRF' });
    assert.equal(none.status, 403);
    assert.match(none.text, /did not come from the console/);
    const wrong = await c.post('/admin/companies', { _csrf: 'x'.repeat(40), code: 'csrf-co', name: 'CSRF' });
    assert.equal(wrong.status, 403);
    // A token of another browser (its own secret cookie) is wrong here too.
    const other = new ConsoleClient(() => srv.call);
    await other.get('/admin/login');
    const foreign = await c.post('/admin/companies', { _csrf: other.csrf, code: 'csrf-co', name: 'CSRF' });
    assert.equal(foreign.status, 403);
    assert.equal(await count(), 0);

    await c.get('/admin/companies');
    const ok = await c.post('/admin/companies', { code: 'csrf-co', name: 'CSRF' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/admin/companies/csrf-co');
    assert.equal(await count(), 1);
    const events = await srv.db.kysely.selectFrom('events').selectAll().where('type', '=', 'company.created').where('target_id', '=', 'csrf-co').execute();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actor_kind, 'operator');
  });

  it('refuses the login form without its CSRF token', async () => {
    const c = new ConsoleClient(() => srv.call);
    await c.get('/admin/login');
    const r = await c.post('/admin/login', { _csrf: null, email: EMAIL, password: PASSWORD });
    assert.equal(r.status, 403);
    assert.equal(c.cookies.get('roster_admin'), undefined);
  });

  it('ends the session on logout and when it expires', async () => {
    const c = new ConsoleClient(() => srv.call);
    await c.login(EMAIL, PASSWORD);
    const token = c.cookies.get('roster_admin')!.value;
    await c.get('/admin');
    const out = await c.post('/admin/logout');
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/admin/login');
    assert.equal(c.cookies.get('roster_admin')?.value, '', 'the cookie is cleared');
    const replay = await srv.call('GET', '/admin', { headers: { cookie: `roster_admin=${token}` } });
    assert.equal(replay.status, 303, 'the old token no longer signs in');

    const d = new ConsoleClient(() => srv.call);
    await d.login(EMAIL, PASSWORD);
    assert.equal((await d.get('/admin')).status, 200);
    await srv.db.kysely.updateTable('operator_sessions').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    const expired = await d.get('/admin');
    assert.equal(expired.status, 303);
    assert.equal(expired.headers.get('location'), '/admin/login');
  });

  it('answers a signed-out form post with the login page (401), writing nothing', async () => {
    const c = new ConsoleClient(() => srv.call);
    await c.get('/admin/login');
    const r = await c.post('/admin/companies', { code: 'anon-co', name: 'Anon' });
    assert.equal(r.status, 401);
    assert.equal((await srv.db.kysely.selectFrom('companies').select('id').where('code', '=', 'anon-co').execute()).length, 0);
  });
});

forEachStore('admin console behind a trusted proxy', (kind) => {
  const trusted = withApp(kind, { TRUST_PROXY: '1' });
  const untrusted = withApp(kind);
  before(async () => {
    await servicesOf(trusted.db).operators.create({ email: EMAIL, password: PASSWORD }, CLI);
    await servicesOf(untrusted.db).operators.create({ email: EMAIL, password: PASSWORD }, CLI);
  });

  it('sets Secure cookies when a trusted proxy says the browser came over https', async () => {
    const c = new ConsoleClient(() => trusted.call, { 'x-forwarded-proto': 'https' });
    assert.equal((await c.login(EMAIL, PASSWORD)).status, 303);
    assert.match(c.cookies.get('roster_admin')!.attributes, /Secure/i);
    assert.match(c.cookies.get('roster_admin_csrf')!.attributes, /Secure/i);
  });

  it('does not believe X-Forwarded-Proto from an untrusted peer', async () => {
    const c = new ConsoleClient(() => untrusted.call, { 'x-forwarded-proto': 'https' });
    assert.equal((await c.login(EMAIL, PASSWORD)).status, 303);
    assert.doesNotMatch(c.cookies.get('roster_admin')!.attributes, /Secure/i);
  });
});

describe('ADMIN_CONSOLE=false', () => {
  const srv = withApp('sqlite', { ADMIN_CONSOLE: 'false' });
  it('serves nothing at /admin', async () => {
    assert.equal((await srv.call('GET', '/admin/login')).status, 404);
    assert.equal((await srv.call('GET', '/admin/assets/pico.min.css')).status, 404);
  });
});
