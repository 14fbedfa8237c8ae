/** `roster import` as a command: its output, exit codes and errors, run as a child process. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runCli } from '../fixtures/cli.js';
import { createTestDatabase, forEachStore, type TestDatabase } from '../fixtures/databases.js';
import { TEST_SECRET_KEY } from '../fixtures/services.js';
import { deviseBcrypt, tempFiles } from './helpers.js';

forEachStore('roster import (CLI)', (kind) => {
  let db: TestDatabase;
  const files = tempFiles();
  const roster = (...args: string[]) => runCli(args, { DATABASE_URL: db.url, ROSTER_SECRET_KEY: TEST_SECRET_KEY });

  before(async () => {
    db = await createTestDatabase(kind);
    assert.equal((await roster('company', 'create', '--code', 'acme', '--name', 'Acme')).code, 0);
    assert.equal((await roster('client', 'create', '--company', 'acme', '--bot', 'Acme Bot')).code, 0);
  });
  after(() => db.drop());

  it('--json prints {created, updated, unchanged, failed}; exit 2 when rows failed, 0 when none did', async () => {
    const good = `a@acme.test,${deviseBcrypt('x', 4)}`;
    const path = files.write('users.csv', `email,password_hash\n${good}\nbroken,\n`);
    const first = await roster('import', 'users', '--company', 'acme', '--file', path, '--json');
    assert.equal(first.code, 2, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), {
      created: 1,
      updated: 0,
      unchanged: 0,
      failed: [{ line: 3, field: 'email', message: 'is not a valid email address' }],
    });
    assert.match(first.stderr, /^roster: import run imp_[0-9a-f]{16} /m);
    assert.doesNotMatch(first.stderr, /rows\/s/, 'no progress bar when stderr is not a terminal');
    const clean = files.write('clean.csv', `email,password_hash\n${good}\n`);
    const second = await roster('import', 'users', '--company', 'acme', '--file', clean);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'created 0, updated 0, unchanged 1, failed 0\n');
  });

  it('--dry-run writes nothing and says so', async () => {
    const path = files.write('dry.jsonl', '{"email":"dry@acme.test"}\n');
    const dry = await roster('import', 'users', '--company', 'acme', '--file', path, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, 'dry run, nothing written: would create 1, would update 0, unchanged 0, failed 0\n');
    const real = await roster('import', 'users', '--company', 'acme', '--file', path, '--json');
    assert.equal(JSON.parse(real.stdout).created, 1, 'the dry run left it to be created');
  });

  it('imports widget users into a bot', async () => {
    const path = files.write('widget.csv', 'id,names,legalId\nw-1,Ann,123\nw-2,Bob,\n');
    const r = await roster('import', 'widget-users', '--company', 'acme', '--bot', 'Acme Bot', '--file', path, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { created: 2, updated: 0, unchanged: 0, failed: [] });
  });

  it('explains what it cannot run on stderr, with exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['import', 'users', '--company', 'acme', '--file', '/nonexistent/users.csv'], /^roster: Cannot read the file/],
      [['import', 'users', '--company', 'acme', '--file', files.write('users.txt', 'email\n')], /Say the format \(csv or jsonl\)/],
      [['import', 'users', '--company', 'nope', '--file', files.write('u.csv', 'email\n')], /no company with code "nope"/],
      [['import', 'users', '--company', 'acme', '--file', 'x.csv', '--format', 'xml'], /must be csv or jsonl/],
      [['import', 'widget-users', '--company', 'acme', '--bot', 'Nobody', '--file', files.write('w.csv', 'id,names\n')], /has no bot named "Nobody"/],
      [['import', 'chatwoot', '--company', 'acme', '--from', 'mysql://x'], /must be a postgres:\/\/ or postgresql:\/\/ URL/],
      [
        ['import', 'chatwoot', '--company', 'acme', '--from', 'postgres://nobody:secret@127.0.0.1:1/chatwoot'],
        /^roster: cannot connect to the Chatwoot database postgres:\/\/nobody:\*\*\*@/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await roster(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /secret/);
    }
  });
});
