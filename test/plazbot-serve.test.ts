import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { call } from './helpers.js';
import { resetCodeOf, startSmtp, type TestSmtp } from './smtp.js';

const run = promisify(execFile);
const MAIN = resolve('dist/src/cli/main.js');

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
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], {
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
        await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => { throw new Error(`serve exited: ${out}`); })]);
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
      child.kill('SIGTERM');
    }
    const [exitCode] = (await once(child, 'exit')) as [number];
    assert.equal(exitCode, 0, 'SIGTERM stops the server and the outbox sender cleanly');
    // Every log line, the requests and the sender's included, once the process has flushed them.
    const logs = out.slice(bannerLength);
    assert.match(logs, /outbox: message sent/);
    assert.match(logs, /verify-email\?token=\[REDACTED\]/);
    assert.match(logs, /"url":"\/api\/user\/resetPassword","status":200/);
    for (const s of secrets) assert.ok(!logs.includes(s), `a secret (${s.slice(0, 6)}...) is in the logs`);
  });
});
