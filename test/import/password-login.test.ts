/** The password check of every login: any accepted hash format, the re-hash, and its conditional UPDATE. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { checkLoginPassword } from '../../src/identity/password-login.js';
import { hashPassword, passwordVerifications, verifyPassword } from '../../src/identity/passwords.js';
import { formerRosterHash, ROSTER_HASH } from '../fixtures/passwords.js';
import { forEachStore, withDb } from '../fixtures/databases.js';
import { servicesOf } from '../fixtures/services.js';
import { deviseBcrypt, userByEmail } from './helpers.js';

forEachStore('checkLoginPassword', (kind) => {
  const t = withDb(kind);
  let companyId: number;
  const newUser = async (email: string, passwordHash: string | null) =>
    servicesOf(t.db).users.create({ companyId, email, name: 'L', passwordHash, emailVerified: true, createdVia: 'cli' });

  before(async () => {
    companyId = (await servicesOf(t.db).companies.create({ code: 'login', name: 'Login' })).id;
  });

  it('verifies an imported bcrypt hash and stores the password re-hashed with roster argon2id', async () => {
    const user = await newUser('bcrypt@login.test', deviseBcrypt('Old-Passw0rd', 4));
    assert.equal(await checkLoginPassword(t.db.kysely, user, 'wrong'), false);
    assert.equal((await userByEmail(t.db, user.email))!.password_hash, user.password_hash, 'a wrong password changes nothing');
    assert.equal(await checkLoginPassword(t.db.kysely, user, 'Old-Passw0rd'), true);
    assert.match((await userByEmail(t.db, user.email))!.password_hash!, ROSTER_HASH);
  });

  it('replaces the hash only if it is still the one verified (a password changed meanwhile stays)', async () => {
    const user = await newUser('raced@login.test', deviseBcrypt('Old-Passw0rd', 4));
    // A reset lands between the login's read and its re-hash.
    const changed = await hashPassword('Reset-Passw0rd');
    await t.db.kysely.updateTable('users').set({ password_hash: changed }).where('id', '=', user.id).execute();
    assert.equal(await checkLoginPassword(t.db.kysely, user, 'Old-Passw0rd'), true);
    assert.equal((await userByEmail(t.db, user.email))!.password_hash, changed);
  });

  it("re-hashes a hash at roster's former parameters (m=19 MiB, t=2) at roster's own", async () => {
    const user = await newUser('former@login.test', formerRosterHash('Former-Passw0rd'));
    assert.equal(await checkLoginPassword(t.db.kysely, user, 'Former-Passw0rd'), true);
    const stored = (await userByEmail(t.db, user.email))!.password_hash!;
    assert.match(stored, ROSTER_HASH);
    assert.equal(await verifyPassword(stored, 'Former-Passw0rd'), true);
  });

  it('leaves roster argon2id hashes alone', async () => {
    const user = await newUser('own@login.test', await hashPassword('Own-Passw0rd'));
    assert.equal(await checkLoginPassword(t.db.kysely, user, 'Own-Passw0rd'), true);
    assert.equal((await userByEmail(t.db, user.email))!.password_hash, user.password_hash);
  });

  it('answers false, after one verification, for a malformed stored hash, no password or no user', async () => {
    const broken = await newUser('broken@login.test', '$2a$11$not-a-real-hash');
    const none = await newUser('none@login.test', null);
    for (const user of [broken, none, undefined]) {
      const before = passwordVerifications();
      assert.equal(await checkLoginPassword(t.db.kysely, user, 'anything'), false);
      assert.equal(passwordVerifications() - before, 1);
    }
    assert.equal((await userByEmail(t.db, broken.email))!.password_hash, '$2a$11$not-a-real-hash');
  });
});
