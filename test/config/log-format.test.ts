/**
 * Issue 11: logs are JSON lines (what every other serve test reads); LOG_FORMAT=pretty (or a
 * terminal) prints pino-pretty's readable lines instead, with the request id still on each
 * request's line; a bad LOG_FORMAT is refused at start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, runCli } from '../fixtures/cli.js';
import { call } from '../fixtures/http.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';

describe('LOG_FORMAT', () => {
  it('pretty: readable lines, not JSON, request ids included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-log-format-'));
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      env: {
        ...process.env,
        DATABASE_URL: `sqlite:${join(dir, 'r.db')}`,
        LOG_FORMAT: 'pretty',
        LOG_LEVEL: 'info',
        SEED_DEMO: 'false',
        SMTP_URL: '',
        PORT: '',
        ROSTER_SECRET_KEY: TEST_SECRET_KEY,
      },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      while (!/roster is listening/.test(out)) await once(child.stdout, 'data');
      const url = /url: "(http:[^"]+)"/.exec(out)![1]!;
      const r = await call(url, 'GET', '/healthz', { headers: { 'x-request-id': 'pretty-check-1' } });
      assert.equal(r.status, 200);
      while (!/pretty-check-1/.test(out)) await once(child.stdout, 'data');
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      assert.ok(lines.length >= 2);
      for (const l of lines) assert.throws(() => JSON.parse(l), `not JSON: ${l}`);
      assert.match(out, /INFO.*roster is listening/);
      assert.match(out, /requestId: "pretty-check-1"/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('anything but json or pretty is refused', async () => {
    const r = await runCli(['config'], { DATABASE_URL: 'sqlite::memory:', LOG_FORMAT: 'xml' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /LOG_FORMAT must be json or pretty/);
    const j = await runCli(['config', '--json'], { DATABASE_URL: 'sqlite::memory:', LOG_FORMAT: 'json' });
    assert.equal(JSON.parse(j.stdout).logFormat, 'json');
  });
});
