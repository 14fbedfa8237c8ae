/** `roster serve` as a child process: what `npm start` prints and does, mail, logs, shutdown. */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CLI } from '../fixtures/cli.js';
import { call } from '../fixtures/http.js';
import { resetCodeOf, startSmtp, type TestSmtp } from '../fixtures/smtp.js';

const run = promisify(execFile);

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
      // The API reference's own files, served from the bundle (scripts/bundle.mjs bundles
      // @fastify/swagger-ui and names its static folder: src/infra/api-reference.ts).
      const base = /(https?:\/\/[^/\s]+)\/v1\/widget\/user/.exec(curl)![1]!;
      for (const [path, type] of [
        ['/docs/', /^text\/html/],
        ['/docs/static/swagger-ui-bundle.js', /^application\/javascript/],
        ['/docs/static/logo.svg', /^image\/svg\+xml/],
        ['/docs/json', /^application\/json/],
      ] as const) {
        const res = await call(base, 'GET', path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type') ?? '', type, path);
        assert.ok(res.text.length > 100, path);
      }
      // Only those: the package's other files (and anything else under /docs) are not served.
      for (const path of ['/docs/index.html', '/docs/csp.json', '/docs/logo.svg', '/docs/..%2fpackage.json']) {
        const res = await call(base, 'GET', path);
        assert.equal(res.status, 404, path);
        assert.deepEqual(res.body, { error: 'Not Found', message: `Route GET ${path} not found` }, path);
      }
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

describe('roster serve: the Plazbot demo curl, mail, and logs without secrets', () => {
  let dir: string;
  let smtp: TestSmtp;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-plazbot-serve-'));
    smtp = await startSmtp();
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await smtp.close();
  });

  it('runs the printed curl, mails a reset code, logs no secret and stops cleanly', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: '', PORT: '', LOG_LEVEL: 'trace', SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@roster.test', OUTBOX_POLL_MS: '50' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    child.stderr.on('data', (c: string) => (out += c));
    const secrets: string[] = [];
    let bannerLength = 0;
    try {
      while (!out.includes('roster is listening')) {
        await Promise.race([
          once(child.stdout, 'data'),
          once(child, 'exit').then(() => {
            throw new Error(`serve exited: ${out}`);
          }),
        ]);
      }
      const curl = /(curl -s -X POST [^\n]*\/api\/user \\[\s\S]*?-d '[^']*')/.exec(out)?.[1];
      assert.ok(curl, out);
      const url = /curl -s -X POST (http:\/\/[^/\s]+)\/api\/user/.exec(curl)![1]!;
      const password = /"password":"([^"]+)"/.exec(curl)![1]!;
      const apiToken = /Bearer (rtk_\S+)'/.exec(curl)![1]!;
      const { stdout } = await run('sh', ['-c', curl]);
      const created = JSON.parse(stdout);
      assert.equal(created.success, true, stdout);
      assert.equal(created.message, 'Usuario creado exitosamente');
      const email = created.data.email as string;

      const banner = out;
      const login = await call(url, 'POST', '/api/user/login', { json: { email, password } });
      assert.equal(login.status, 200, login.text);
      secrets.push(login.body.data.token, apiToken.split('.')[1]!);
      assert.equal((await call(url, 'POST', '/api/user/login', { json: { email, password: 'Wrong-Password-Here-1' } })).status, 401);
      secrets.push('Wrong-Password-Here-1');
      assert.equal((await call(url, 'GET', '/api/user/me', { headers: { authorization: `Bearer ${login.body.data.token}` } })).status, 200);
      assert.equal((await call(url, 'POST', '/api/user/sendEmailToResetPassword', { json: { email, company: 'demo' } })).status, 200);
      const code = resetCodeOf(await smtp.waitFor((m) => m.to.includes(email)));
      const newPassword = 'Brand-New-Passphrase-77';
      secrets.push(code, newPassword);
      assert.equal((await call(url, 'POST', '/api/user/resetPassword', { json: { email, newPassword, verificationId: code } })).status, 200);
      assert.equal((await call(url, 'GET', `/api/user/verify-email?token=${code}`)).status, 400);

      bannerLength = banner.length;
      secrets.push(password);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    const exitCode = child.exitCode ?? ((await once(child, 'exit')) as [number])[0];
    assert.equal(exitCode, 0, 'SIGTERM stops the server and the outbox sender cleanly');
    // Every log line, the requests and the sender's included, once the process has flushed them.
    const logs = out.slice(bannerLength);
    assert.match(logs, /outbox: message sent/);
    assert.match(logs, /verify-email\?token=\[REDACTED\]/);
    assert.match(logs, /"url":"\/api\/user\/resetPassword","status":200/);
    for (const s of secrets) assert.ok(!logs.includes(s), `a secret (${s.slice(0, 6)}...) is in the logs`);
  });

  it('warns without SMTP_URL and keeps mail in the outbox, where `roster outbox list` shows it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'roster-plazbot-nosmtp-'));
    const env = { ...process.env, DATABASE_URL: `sqlite:${join(home, 'roster.db')}`, PORT: '', LOG_LEVEL: 'warn', SMTP_URL: '' };
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    try {
      while (!out.includes('SMTP_URL is not set') || !/Plazbot user:[\s\S]*-d '[^']*'/.test(out)) {
        await Promise.race([
          once(child.stdout, 'data'),
          once(child, 'exit').then(() => {
            throw new Error(`serve exited: ${out}`);
          }),
        ]);
      }
      const curl = /(curl -s -X POST [^\n]*\/api\/user \\[\s\S]*?-d '[^']*')/.exec(out)![1]!;
      const url = /curl -s -X POST (http:\/\/[^/\s]+)\/api\/user/.exec(curl)![1]!;
      const created = JSON.parse((await run('sh', ['-c', curl])).stdout);
      assert.equal(created.success, true);
      const r = await call(url, 'POST', '/api/user/sendEmailToResetPassword', { json: { email: created.data.email } });
      assert.equal(r.status, 200);
      // The mail is queued just after the answer: look until it is there.
      let messages: any[] = [];
      for (let i = 0; i < 50 && messages.length === 0; i++) {
        if (i > 0) await new Promise((res) => setTimeout(res, 100));
        messages = JSON.parse((await run(process.execPath, [CLI, 'outbox', 'list', '--json'], { env })).stdout).messages;
      }
      assert.equal(messages.length, 1);
      assert.deepEqual(
        { template: messages[0].template, to: messages[0].to, status: messages[0].status, attempts: messages[0].attempts },
        { template: 'reset_password', to: created.data.email, status: 'pending', attempts: 0 },
      );
      assert.match((await run(process.execPath, [CLI, 'outbox', 'list'], { env })).stdout, /pending\treset_password/);
    } finally {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
