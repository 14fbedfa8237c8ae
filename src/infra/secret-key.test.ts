import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSecretKey } from './secret-box.js';
import { keyFilePath, openSecretBox, SecretKeyError } from './secret-key.js';

describe('the installation secret key', () => {
  it('on SQLite without ROSTER_SECRET_KEY: a 0600 key file beside the database, made once and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-key-'));
    try {
      const databaseUrl = `sqlite:${join(dir, 'data', 'roster.db')}`;
      const first = openSecretBox({ databaseUrl, secretKey: undefined, previousSecretKeys: [] });
      const path = keyFilePath(databaseUrl)!;
      assert.equal(path, join(dir, 'data', 'roster.db.key'));
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const again = openSecretBox({ databaseUrl, secretKey: undefined, previousSecretKeys: [] });
      assert.equal(again.keyId, first.keyId);
      assert.equal(again.open(first.seal('x')), 'x');
      assert.equal(parseSecretKey(readFileSync(path, 'utf8')).length, 32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses PostgreSQL without ROSTER_SECRET_KEY, and uses the given key when set', () => {
    const databaseUrl = 'postgres://postgres@127.0.0.1:5432/x';
    assert.throws(() => openSecretBox({ databaseUrl, secretKey: undefined, previousSecretKeys: [] }), SecretKeyError);
    const key = Buffer.alloc(32, 1);
    const box = openSecretBox({ databaseUrl, secretKey: key, previousSecretKeys: [] });
    assert.equal(box.open(box.seal('y')), 'y');
  });
});
