/** `roster import users`: foreign password hashes through the Plazbot login, row errors, dry runs, runs stopped halfway. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { needsRehash } from '../../src/identity/password-hashes.js';
import { ImportFileError } from '../../src/import/read.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { countRows, csv, deviseBcrypt, djangoPbkdf2, foreignArgon2id, insertAccount, passlibScrypt, tempFiles, userByEmail } from './helpers.js';
import { ROSTER_HASH } from '../fixtures/passwords.js';

const COLUMNS = ['email', 'name', 'lastName', 'displayName', 'password_hash', 'password', 'email_verified', 'external_id', 'created_at', 'accounts'];

forEachStore('roster import users', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0', LOGIN_MAX_FAILURES: '5', LOGIN_MAX_FAILURES_PER_IP: '10000' });
  const files = tempFiles();
  const imports = () => servicesOf(srv.db).imports;
  const login = (email: string, password: string) => srv.call('POST', '/api/user/login', { json: { email, password } });
  let acme: number;
  let sales: number;
  let support: number;

  before(async () => {
    acme = (await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' })).id;
    await servicesOf(srv.db).companies.create({ code: 'globex', name: 'Globex' });
    sales = await insertAccount(srv.db, acme, 'Sales');
    support = await insertAccount(srv.db, acme, 'Support');
  });

  describe('users with bcrypt (Devise), argon2id, scrypt and pbkdf2 hashes', () => {
    const people = [
      { email: 'devise@acme.test', password: 'Devise-Passw0rd!', hash: () => Promise.resolve(deviseBcrypt('Devise-Passw0rd!')) },
      { email: 'cffi@acme.test', password: 'argon2 cffi pässword', hash: () => foreignArgon2id('argon2 cffi pässword') },
      { email: 'passlib@acme.test', password: 'scrypt-from-passlib', hash: () => Promise.resolve(passlibScrypt('scrypt-from-passlib')) },
      { email: 'django@acme.test', password: 'django pbkdf2 secret', hash: () => Promise.resolve(djangoPbkdf2('django pbkdf2 secret')) },
    ];
    let path: string;
    let firstRun: string;

    before(async () => {
      const rows = [];
      for (const [i, p] of people.entries()) {
        rows.push({
          email: p.email.toUpperCase(),
          name: `Person ${i}`,
          lastName: 'Moved',
          password_hash: await p.hash(),
          email_verified: 'yes',
          external_id: `old-${i}`,
          created_at: '2021-03-04T05:06:07Z',
          accounts: i === 0 ? 'Sales:administrator;Support' : `${support}:agent`,
        });
      }
      // And one whose plaintext password is hashed at import.
      rows.push({ email: 'plain@acme.test', name: 'Plain', password: 'Typed-in-at-import-9' });
      path = files.write('people.csv', csv(COLUMNS, rows));
    });

    it('imports every row, keeping each hash as it is', async () => {
      const r = await imports().users({ companyCode: 'acme', source: path });
      firstRun = r.runId;
      assert.deepEqual(r.failed, []);
      assert.deepEqual([r.created, r.updated, r.unchanged], [5, 0, 0]);
      const devise = await userByEmail(srv.db, 'devise@acme.test');
      assert.match(devise!.password_hash!, /^\$2a\$11\$/);
      assert.equal(devise!.created_at, '2021-03-04T05:06:07.000Z');
      assert.equal(devise!.created_via, 'import');
      assert.equal(devise!.external_id, 'old-0');
      assert.notEqual(devise!.email_verified_at, null);
      assert.match((await userByEmail(srv.db, 'cffi@acme.test'))!.password_hash!, /^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
      assert.match((await userByEmail(srv.db, 'passlib@acme.test'))!.password_hash!, /^\$scrypt\$/);
      assert.match((await userByEmail(srv.db, 'django@acme.test'))!.password_hash!, /^pbkdf2_sha256\$/);
      assert.match((await userByEmail(srv.db, 'plain@acme.test'))!.password_hash!, ROSTER_HASH);
      const memberships = await srv.db.kysely
        .selectFrom('account_users')
        .select(['account_id', 'role'])
        .where('user_id', '=', devise!.id)
        .orderBy('account_id')
        .execute();
      assert.deepEqual(memberships, [
        { account_id: sales, role: 'administrator' },
        { account_id: support, role: 'agent' },
      ]);
    });

    it('records user.created and account_user.created with the import run as the actor', async () => {
      const events = await srv.db.kysely.selectFrom('events').selectAll().where('actor_id', '=', firstRun).execute();
      assert.equal(events.filter((e) => e.type === 'user.created').length, 5);
      assert.equal(events.filter((e) => e.type === 'account_user.created').length, 5);
      assert.ok(events.every((e) => e.actor_kind === 'import' && e.company_id === acme));
      for (const e of events) assert.ok(!/\$2a\$|\$argon2|\$scrypt|pbkdf2|Typed-in/.test(e.data), 'no hash or password in an event');
    });

    it('logs each in through the Plazbot login with the original password, and the stored hash becomes roster argon2id', async () => {
      for (const p of people) {
        assert.equal((await login(p.email, `${p.password}x`)).status, 401, `${p.email}: a wrong password`);
        const before = (await userByEmail(srv.db, p.email))!.password_hash!;
        assert.ok(needsRehash(before));
        const r = await login(p.email, p.password);
        assert.equal(r.status, 200, `${p.email}: ${r.text}`);
        const after = (await userByEmail(srv.db, p.email))!.password_hash!;
        assert.match(after, ROSTER_HASH, p.email);
        assert.equal(needsRehash(after), false);
        // And the re-hashed password still logs in, and is not re-hashed again.
        assert.equal((await login(p.email, p.password)).status, 200);
        assert.equal((await userByEmail(srv.db, p.email))!.password_hash, after);
      }
      assert.equal((await login('plain@acme.test', 'Typed-in-at-import-9')).status, 200);
    });

    it('a second run of the same file changes nothing, and does not put back the old hashes', async () => {
      const hashes = await srv.db.kysely.selectFrom('users').select(['email', 'password_hash', 'updated_at']).orderBy('email').execute();
      const events = await countRows(srv.db, 'events');
      const r = await imports().users({ companyCode: 'acme', source: path });
      assert.deepEqual([r.created, r.updated, r.unchanged, r.failed.length], [0, 0, 5, 0]);
      assert.deepEqual(await srv.db.kysely.selectFrom('users').select(['email', 'password_hash', 'updated_at']).orderBy('email').execute(), hashes);
      assert.equal(await countRows(srv.db, 'events'), events, 'a run that changes nothing records nothing');
    });
  });

  describe('a file with broken rows', () => {
    before(async () => {
      await servicesOf(srv.db).users.create({
        companyId: (await servicesOf(srv.db).companies.get('globex')).id,
        email: 'other@globex.test',
        name: 'G',
        passwordHash: null,
        emailVerified: true,
        createdVia: 'cli',
      });
      await insertAccount(srv.db, acme, 'Twice');
      await insertAccount(srv.db, acme, 'Twice');
    });

    it('reports each bad row with its line, field and reason, and writes none of them', async () => {
      const bcrypt = deviseBcrypt('Good-Passw0rd!', 4);
      const text = [
        COLUMNS.join(','),
        `good1@acme.test,Good,,,${bcrypt},,,,,`, // line 2
        `bad-hash@acme.test,X,,,$2a$11$tooShort,,,,,`, // 3
        `unknown@acme.test,X,,,md5:5f4dcc3b5aa765d61d8327deb882cf99,,,,,`, // 4
        `good1@acme.test,Again,,,,,,,,`, // 5
        `not-an-email,X,,,,,,,,`, // 6
        `other@globex.test,X,,,,,,,,`, // 7
        `nowhere@acme.test,X,,,,,,,,Nowhere:agent`, // 8
        `twice@acme.test,X,,,,,,,,Twice`, // 9
        `999@acme.test,X,,,,,,,,999:agent`, // 10
        `date@acme.test,X,,,,,,,2021-02-30,`, // 11
        `both@acme.test,X,,,${bcrypt},Some-Passw0rd!,,,,`, // 12
        `"quote@acme.test,X,,,,,,,,`, // 13: a quoted field never closed swallows the rest
      ].join('\n');
      const path = files.write('broken.csv', `${text}\n`);
      const usersBefore = await countRows(srv.db, 'users');
      const r = await imports().users({ companyCode: 'acme', source: path });
      assert.deepEqual([r.created, r.updated, r.unchanged], [1, 0, 0]);
      assert.deepEqual(
        r.failed.map((f) => [f.line, f.field]),
        [
          [3, 'password_hash'],
          [4, 'password_hash'],
          [5, 'email'],
          [6, 'email'],
          [7, 'email'],
          [8, 'accounts'],
          [9, 'accounts'],
          [10, 'accounts'],
          [11, 'created_at'],
          [12, 'password'],
          [13, null],
        ],
      );
      const message = (line: number) => r.failed.find((f) => f.line === line)!.message;
      assert.match(message(3), /^is not accepted: malformed bcrypt hash/);
      assert.match(message(4), /^is not accepted: unknown password hash format/);
      assert.equal(message(5), 'is already on line 2 of this file');
      assert.equal(message(7), 'belongs to a user of another company');
      assert.equal(message(8), 'names the account "Nowhere", which company acme does not have (create it first)');
      assert.match(message(9), /^names the account "Twice", and company acme has 2 of that name: give its id/);
      assert.equal(message(10), 'names the account 999, which company acme does not have');
      assert.match(message(13), /quoted field is never closed/);
      assert.equal(await countRows(srv.db, 'users'), usersBefore + 1);
      assert.ok(await userByEmail(srv.db, 'good1@acme.test'));
      for (const email of ['bad-hash@acme.test', 'unknown@acme.test', 'nowhere@acme.test', 'twice@acme.test', 'date@acme.test', 'both@acme.test']) {
        assert.equal(await userByEmail(srv.db, email), undefined, email);
      }
      assert.equal((await userByEmail(srv.db, 'other@globex.test'))!.name, 'G', "another company's user is left alone");
    });

    it('refuses a plaintext password the company policy refuses, and a taken external_id', async () => {
      const path = files.write(
        'policy.jsonl',
        [
          { email: 'weak@acme.test', password: 'password' },
          { email: 'ext1@acme.test', external_id: 'old-0' },
          { email: 'ext2@acme.test', external_id: 'fresh-1' },
          { email: 'ext3@acme.test', external_id: 'fresh-1' },
        ]
          .map((o) => JSON.stringify(o))
          .join('\n'),
      );
      const r = await imports().users({ companyCode: 'acme', source: path });
      assert.equal(r.created, 1);
      assert.deepEqual(
        r.failed.map((f) => [f.line, f.field, f.message]),
        [
          [1, 'password', "is one of the most common passwords; choose another (the company's password policy)"],
          [2, 'external_id', `is already the external id of another user (id ${(await userByEmail(srv.db, 'devise@acme.test'))!.id})`],
          [4, 'external_id', 'is already on line 3 of this file'],
        ],
      );
    });
  });

  describe('updates', () => {
    it('a second file updates names, verification and roles, and keeps what it leaves blank, the password and other memberships', async () => {
      const first = files.write(
        'v1.jsonl',
        JSON.stringify({
          email: 'up@acme.test',
          name: 'Up',
          lastName: 'Date',
          password_hash: deviseBcrypt('Up-Passw0rd-1', 4),
          accounts: [{ account: 'Sales' }, { account: 'Support', role: 'agent' }],
        }),
      );
      assert.equal((await imports().users({ companyCode: 'acme', source: first })).created, 1);
      const stored = (await userByEmail(srv.db, 'up@acme.test'))!;
      const second = files.write(
        'v2.jsonl',
        JSON.stringify({
          email: 'up@acme.test',
          name: 'Upped',
          email_verified: true,
          password_hash: deviseBcrypt('Another-Passw0rd', 4),
          accounts: [{ account: 'Sales', role: 'administrator' }],
        }),
      );
      const r = await imports().users({ companyCode: 'acme', source: second });
      assert.deepEqual([r.created, r.updated, r.unchanged, r.failed.length], [0, 1, 0, 0]);
      const now = (await userByEmail(srv.db, 'up@acme.test'))!;
      assert.equal(now.name, 'Upped');
      assert.equal(now.last_name, 'Date', 'a blank field keeps what is stored');
      assert.notEqual(now.email_verified_at, null);
      assert.equal(now.password_hash, stored.password_hash, 'a password is never replaced');
      const roles = await srv.db.kysely
        .selectFrom('account_users')
        .select(['account_id', 'role'])
        .where('user_id', '=', now.id)
        .orderBy('account_id')
        .execute();
      assert.deepEqual(roles, [
        { account_id: sales, role: 'administrator' },
        { account_id: support, role: 'agent' },
      ]);
      const updated = await srv.db.kysely.selectFrom('events').select(['type', 'data']).where('actor_id', '=', r.runId).orderBy('id').execute();
      assert.deepEqual(
        updated.map((e) => e.type),
        ['user.updated', 'account_user.updated'],
      );
      assert.deepEqual(JSON.parse(updated[0]!.data).changed, ['name', 'emailVerified']);
      assert.equal((await imports().users({ companyCode: 'acme', source: second })).unchanged, 1);
    });
  });

  describe('--dry-run', () => {
    it('checks every row against the database and writes nothing', async () => {
      const path = files.write(
        'dry.csv',
        csv(COLUMNS, [
          { email: 'dry1@acme.test', password_hash: deviseBcrypt('x', 4), accounts: 'Sales' },
          { email: 'dry2@acme.test', password: 'Dry-run-Passw0rd' },
          { email: 'devise@acme.test', name: 'Renamed' },
          { email: 'other@globex.test' },
          { email: 'dry3@acme.test', password: 'short' },
        ]),
      );
      const tables = ['users', 'events', 'account_users', 'import_links'] as const;
      const before = await Promise.all(tables.map((t) => countRows(srv.db, t)));
      const r = await imports().users({ companyCode: 'acme', source: path, dryRun: true });
      assert.equal(r.dryRun, true);
      assert.deepEqual([r.created, r.updated, r.unchanged], [2, 1, 0]);
      assert.deepEqual(
        r.failed.map((f) => [f.line, f.field]),
        [
          [5, 'email'],
          [6, 'password'],
        ],
      );
      assert.deepEqual(await Promise.all(tables.map((t) => countRows(srv.db, t))), before);
      assert.equal((await userByEmail(srv.db, 'devise@acme.test'))!.name, 'Person 0');
    });
  });

  describe('a run stopped halfway', () => {
    const rows = Array.from({ length: 23 }, (_, i) => ({
      email: `half${i}@acme.test`,
      name: `Half ${i}`,
      password_hash: i % 2 ? deviseBcrypt('h', 4) : undefined,
      accounts: 'Support',
    }));
    const text = csv(COLUMNS, rows);

    it('keeps the batches it committed; the next run of the whole file finishes the job', async () => {
      // The file stops being readable after about half of it: the run fails there.
      const cut = text.indexOf('half12@');
      const broken = Readable.from(
        (async function* () {
          yield Buffer.from(text.slice(0, cut));
          throw new Error('disk gone');
        })(),
      );
      await assert.rejects(
        imports().users({ companyCode: 'acme', source: broken, format: 'csv', batchSize: 5 }),
        (e) => e instanceof ImportFileError && e.code === 'READ_FAILED',
      );
      const done = await srv.db.kysely.selectFrom('users').select('email').where('email', 'like', 'half%').execute();
      assert.equal(done.length, 10, 'two whole batches of five were committed');

      const r = await imports().users({ companyCode: 'acme', source: files.write('half.csv', text), batchSize: 5 });
      assert.deepEqual([r.created, r.updated, r.unchanged, r.failed.length], [13, 0, 10, 0]);
      assert.equal((await srv.db.kysely.selectFrom('users').select('email').where('email', 'like', 'half%').execute()).length, 23);
      const again = await imports().users({ companyCode: 'acme', source: files.write('half.csv', text) });
      assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 23]);
    });

    it('a half file, then the whole file, ends as the whole file alone would', async () => {
      const lines = text.trimEnd().split('\r\n');
      const more = lines.map((l, i) => (i === 0 ? l : l.replace(/half/g, 'twice')));
      const half = files.write('twice-half.csv', [...more.slice(0, 12), ''].join('\n'));
      const whole = files.write('twice.csv', [...more, ''].join('\n'));
      assert.equal((await imports().users({ companyCode: 'acme', source: half })).created, 11);
      const r = await imports().users({ companyCode: 'acme', source: whole });
      // Seen once under load in CI (11 created, one row neither created nor unchanged): say which.
      assert.deepEqual([r.created, r.unchanged], [12, 11], JSON.stringify({ updated: r.updated, failed: r.failed }));
    });
  });
});
