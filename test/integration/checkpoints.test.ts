/**
 * `roster serve` on an SQLite file checkpoints its WAL in a thread of its own
 * (src/store/checkpoints.ts): what it commits reaches the main database file within moments, long
 * before the serving connection's own backstop (10,000 pages) would copy it. The main file is read
 * alone, without its WAL, from a copy.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { eventually } from '../fixtures/cluster.js';
import { call } from '../fixtures/http.js';
import { serveChild, type ServedChild } from '../fixtures/serve-child.js';

const USERS = 40;

describe('roster serve checkpoints the WAL in its own thread', () => {
  let dir: string;
  let served: ServedChild;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-checkpoints-'));
    served = await serveChild(dir, { SEED_DEMO: 'true' });
  });
  after(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Widget users in the main database file alone, as a reader without the WAL would see them. */
  const usersInMainFile = (): number => {
    const copy = join(dir, `main-only-${Date.now()}.db`);
    copyFileSync(join(dir, 'roster.db'), copy);
    const db = new Database(copy);
    try {
      return (db.prepare('select count(*) as n from widget_users').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('copies committed users into the database file while serving', async () => {
    const m = /clientId (\S+)\s+clientSecret (\S+)/.exec(served.out());
    assert.ok(m, served.out());
    const authorization = `${m[1]}:${m[2]}`;
    for (let i = 0; i < USERS; i++) {
      const r = await call(served.url, 'POST', '/v1/widget/user', { headers: { authorization }, json: { user: { id: `cp-${i}`, names: 'N' } } });
      assert.equal(r.status, 200, r.text);
    }
    let seen: number | string = 'nothing yet';
    await eventually(`${USERS} users reach the main database file`, 10_000, async () => {
      try {
        seen = usersInMainFile();
      } catch (e) {
        seen = String(e); // no table yet, or copied while a checkpoint wrote it: read again
        return false;
      }
      return seen === USERS;
    }).catch((e: Error) => assert.fail(`${e.message}; the main file alone gave: ${seen}`));
  });
});
