/**
 * The demo company's credentials (docs/security.md, "The demo company"): printed once, on stdout,
 * by a server that starts on an empty database with SEED_DEMO unset; never with SEED_DEMO=false,
 * which is how production turns it off. Checked on `roster serve` children and on the database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDb } from '../../src/store/db.js';
import { serveChild } from '../fixtures/serve-child.js';

/** What a printed credential looks like: a Plazbot token, a platform app token, a widget client secret. */
const SECRETS = /rtk_[0-9a-f]{16}\.|rpa_[0-9a-f]{16}\.|Authorization: [0-9a-f]{16}:/;

async function companiesIn(dir: string): Promise<string[]> {
  const db = openDb(`sqlite:${join(dir, 'roster.db')}`);
  try {
    return (await db.kysely.selectFrom('companies').select('code').execute()).map((c) => c.code);
  } finally {
    await db.close();
  }
}

describe('the demo company at first start', () => {
  it('SEED_DEMO=false: no company is created and no credential is printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-noseed-'));
    try {
      const s = await serveChild(dir, { SEED_DEMO: 'false' });
      const { code } = await s.stop();
      assert.equal(code, 0);
      assert.doesNotMatch(s.out(), SECRETS);
      assert.deepEqual(await companiesIn(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SEED_DEMO unset: printed once on stdout, outside the JSON log lines, and never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-seed-'));
    try {
      // Empty is unset: the default (true).
      const first = await serveChild(dir, { SEED_DEMO: '' });
      for (let i = 0; i < 200 && !SECRETS.test(first.out()); i++) await new Promise((r) => setTimeout(r, 25));
      await first.stop();
      assert.match(first.out(), SECRETS, 'the banner was printed');
      for (const l of first.logs()) assert.doesNotMatch(JSON.stringify(l), SECRETS, 'no credential inside a log record');
      assert.deepEqual(await companiesIn(dir), ['demo']);
      const second = await serveChild(dir, { SEED_DEMO: 'true' });
      await second.stop();
      assert.doesNotMatch(second.out(), SECRETS, 'a database with a company is never seeded again');
      assert.deepEqual(await companiesIn(dir), ['demo']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
