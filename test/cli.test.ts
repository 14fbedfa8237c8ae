import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CLI } from './fixtures/cli.js';
import { createTestDatabase, type TestDatabase } from './fixtures/databases.js';
import { forEachStore } from './fixtures/server.js';

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

/**
 * Collects a child's stdout from the start (a listener attached per chunk would miss chunks emitted
 * between two waits) and resolves once it matches, failing on exit or after a deadline.
 */
function output(child: ChildProcessWithoutNullStreams | ReturnType<typeof spawn>) {
  let text = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    text += chunk;
  });
  return {
    get text() {
      return text;
    },
    async waitFor(re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(text);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${text}`);
        if (Date.now() > deadline) throw new Error(`no ${re} in: ${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('roster serve on a new database (npm start)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-start-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const serve = (logLevel: string) =>
    spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: '', PORT: '', LOG_LEVEL: logLevel },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('prints demo credentials once, and its printed curl returns the documented body', async () => {
    const child = serve('warn');
    try {
      const out = output(child);
      const [curl] = await out.waitFor(/curl -s -X POST [^\n]*\/v1\/widget\/user[\s\S]*?-d '[^']*'/);
      const { stdout } = await run('sh', ['-c', curl]);
      const body = JSON.parse(stdout);
      assert.equal(body.status, 1);
      assert.equal(body.statusMessage, 'success');
      assert.equal(body.data.User.id, '11111111111');
      assert.equal(body.data.User.roomId, body.data.Room.id);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
    // The second start on the same database prints no secrets, and SIGTERM stops it cleanly.
    const second = serve('info');
    const out2 = output(second);
    await out2.waitFor(/roster is listening/);
    second.kill('SIGTERM');
    const [code, signal] = (second.exitCode === null && second.signalCode === null ? await once(second, 'exit') : [second.exitCode, second.signalCode]) as [
      number | null,
      string | null,
    ];
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, 'SIGTERM shuts down cleanly');
    assert.ok(!out2.text.includes('clientSecret'), out2.text);
  });
});

describe('roster serve on a port that is taken', () => {
  it('exits non-zero with a message that names the address, and leaves nothing running', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'roster-port-'));
    try {
      const r = await run(process.execPath, [CLI, 'serve', '--port', String(port)], {
        cwd: dir,
        env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent' },
        timeout: 30_000,
      }).then(
        () => assert.fail('serve should fail'),
        (e: { code: number; stderr: string; killed?: boolean }) => e,
      );
      assert.equal(r.killed, false, 'the process ended by itself: nothing kept it alive');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`EADDRINUSE.*${port}`));
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
