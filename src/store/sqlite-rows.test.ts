import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rowBuilder, rowStatement, type SchemaGeneration } from './sqlite-rows.js';

/**
 * better-sqlite3's objects must never be garbage collected (src/store/db.ts, pinnedStatements: on
 * Node >= 24.19 a collected Statement or Database aborts the process). Every one made here is kept.
 */
const NEVER_COLLECTED: unknown[] = [];
const keep = <T>(x: T): T => {
  NEVER_COLLECTED.push(x);
  return x;
};

describe('rowStatement', () => {
  let db: Database.Database;
  let schema: SchemaGeneration;
  /** Prepared once per SQL text, as db.ts does. */
  const prepared = new Map<string, { plain: Database.Statement; rows: ReturnType<typeof rowStatement> }>();
  const entry = (sqlText: string) => {
    let e = prepared.get(sqlText);
    if (!e) {
      const plain = keep(db.prepare(sqlText));
      prepared.set(sqlText, (e = { plain, rows: rowStatement(plain, schema) }));
    }
    return e;
  };
  const prepare = (sqlText: string) => entry(sqlText).rows;
  /** better-sqlite3's own rows for the same statement: what every row must equal. */
  const own = (sqlText: string, parameters: unknown[] = []) => keep(db.prepare(sqlText)).all(parameters);

  before(() => {
    db = keep(new Database(':memory:'));
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
      'select id as "1", name as "01", score as "" from t order by id',
      'select count(*) from t',
      'select * from t where id = ?',
      'pragma table_info(t)',
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
      // And again after iterate: all() is back in raw mode.
      assert.deepStrictEqual(prepare(text).all(parameters), own(text, parameters), `${text} (after iterate)`);
    }
  });

  it('reads rows as arrays from better-sqlite3 (raw mode), not as its objects', () => {
    const text = 'select id, name from t where id = 1';
    prepare(text).all([]);
    assert.deepStrictEqual(entry(text).plain.all(), [[1, 'a']]);
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
    // After leading comments, and read first through iterate.
    prepare('/* back */ -- as it was\n alter table t rename column remark to note').run([]);
    assert.deepStrictEqual([...prepare(all).iterate([])], own(all));
    assert.deepStrictEqual(prepare(all).all([]), own(all));
  });

  it('names the columns again after a ROLLBACK undoes a schema change', () => {
    const all = 'select * from t where id = 2';
    prepare(all).all([]);
    prepare('begin').run([]);
    prepare('alter table t rename column note to remark').run([]);
    assert.deepStrictEqual(prepare(all).all([]), own(all));
    prepare('rollback').run([]);
    assert.deepStrictEqual(prepare(all).all([]), own(all));
    assert.deepStrictEqual(Object.keys(prepare(all).all([])[0] as object), ['id', 'name', 'score', 'data', 'note']);
  });

  it('keeps better-sqlite3 rows for a column named __proto__ (whose treatment differs by Node version)', () => {
    for (const text of ['select null as "__proto__", 2 as b', 'select 1 as "__proto__", 2 as b']) {
      const [row] = prepare(text).all([]);
      const [theirs] = own(text);
      assert.deepStrictEqual(row, theirs, text);
      assert.equal(Object.getPrototypeOf(row), Object.getPrototypeOf(theirs), text);
    }
  });
});

describe('rowStatement, another connection changes the schema', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'roster-rows-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const first of ['all', 'iterate'] as const) {
    it(`names a column another process added (read first with ${first})`, () => {
      const file = join(dir, `${first}.db`);
      const mine = keep(new Database(file));
      const theirs = keep(new Database(file));
      mine.exec("create table t (id integer primary key, a text); insert into t values (1, 'x')");
      const stmt = rowStatement(keep(mine.prepare('select * from t')), { value: 0 });
      assert.deepStrictEqual(stmt.all([]), [{ id: 1, a: 'x' }]);
      theirs.exec("alter table t add column b text default 'y'");
      const read = () => (first === 'all' ? stmt.all([]) : [...stmt.iterate([])]);
      assert.deepStrictEqual(read(), [{ id: 1, a: 'x', b: 'y' }]);
      assert.deepStrictEqual(stmt.all([]), [{ id: 1, a: 'x', b: 'y' }]);
      assert.deepStrictEqual([...stmt.iterate([])], [{ id: 1, a: 'x', b: 'y' }]);
      mine.close();
      theirs.close();
    });
  }
});

describe('rowBuilder', () => {
  it('quotes any name as a plain key', () => {
    const names = ['a', 'b c', 'd"e', 'f\\g', 'h\ni', '\u2028', '1', 'constructor', 'toString'];
    const row = rowBuilder(names)!(names.map((_, i) => i));
    assert.deepStrictEqual(Object.keys(row), ['1', 'a', 'b c', 'd"e', 'f\\g', 'h\ni', '\u2028', 'constructor', 'toString']);
    assert.deepStrictEqual(
      names.map((n) => row[n]),
      names.map((_, i) => i),
    );
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
  });

  it('answers none where code cannot be generated from strings, and the rows stay better-sqlite3 objects', () => {
    const db = keep(new Database(':memory:'));
    const real = globalThis.Function;
    // What node --disallow-code-generation-from-strings does to `new Function`.
    globalThis.Function = function () {
      throw new EvalError('Code generation from strings disallowed for this context');
    } as unknown as FunctionConstructor;
    try {
      assert.equal(rowBuilder(['a']), undefined);
      const stmt = rowStatement(keep(db.prepare("select 1 as a, 'b' as b")), { value: 0 });
      assert.deepStrictEqual(stmt.all([]), [{ a: 1, b: 'b' }]);
    } finally {
      globalThis.Function = real;
      db.close();
    }
  });
});
