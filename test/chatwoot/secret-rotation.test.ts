/** Sealed tokens under the installation key, and `roster secrets rotate`. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSecretKey, SecretBox } from '../../src/infra/secret-box.js';
import { SecretRotation } from '../../src/identity/secret-rotation.js';
import { openDb } from '../../src/store/db.js';
import { runCli } from '../fixtures/cli.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf, TEST_SECRET_KEY } from '../fixtures/services.js';
import { api, createTenant, GOOD_PASSWORD, uniqueEmail, type Api } from './helpers.js';

forEachStore('sealed Chatwoot tokens and key rotation', (kind) => {
  const srv = withApp(kind);
  let cw: Api;

  before(async () => {
    cw = api(srv, (await createTenant(srv, 'rot')).token);
  });

  it('re-seals every token under a new key and back, the tokens unchanged and still shown', async () => {
    const u = (await cw('POST', '/users', { name: 'Rot', email: uniqueEmail('rot'), password: GOOD_PASSWORD })).body;
    const bot = (await cw('POST', '/agent_bots', { name: 'Rot bot' })).body;
    const current = parseSecretKey(TEST_SECRET_KEY);
    const next = Buffer.alloc(32, 7);

    // To the new key: every value opens under it alone.
    const forward = await new SecretRotation(srv.db, new SecretBox(current)).rotate(next);
    assert.ok(forward.resealed >= 3, `re-sealed ${forward.resealed}`);
    const onlyNext = new SecretBox(next);
    const token = await srv.db.kysely.selectFrom('user_access_tokens').select('token_sealed').where('user_id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(onlyNext.open(token.token_sealed!), u.access_token);
    const pubsub = await srv.db.kysely.selectFrom('users').select('pubsub_token_sealed').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.equal(onlyNext.open(pubsub.pubsub_token_sealed!), u.pubsub_token);
    const sealedBot = await srv.db.kysely.selectFrom('agent_bots').select('access_token_sealed').where('id', '=', bot.id).executeTakeFirstOrThrow();
    assert.equal(onlyNext.open(sealedBot.access_token_sealed!), bot.access_token);
    assert.throws(() => new SecretBox(current).open(token.token_sealed!), /does not hold/);

    // A second run with the same key has nothing to do.
    const again = await new SecretRotation(srv.db, new SecretBox(next)).rotate();
    assert.equal(again.resealed, 0);

    // Back, the ROSTER_SECRET_KEY_PREVIOUS way: the current key seals, the previous one opens.
    const back = await new SecretRotation(srv.db, new SecretBox(current, [next])).rotate();
    assert.equal(back.resealed, forward.resealed);
    const shown = await cw('GET', `/users/${u.id}`);
    assert.equal(shown.body.access_token, u.access_token);
    assert.equal(shown.body.pubsub_token, u.pubsub_token);
    assert.equal((await cw('GET', `/agent_bots/${bot.id}`)).body.access_token, bot.access_token);
    assert.equal(await servicesOf(srv.db).chatwoot.tokens.verifyUserToken(u.access_token), u.id, 'token auth is the digest lookup, untouched');
  });

  it('writes nothing when a value opens under no key at hand', async () => {
    const u = (await cw('POST', '/users', { name: 'Rot2', email: uniqueEmail('rot'), password: GOOD_PASSWORD })).body;
    const stranger = new SecretBox(Buffer.alloc(32, 9));
    await assert.rejects(() => new SecretRotation(srv.db, stranger).rotate(Buffer.alloc(32, 8)), /does not hold/);
    assert.equal((await cw('GET', `/users/${u.id}`)).body.access_token, u.access_token, 'the values are as they were');
  });

  it('shows null for a token kept as a digest only (before migration 011); the token call mints and seals one', async () => {
    const u = (await cw('POST', '/users', { name: 'Old', email: uniqueEmail('old'), password: GOOD_PASSWORD })).body;
    // A row as migration 011 finds it: digests only.
    await srv.db.kysely.updateTable('user_access_tokens').set({ token_sealed: null }).where('user_id', '=', u.id).execute();
    await srv.db.kysely.updateTable('users').set({ pubsub_token_sealed: null }).where('id', '=', u.id).execute();
    const shown = await cw('GET', `/users/${u.id}`);
    assert.equal(shown.body.access_token, null);
    assert.equal(shown.body.pubsub_token, null);
    const t = await cw('POST', `/users/${u.id}/token`);
    assert.equal(t.status, 200);
    assert.notEqual(t.body.access_token, u.access_token);
    const tokens = servicesOf(srv.db).chatwoot.tokens;
    assert.equal(await tokens.verifyUserToken(t.body.access_token), u.id);
    assert.equal(await tokens.verifyUserToken(u.access_token), undefined, 'the unrecoverable one is replaced');
    const later = await cw('GET', `/users/${u.id}`);
    assert.equal(later.body.access_token, t.body.access_token);
    assert.equal(later.body.pubsub_token, t.body.user.pubsub_token);
  });
});

describe('roster secrets rotate', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-rotate-'));
    // No ROSTER_SECRET_KEY: the SQLite key file beside the database.
    env = { DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`, ROSTER_SECRET_KEY: '', ROSTER_SECRET_KEY_PREVIOUS: '', WEBHOOK_ALLOW_PRIVATE: 'true' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('re-seals under a key read from stdin and makes it the key file (SQLite)', async () => {
    assert.equal((await runCli(['company', 'create', '--code', 'rot', '--name', 'Rot'], env)).code, 0);
    const added = await runCli(['webhook', 'add', '--company', 'rot', '--url', 'http://127.0.0.1:9/hook', '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    const secret = (JSON.parse(added.stdout) as { secret: string }).secret;
    const keyFile = join(dir, 'roster.db.key');
    const oldKey = readFileSync(keyFile, 'utf8').trim();

    const newKey = Buffer.alloc(32, 5).toString('hex');
    const r = await runCli(['secrets', 'rotate', '--new-key-stdin', '--json'], env, `${newKey}\n`);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { resealed: number; keyId: string };
    assert.equal(result.resealed, 1);
    assert.equal(result.keyId, new SecretBox(Buffer.from(newKey, 'hex')).keyId);
    assert.equal(readFileSync(keyFile, 'utf8').trim(), newKey);
    assert.notEqual(oldKey, newKey);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(existsSync(`${keyFile}.new`), false);

    const db = openDb(env.DATABASE_URL!);
    try {
      const row = await db.kysely.selectFrom('webhooks').select('secret_sealed').executeTakeFirstOrThrow();
      assert.equal(new SecretBox(Buffer.from(newKey, 'hex')).open(row.secret_sealed), secret);
    } finally {
      await db.close();
    }
  });

  it('refuses a bad key and leaves the key file as it was', async () => {
    const keyFile = join(dir, 'roster.db.key');
    const before = readFileSync(keyFile, 'utf8');
    const r = await runCli(['secrets', 'rotate', '--new-key-stdin'], env, 'not a key\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /32 bytes/);
    assert.equal(readFileSync(keyFile, 'utf8'), before);
  });

  it('with ROSTER_SECRET_KEY set, --new-key-stdin says how to rotate instead', async () => {
    const r = await runCli(
      ['secrets', 'rotate', '--new-key-stdin'],
      { ...env, ROSTER_SECRET_KEY: TEST_SECRET_KEY },
      `${Buffer.alloc(32, 3).toString('hex')}\n`,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ROSTER_SECRET_KEY_PREVIOUS/);
  });
});
