import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSecretKey, SecretBox } from './secret-box.js';
import { commitKeyFile, keyFilePath, openSecretBox, SecretKeyError, stageKeyFile } from './secret-key.js';

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

  it('a staged rotation key (<key file>.new) opens values until it replaces the key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-key-'));
    try {
      const databaseUrl = `sqlite:${join(dir, 'roster.db')}`;
      const old = openSecretBox({ databaseUrl, secretKey: undefined, previousSecretKeys: [] });
      const next = Buffer.alloc(32, 4);
      const staged = stageKeyFile(databaseUrl, next.toString('base64'));
      assert.equal(statSync(staged).mode & 0o777, 0o600);
      assert.throws(() => stageKeyFile(databaseUrl, next.toString('base64')), SecretKeyError, 'one rotation at a time');
      const sealedNew = new SecretBox(next).seal('z');
      const during = openSecretBox({ databaseUrl, secretKey: undefined, previousSecretKeys: [] });
      assert.equal(during.keyId, old.keyId, 'the key file still seals');
      assert.equal(during.open(sealedNew), 'z', 'the staged key opens');
      commitKeyFile(staged);
      const afterwards = openSecretBox({ databaseUrl, secretKey: undefined, previousSecretKeys: [] });
      assert.equal(afterwards.keyId, new SecretBox(next).keyId);
      assert.equal(statSync(keyFilePath(databaseUrl)!).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
