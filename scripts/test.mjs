// Runs every compiled test file (unit tests beside their code, end-to-end tests in test/) with
// node's own test runner. Node 20's runner takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return find(p);
    // Only tests whose source still exists: tsc never deletes the output of a moved or removed file.
    return e.name.endsWith('.test.js') && existsSync(p.replace(/^dist\//, '').replace(/\.js$/, '.ts')) ? [p] : [];
  });
}

const only = process.argv.slice(2);
const files = ['dist/src', 'dist/test'].flatMap(find).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  // node --test with no file would discover and run every test instead.
  console.error(`no compiled test file matches ${only.join(' ')}`);
  process.exit(1);
}
if (!process.env.DATABASE_URL_TEST) {
  console.log('DATABASE_URL_TEST is not set: store and end-to-end tests run on SQLite only.');
}
// One installation key for the whole run: test servers, CLI children and cluster nodes share it,
// as the nodes of one installation must.
process.env.ROSTER_SECRET_KEY ??= randomBytes(32).toString('base64');
const reporter = process.env.TEST_REPORTER ?? 'spec';
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', `--test-reporter=${reporter}`, '--test-concurrency=2', '--test-timeout=300000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
