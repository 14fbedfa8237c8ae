import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { describe, it } from 'node:test';
import { withServer } from '../fixtures/server.js';

describe('roster serve on SQLite: the serving connection', () => {
  const srv = withServer('sqlite');

  it("keeps SQLite's temporary data in memory once it has migrated (temp_store = MEMORY, store/db.ts)", async () => {
    const { rows } = await sql<{ temp_store: number }>`pragma temp_store`.execute(srv.db.kysely);
    assert.deepEqual(rows, [{ temp_store: 2 }]);
  });
});
