// Screenshots of the admin console's main pages for docs/console.md (npm run console:screenshots).
/* global fetch */
// Starts roster on a throwaway SQLite database, fills it through the APIs and the console, and
// drives Debian's chromium (playwright-core) over the pages; writes docs/console/*.png.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { loadConfig } from '../dist/src/config.js';
import { start } from '../dist/src/main.js';
import { CLI } from '../dist/src/events/types.js';

const OUT = 'docs/console';
const EMAIL = 'ops@example.com';
const PASSWORD = 'screenshot operator pass';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

const dir = mkdtempSync(join(tmpdir(), 'roster-shots-'));
const config = loadConfig({
  DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`,
  PORT: '0',
  LOG_LEVEL: 'silent',
  SEED_DEMO: 'false',
  ROSTER_SECRET_KEY: randomBytes(32).toString('base64'),
});
const running = await start(config);
const { services: s, url } = running;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
try {
  await s.operators.create({ email: EMAIL, password: PASSWORD }, CLI);
  await s.companies.create({ code: 'wabotify', name: 'Wabotify' }, CLI);
  await s.companies.create({ code: 'globex', name: 'Globex Corporation', requireEmailVerification: true }, CLI);
  const client = await s.credentials.createWidgetClient({ companyCode: 'wabotify', botName: 'Support Bot' }, CLI);
  const token = (await s.credentials.createToken('api_token', { companyCode: 'wabotify', name: 'backoffice' }, CLI)).token;
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  for (const [id, names] of [
    ['cust-1001', 'Ada Lovelace'],
    ['cust-1002', 'Alan Turing'],
    ['cust-1003', 'Grace Hopper'],
  ]) {
    await fetch(`${url}/v1/widget/user`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id, names } }),
    });
  }
  for (const [name, lastName, email] of [
    ['Linus', 'Torvalds', 'linus@example.com'],
    ['Margaret', 'Hamilton', 'margaret@example.com'],
  ]) {
    await fetch(`${url}/api/user`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, lastName, email, password: 'a good user password', company: 'wabotify' }),
    });
  }

  mkdirSync(OUT, { recursive: true });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  page.on('dialog', (d) => void d.accept());
  const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

  await page.goto(`${url}/admin/login`);
  await page.getByLabel('Email').fill(EMAIL);
  await shot('login');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await shot('home');
  await page.goto(`${url}/admin/companies`);
  await shot('companies');
  await page.goto(`${url}/admin/companies/wabotify`);
  await page.getByLabel('Bot name (optional)').fill('Sales Bot');
  await page.getByRole('button', { name: /New Jelou widget API client/ }).click();
  await page.locator('#secret-1').waitFor();
  // The page shows the real secret once; the picture in the repository does not.
  await page.locator('#secret-1').evaluate((el) => {
    el.textContent = `${el.textContent.slice(0, 4)}… (hidden in this screenshot)`;
  });
  await shot('company');
  await page.goto(`${url}/admin/users?q=example.com`);
  await shot('users');
  await page.getByRole('link', { name: 'linus@example.com' }).click();
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('status').waitFor();
  await shot('user');
  await page.goto(`${url}/admin/widget-users`);
  await shot('widget-users');
  await page.goto(`${url}/admin/audit`);
  await shot('audit');
  console.log(`screenshots written to ${OUT}/`);
} finally {
  await browser.close();
  await running.close();
  rmSync(dir, { recursive: true, force: true });
}
