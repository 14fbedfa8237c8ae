import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rowBuilder, rowStatement, type SchemaGeneration } from './sqlite-rows.js';

describe('rowStatement', () => {
  let db: Database.Database;
  let schema: SchemaGeneration;
  /** Prepared once per SQL text, as db.ts does. */
  const prepared = new Map<string, ReturnType<typeof rowStatement>>();
  const prepare = (sqlText: string) => {
    let stmt = prepared.get(sqlText);
    if (!stmt) prepared.set(sqlText, (stmt = rowStatement(db.prepare(sqlText), schema)));
    return stmt;
  };
  /** better-sqlite3's own rows for the same statement: what every row must equal. */
  const own = (sqlText: string, parameters: unknown[] = []) => db.prepare(sqlText).all(parameters);

  before(() => {
    db = new Database(':memory:');
    schema = { value: 0 };
    db.exec(`create table t (id integer primary key, name text, score real, data blob, note text);
      insert into t values (1, 'a', 1.5, x'00ff', null), (2, 'b"\\q', -2, null, 'ünï'), (3, 'c', 9007199254740991, x'', '');`);
  });
  after(() => db.close());

  it('answers the same rows as better-sqlite3, keys in the same order', () => {
    for (const text of [
      'select * from t order by id',
      'select name, id, note as "odd "" key", score from t where id > ? order by id desc',
      // A repeated name: first position, last value, as better-sqlite3's objects have it.
      'select id as x, name as x, score from t order by id',
      'select count(*) from t',
      'select * from t where id = ?',
    ]) {
      const parameters = text.includes('?') ? [1] : [];
      const rows = prepare(text).all(parameters);
      assert.deepStrictEqual(rows, own(text, parameters), text);
      assert.deepStrictEqual(
        rows.map((r) => Object.keys(r as object)),
        own(text, parameters).map((r) => Object.keys(r as object)),
        text,
      );
      assert.deepStrictEqual([...prepare(text).iterate(parameters)], own(text, parameters), `${text} (iterate)`);
    }
  });

  it('writes through, and answers rows from RETURNING', () => {
    const insert = prepare("insert into t (id, name) values (?, 'r') returning id, name, note");
    assert.equal(insert.reader, true);
    assert.deepStrictEqual(insert.all([10]), [{ id: 10, name: 'r', note: null }]);
    const update = prepare('update t set note = ? where id = ?');
    assert.equal(update.reader, false);
    assert.equal(update.run(['n', 10]).changes, 1);
    assert.deepStrictEqual(prepare('select note from t where id = ?').all([10]), [{ note: 'n' }]);
    prepare('delete from t where id = ?').run([10]);
  });

  it('names the columns a schema change gives `select *` (DDL through this connection)', () => {
    const all = 'select * from t where id = 1';
    assert.deepStrictEqual(Object.keys(prepare(all).all([])[0] as object), ['id', 'name', 'score', 'data', 'note']);
    prepare('alter table t rename column note to remark').run([]);
    assert.deepStrictEqual(prepare(all).all([]), own(all));
    assert.deepStrictEqual(Object.keys(prepare(all).all([])[0] as object), ['id', 'name', 'score', 'data', 'remark']);
    prepare('alter table t rename column remark to note').run([]);
    assert.deepStrictEqual(prepare(all).all([]), own(all));
  });

  it('keeps better-sqlite3 rows for a column named __proto__', () => {
    const text = 'select 1 as "__proto__", 2 as b';
    assert.deepStrictEqual(prepare(text).all([]), own(text));
  });
});

describe('rowStatement, another connection changes the schema', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'roster-rows-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names a column another process added', () => {
    const file = join(dir, 'x.db');
    const mine = new Database(file);
    const theirs = new Database(file);
    mine.exec('create table t (id integer primary key, a text); insert into t values (1, ?)'.replace('?', "'x'"));
    const stmt = rowStatement(mine.prepare('select * from t'), { value: 0 });
    assert.deepStrictEqual(stmt.all([]), [{ id: 1, a: 'x' }]);
    theirs.exec("alter table t add column b text default 'y'");
    assert.deepStrictEqual(stmt.all([]), [{ id: 1, a: 'x', b: 'y' }]);
    assert.deepStrictEqual([...stmt.iterate([])], [{ id: 1, a: 'x', b: 'y' }]);
    mine.close();
    theirs.close();
  });
});

describe('rowBuilder', () => {
  it('quotes any name as a plain key', () => {
    const names = ['a', 'b c', 'd"e', 'f\\g', 'h\ni', '1', 'constructor', 'toString'];
    const row = rowBuilder(names)(names.map((_, i) => i));
    assert.deepStrictEqual(Object.keys(row), ['1', 'a', 'b c', 'd"e', 'f\\g', 'h\ni', 'constructor', 'toString']);
    assert.deepStrictEqual(
      names.map((n) => row[n]),
      names.map((_, i) => i),
    );
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
  });
});
