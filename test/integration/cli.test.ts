/** The `roster` CLI's verbs, run as child processes on a database of each store. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CLI } from '../fixtures/cli.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';

const run = promisify(execFile);

async function roster(databaseUrl: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: databaseUrl } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs a verb with --json and parses its single line of output. */
async function json(url: string, ...args: string[]): Promise<any> {
  const r = await roster(url, ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON object expected, got: ${r.stdout}`);
  return JSON.parse(lines[0]!);
}

forEachStore('roster CLI', (kind) => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase(kind);
  });
  after(() => db.drop());

  it('migrates, and says so once', async () => {
    assert.ok((await json(db.url, 'migrate')).applied.length > 0);
    assert.deepEqual((await json(db.url, 'migrate')).applied, []);
  });

  it('creates, lists and updates companies', async () => {
    const c = await json(db.url, 'company', 'create', '--code', 'Wabotify', '--name', 'Wabotify');
    assert.deepEqual(Object.keys(c).sort(), ['code', 'id', 'name']);
    assert.equal(c.code, 'wabotify');
    assert.equal(typeof c.id, 'number');
    const list = await json(db.url, 'company', 'list');
    assert.deepEqual(
      list.companies.map((x: any) => x.code),
      ['wabotify'],
    );
    const u = await json(db.url, 'company', 'update', '--code', 'wabotify', '--name', 'Wabotify LATAM', '--require-email-verification');
    assert.equal(u.name, 'Wabotify LATAM');
    assert.equal(u.requireEmailVerification, true);
  });

  it('explains a duplicate code, an unknown company, a bad code and a bad flag on stderr', async () => {
    const dup = await roster(db.url, 'company', 'create', '--code', 'wabotify', '--name', 'x', '--json');
    assert.notEqual(dup.code, 0);
    assert.equal(dup.stdout, '');
    assert.match(dup.stderr, /already exists/);
    const unknown = await roster(db.url, 'client', 'create', '--company', 'nope', '--json');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no company with code "nope"/);
    const badCode = await roster(db.url, 'company', 'create', '--code', 'has space', '--name', 'x');
    assert.notEqual(badCode.code, 0);
    assert.match(badCode.stderr, /company code/);
    const flag = await roster(db.url, 'company', 'create', '--code', 'x', '--name', 'x', '--colour', 'red');
    assert.notEqual(flag.code, 0);
    assert.match(flag.stderr, /unknown option '--colour'/);
    const missing = await roster(db.url, 'company', 'create', '--name', 'x');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--code/);
  });

  it('creates, lists and revokes widget clients, tokens and platform apps; secrets are shown once', async () => {
    const client = await json(db.url, 'client', 'create', '--company', 'wabotify', '--bot', 'Sales Bot');
    assert.deepEqual(Object.keys(client).sort(), ['botId', 'clientId', 'clientSecret', 'companyId']);
    const again = await json(db.url, 'client', 'create', '--company', 'wabotify', '--bot', 'Sales Bot');
    assert.equal(again.botId, client.botId, 'the bot is created once and reused');
    const token = await json(db.url, 'token', 'create', '--company', 'wabotify');
    assert.deepEqual(Object.keys(token).sort(), ['id', 'token']);
    assert.match(token.token, /^rtk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    const app = await json(db.url, 'platform-app', 'create', '--company', 'wabotify', '--name', 'Integration');
    assert.match(app.token, /^rpa_/);

    const clients = await json(db.url, 'client', 'list', '--company', 'wabotify');
    assert.equal(clients.clients.length, 2);
    assert.ok(!JSON.stringify(clients).includes(client.clientSecret));
    const tokens = await json(db.url, 'token', 'list', '--company', 'wabotify');
    assert.ok(!JSON.stringify(tokens).includes(token.token.split('.')[1]));

    assert.deepEqual(await json(db.url, 'token', 'revoke', token.token), { id: token.id, revoked: true });
    const twice = await roster(db.url, 'token', 'revoke', token.id);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /no live credential/);
    const wrongKind = await roster(db.url, 'platform-app', 'revoke', client.clientId);
    assert.notEqual(wrongKind.code, 0);
    assert.equal((await json(db.url, 'platform-app', 'revoke', app.id)).revoked, true);
  });
});

describe('roster CLI: password policy and outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-cli-'));
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`, LOG_LEVEL: 'silent' };
  /** The verb's stdout; rejects (with code and stderr) when it fails. */
  const stdoutOf = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [CLI, ...args], { env });
    return stdout;
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sets and resets a company password policy', async () => {
    await stdoutOf('company', 'create', '--code', 'wabotify', '--name', 'Wabotify', '--json');
    const updated = JSON.parse(await stdoutOf('company', 'update', '--code', 'wabotify', '--password-min-length', '12', '--json'));
    assert.equal(updated.passwordPolicy.minLength, 12);
    assert.equal(updated.passwordPolicy.maxLength, 128);
    const back = JSON.parse(await stdoutOf('company', 'update', '--code', 'wabotify', '--default-password-policy', '--json'));
    assert.equal(back.passwordPolicy.minLength, 8);
  });

  it('refuses a policy weaker than 8 characters, with a clear error', async () => {
    await assert.rejects(stdoutOf('company', 'update', '--code', 'wabotify', '--password-min-length', '4'), (e: any) => {
      assert.notEqual(e.code, 0);
      assert.match(e.stderr, /minimum length must be 8-128/);
      return true;
    });
    await assert.rejects(stdoutOf('company', 'update', '--code', 'wabotify', '--password-min-length', 'ten'));
  });

  it('lists the outbox as one JSON object', async () => {
    const out = JSON.parse(await stdoutOf('outbox', 'list', '--json'));
    assert.deepEqual(out, { messages: [] });
    assert.match(await stdoutOf('outbox', 'list'), /empty/);
    await assert.rejects(stdoutOf('outbox', 'list', '--status', 'bogus'));
  });
});
