import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { checkpointInBackground, DEFAULT_PAGES, SAFETY_PAGES } from './checkpoints.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-checkpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * better-sqlite3's objects must never be garbage collected (src/store/db.ts, pinnedStatements: on
 * Node 24 a finalized one can abort the process), so this test keeps every one it makes.
 */
const NEVER_COLLECTED: unknown[] = [];

/** A WAL database with a table; `write(kib)` adds ~kib KiB in one transaction. */
function walDatabase(name: string) {
  const path = join(dir, name);
  const raw = new BetterSqlite3(path);
  raw.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT)');
  const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
  const count = raw.prepare('SELECT count(*) AS n FROM t');
  NEVER_COLLECTED.push(raw, insert, count);
  const write = (kib: number) =>
    raw.transaction(() => {
      for (let i = 0; i < kib; i++) insert.run('x'.repeat(1000));
    })();
  // Prepared anew each time: SQLite puts a pragma's current value into the statement it compiles.
  const autocheckpoint = () => {
    const setting = raw.prepare('PRAGMA wal_autocheckpoint');
    NEVER_COLLECTED.push(setting);
    return (setting.all()[0] as { wal_autocheckpoint: number }).wal_autocheckpoint;
  };
  const rows = () => (count.all()[0] as { n: number }).n;
  return { path, raw, write, autocheckpoint, rows };
}

async function eventually(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WAL checkpoints in a thread of their own', () => {
  it('copy the WAL into the database file while the served connection checkpoints nothing itself', async () => {
    const { path, raw, write, autocheckpoint, rows } = walDatabase('background.db');
    const errors: Error[] = [];
    const checkpoints = checkpointInBackground(raw, path, { intervalMs: 20, onError: (err) => errors.push(err) });
    assert.equal(autocheckpoint(), SAFETY_PAGES);
    const before = statSync(path).size;
    // ~1 MiB: fewer pages than even SQLite's default automatic checkpoint, so only the thread copies it.
    write(1000);
    assert.equal(statSync(path).size, before, 'the served connection copied nothing');
    await eventually('the database file holds the rows', () => statSync(path).size > before + 900_000);
    await checkpoints.close();
    assert.deepEqual(errors, []);
    assert.equal(rows(), 1000);
    raw.close();
  });

  it('hand checkpoints back to the served connection, and say so, when the thread fails', async () => {
    const { path, raw, write, autocheckpoint } = walDatabase('fallback.db');
    const errors: Error[] = [];
    const checkpoints = checkpointInBackground(raw, path, { onError: (err) => errors.push(err), driver: join(dir, 'no-such-driver.js') });
    await eventually('the failure is reported', () => errors.length > 0);
    assert.equal(errors.length, 1);
    assert.equal(autocheckpoint(), DEFAULT_PAGES);
    // SQLite's own automatic checkpoint works again: past its 1,000 pages the file grows.
    const before = statSync(path).size;
    write(5000);
    assert.ok(statSync(path).size > before + 3_000_000, 'checkpointed by the served connection');
    await checkpoints.close();
    raw.close();
  });
});
