/**
 * CompanySettings.save (the console's settings form, `roster company update`) decides what to write
 * against the company as it is once its row is locked: a save committed between its first read and
 * its transaction is neither undone silently nor taken for this one's change.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { CLI } from '../events/types.js';
import { openDb, type Db } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../../test/fixtures/databases.js';
import { servicesOf } from '../../test/fixtures/services.js';

forEachStore('CompanySettings.save', (kind) => {
  let database: TestDatabase;
  let db: Db;
  before(async () => {
    database = await createTestDatabase(kind);
    db = openDb(database.url);
    await migrateToLatest(db);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  /** Services whose save runs `meanwhile` (another save, committed) after its first read of the company, before its transaction. */
  const interleaved = (meanwhile: () => Promise<unknown>) => {
    const s = servicesOf(db);
    const get = s.companies.get.bind(s.companies);
    let first = true;
    s.companies.get = async (code: string) => {
      const c = await get(code);
      if (first) {
        first = false;
        await meanwhile();
      }
      return c;
    };
    return s;
  };
  const storedPolicy = async (code: string) =>
    (await db.kysely.selectFrom('companies').select('password_policy').where('code', '=', code).executeTakeFirstOrThrow()).password_policy;

  it('writes a value a concurrent save changed after the first read (it used to compare with that read and write nothing)', async () => {
    const other = servicesOf(db);
    await other.companies.create({ code: 'race1', name: 'Race', requireEmailVerification: true }, CLI);
    const s = interleaved(() => other.companySettings.save('race1', { requireEmailVerification: false }, CLI));
    const saved = await s.companySettings.save('race1', { requireEmailVerification: true }, CLI);
    assert.equal(saved.company.requireEmailVerification, true, 'the save that committed last asked for true');
    assert.equal((await other.companies.get('race1')).requireEmailVerification, true);
  });

  it('back to the default policy after a concurrent change of it', async () => {
    const other = servicesOf(db);
    await other.companies.create({ code: 'race2', name: 'Race' }, CLI);
    const s = interleaved(() => other.companySettings.save('race2', { passwordPolicy: { minLength: 12 } }, CLI));
    const saved = await s.companySettings.save('race2', { passwordPolicy: null }, CLI);
    assert.equal(saved.company.passwordPolicy.minLength, 8);
    assert.equal(await storedPolicy('race2'), null);
  });

  it('checks a partial policy against the locked row: a minimum valid under a maximum a concurrent save raised is saved', async () => {
    const other = servicesOf(db);
    await other.companies.create({ code: 'pre1', name: 'Pre' }, CLI);
    await other.companySettings.save('pre1', { passwordPolicy: { maxLength: 64 } }, CLI);
    const s = interleaved(() => other.companySettings.save('pre1', { passwordPolicy: { maxLength: 128 } }, CLI));
    const saved = await s.companySettings.save('pre1', { passwordPolicy: { minLength: 100 } }, CLI);
    assert.deepEqual([saved.company.passwordPolicy.minLength, saved.company.passwordPolicy.maxLength], [100, 128]);
  });

  it('refuses a policy invalid against the locked row and writes nothing', async () => {
    const s = servicesOf(db);
    await s.companies.create({ code: 'bad1', name: 'Bad' }, CLI);
    const before = await storedPolicy('bad1');
    await assert.rejects(s.companySettings.save('bad1', { name: 'Renamed', passwordPolicy: { minLength: 200 } }, CLI), /password minimum length/);
    assert.equal(await storedPolicy('bad1'), before);
    assert.equal((await s.companies.get('bad1')).name, 'Bad');
  });

  it("back to the default clears a policy of the company's own even when its values are the default's", async () => {
    const s = servicesOf(db);
    await s.companies.create({ code: 'own', name: 'Own' }, CLI);
    await s.companySettings.save('own', { passwordPolicy: { minLength: 10 } }, CLI);
    await s.companySettings.save('own', { passwordPolicy: { minLength: 8 } }, CLI);
    assert.notEqual(await storedPolicy('own'), null, 'a policy of its own, equal to the default');
    await s.companySettings.save('own', { passwordPolicy: null }, CLI);
    assert.equal(await storedPolicy('own'), null, 'follows the default again');
  });
});
