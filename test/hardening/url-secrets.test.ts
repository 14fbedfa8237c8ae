/**
 * Issue 9, point 9: a secret in the query string never reaches the log, however the parameter's
 * name is spelled (percent-escaped, bracketed, upper-cased). Checked on the log of a `roster serve`
 * child at trace level.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call } from '../fixtures/http.js';
import { serveChild, type ServedChild } from '../fixtures/serve-child.js';

describe('point 9: secrets in the URL', () => {
  let dir: string;
  let s: ServedChild;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-url-secrets-'));
    s = await serveChild(dir, { LOG_LEVEL: 'trace' });
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are redacted from the parsed query, not the raw text', async () => {
    const secrets: string[] = [];
    for (const name of ['token', '%74oken', 'token[]', 'TOKEN', 'tok%65n%5B%5D', 'sso_auth_token', 'verificationId']) {
      const secret = randomBytes(32).toString('base64url');
      secrets.push(secret);
      const r = await call(s.url, 'GET', `/api/user/verify-email?lang=es&${name}=${secret}`);
      assert.ok(r.status === 400 || r.status === 200, `${name}: ${r.status}`);
    }
    for (let i = 0; i < 100 && s.logs().filter((l) => typeof l.url === 'string' && l.url.startsWith('/api/user/verify-email')).length < secrets.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const lines = s.logs().filter((l) => typeof l.url === 'string' && l.url.startsWith('/api/user/verify-email'));
    assert.equal(lines.length, secrets.length, 'every request was logged');
    for (const l of lines) assert.match(String(l.url), /=\[REDACTED\]$/);
    for (const secret of secrets) assert.ok(!s.out().includes(secret), `a secret (${secret.slice(0, 6)}...) is in the log`);
  });

  it('are redacted on the SCIM routes too: an OAuth access_token parameter, and a filter on the password', async () => {
    const secrets: string[] = [];
    for (const query of ['access_token=%s', '%61ccess_token[]=%s', 'api_access_token=%s', 'filter=password+eq+%22%s%22', 'filter=%70assword%20eq%20%22%s%22']) {
      const secret = randomBytes(24).toString('base64url');
      secrets.push(secret);
      const r = await call(s.url, 'GET', `/scim/v2/Users?count=1&${query.replace('%s', secret)}`);
      assert.equal(r.status, 401, `${query}: ${r.text}`);
    }
    const scimLines = () => s.logs().filter((l) => typeof l.url === 'string' && l.url.startsWith('/scim/v2/Users'));
    for (let i = 0; i < 100 && scimLines().length < secrets.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(scimLines().length, secrets.length, 'every request was logged');
    for (const l of scimLines()) assert.match(String(l.url), /^\/scim\/v2\/Users\?count=1&[^=]+=\[REDACTED\]$/);
    for (const secret of secrets) assert.ok(!s.out().includes(secret), `a secret (${secret.slice(0, 6)}...) is in the log`);
  });
});
