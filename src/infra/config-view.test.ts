import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configLines, configView, maskUrl } from './config-view.js';

describe('config view', () => {
  it('masks URL passwords and secret query values, keeps the rest', () => {
    assert.equal(maskUrl('postgres://roster:s3cret@db:5432/roster'), 'postgres://roster:***@db:5432/roster');
    assert.equal(maskUrl('redis://:hunter2@cache:6379/0'), 'redis://:***@cache:6379/0');
    assert.equal(maskUrl('smtps://mailer:p%40ss@smtp.example.com:465?token=abc&pool=true'), 'smtps://mailer:***@smtp.example.com:465?token=***&pool=true');
    assert.equal(maskUrl('sqlite:./data/roster.db'), 'sqlite:./data/roster.db');
    assert.equal(maskUrl('http://127.0.0.1:3000'), 'http://127.0.0.1:3000');
  });

  it('masks keys, secrets and passwords by name (not numbers or booleans about them), Buffers always; says null when unset', () => {
    const view = configView({
      port: 3000,
      secretKey: Buffer.alloc(32, 1),
      previousSecretKeys: [Buffer.alloc(32, 2)],
      redisKeyPrefix: 'roster:',
      credentialCacheTtlMs: 2000,
      mail: { smtpUrl: 'smtp://u:pw@h:25', from: 'a@b' },
      redisUrl: undefined,
      nested: { apiToken: 'tok', password: '' },
      passwordHashConcurrency: 2,
      tokenRotation: true,
    });
    assert.deepEqual(view, {
      port: 3000,
      secretKey: '***',
      previousSecretKeys: ['***'],
      redisKeyPrefix: 'roster:',
      credentialCacheTtlMs: 2000,
      mail: { smtpUrl: 'smtp://u:***@h:25', from: 'a@b' },
      redisUrl: null,
      nested: { apiToken: '***', password: null },
      passwordHashConcurrency: 2,
      tokenRotation: true,
    });
    assert.deepEqual(configLines({ a: 1, b: { c: 'x' } }), ['a = 1', 'b.c = "x"']);
  });
});
