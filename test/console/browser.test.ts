/**
 * The console in a real browser (Debian's chromium through playwright-core) against the real
 * server: an operator logs in, creates a company and a Jelou client and reads its secret once, sees
 * a widget user made through the Jelou API, revokes the client (the API then answers 401),
 * deactivates a Plazbot user (the Plazbot login then refuses them) and reads all of it in the audit
 * page. Skipped, saying so, only where /usr/bin/chromium is missing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI } from '../../src/events/types.js';
import { withServer } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

const EMAIL = 'operator@example.com';
const PASSWORD = 'correct staple 42 battery';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: the browser tests of the console are skipped`;
if (skip) console.log(`# ${skip}`);

describe('admin console in a browser', { skip }, () => {
  const srv = withServer('sqlite', { CREDENTIAL_CACHE_TTL_MS: '0', LOGIN_MAX_FAILURES_PER_IP: '1000' });
  let browser: Browser;
  let page: Page;
  const cspErrors: string[] = [];
  let clientId = '';
  let clientSecret = '';

  before(async () => {
    await servicesOf(srv.db).operators.create({ email: EMAIL, password: PASSWORD }, CLI);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await (await browser.newContext()).newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    // The revoke and deactivate buttons ask first (console.js): the operator says yes.
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
  });

  const widgetUser = (auth: string, id: string, names: string) =>
    srv.call('POST', '/v1/widget/user', { headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` }, json: { user: { id, names } } });

  it('logs in through the login form', async () => {
    await page.goto(`${srv.url}/admin`);
    assert.match(page.url(), /\/admin\/login$/);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    assert.match(await page.locator('main').innerText(), /database\s+ok/);
  });

  it('creates a company and a Jelou client, and shows the secret once', async () => {
    await page.getByRole('link', { name: 'Companies' }).click();
    await page.getByLabel('Code').fill('shop');
    await page.getByLabel('Name', { exact: true }).fill('The Shop');
    await page.getByRole('button', { name: 'Create company' }).click();
    await page.getByRole('heading', { level: 1, name: 'Company shop' }).waitFor();

    await page.getByLabel('Bot name (optional)').fill('Shop Bot');
    await page.getByRole('button', { name: /New Jelou widget API client/ }).click();
    clientId = (await page.locator('#secret-0').innerText()).trim();
    clientSecret = (await page.locator('#secret-1').innerText()).trim();
    assert.match(clientId, /^[0-9a-f]{16}$/);
    assert.ok(clientSecret.length >= 20);
    // The copy button is shown by console.js, which the console's CSP lets run.
    assert.equal(await page.getByRole('button', { name: 'Copy' }).first().isVisible(), true);

    await page.goto(`${srv.url}/admin/companies/shop`);
    const again = await page.content();
    assert.ok(again.includes(clientId), 'the client is listed');
    assert.ok(!again.includes(clientSecret), 'the secret is not shown again');
  });

  it('shows a widget user created through the Jelou API, with their rooms', async () => {
    const r = await widgetUser(`${clientId}:${clientSecret}`, 'ext-42', 'Ada Lovelace');
    assert.equal(r.status, 200, r.text);
    await page.getByRole('link', { name: 'Widget users' }).click();
    await page.getByLabel('External id or name').fill('nobody-like-this');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No widget users found.').waitFor();
    // Typing is enough with htmx (served by roster, allowed by the CSP): the results follow it.
    await page.getByLabel('External id or name').fill('lovelace');
    await page.getByRole('link', { name: 'ext-42' }).waitFor();
    assert.match(page.url(), /[?&]q=lovelace/);
    await page.getByRole('link', { name: 'ext-42' }).click();
    await page.getByRole('heading', { level: 1, name: 'Widget user ext-42' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /Ada Lovelace/);
    assert.match(text, /personal/);
    assert.match(text, /group/);
  });

  it('revokes the client, and the Jelou API refuses it (401)', async () => {
    await page.goto(`${srv.url}/admin/companies/shop`);
    await page.getByRole('button', { name: `Revoke ${clientId}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Revoked ${clientId}` })
      .waitFor();
    const r = await widgetUser(`${clientId}:${clientSecret}`, 'ext-43', 'Grace Hopper');
    assert.equal(r.status, 401);
  });

  it('deactivates a user made through the Plazbot API, and the Plazbot login refuses them', async () => {
    const { token } = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'shop' });
    const created = await srv.call('POST', '/api/user', {
      headers: { authorization: `Bearer ${token}` },
      json: { name: 'Linus', lastName: 'Torvalds', email: 'linus@example.com', password: 'a good user password', company: 'shop' },
    });
    assert.equal(created.status, 200, created.text);
    const login = () => srv.call('POST', '/api/user/login', { json: { email: 'linus@example.com', password: 'a good user password' } });
    assert.equal((await login()).status, 200);

    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('Email or name').fill('torvalds');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'linus@example.com' }).click();
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('status').filter({ hasText: 'Deactivated' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Active\s+no/);

    const refused = await login();
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errorCode, 'USER_DEACTIVATED');
  });

  it('logs in and out with the keyboard alone', async () => {
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${srv.url}/admin/login`);
    await other.keyboard.press('Tab');
    assert.equal(await other.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
    await other.keyboard.press('Tab');
    assert.equal(await other.evaluate(() => document.activeElement?.id), 'email');
    await other.keyboard.type(EMAIL);
    await other.keyboard.press('Tab');
    await other.keyboard.type(PASSWORD);
    await other.keyboard.press('Enter');
    await other.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await other.getByRole('button', { name: 'Log out' }).focus();
    await other.keyboard.press('Enter');
    await other.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await other.context().close();
  });

  it('reads those actions, by the operator, in the audit page', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Actor kind').selectOption('operator');
    await page.getByRole('button', { name: 'Filter' }).click();
    const text = await page.locator('tbody').innerText();
    for (const type of ['company.created', 'credential.created', 'credential.revoked', 'user.deactivated'])
      assert.match(text, new RegExp(type.replace('.', '\\.')));
    // Newest first: the deactivation is above the company's creation.
    assert.ok(text.indexOf('user.deactivated') < text.indexOf('company.created'));
    assert.doesNotMatch(text, /widget_user\.created/, 'the filter keeps only the operator');
    assert.deepEqual(cspErrors, [], 'no page broke its Content-Security-Policy');
  });
});
