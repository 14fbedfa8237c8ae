/**
 * What ships (scripts/bundle.mjs): `npm start` and the `roster` bin run one bundled file, the one the
 * tests' CLI fixture runs, and its stack traces still name roster's TypeScript sources.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI } from '../fixtures/cli.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { roster: string }; scripts: { start: string } };

describe('the bundle', () => {
  it('is what npm start, the roster bin and the tests run, with its hashing thread beside it', () => {
    const started = pkg.scripts.start.split(/\s+/).find((w, i) => i > 0 && !w.startsWith('-'));
    assert.equal(started, pkg.bin.roster);
    assert.equal(join(ROOT, pkg.bin.roster), CLI);
    // src/identity/passwords.ts finds the worker beside the module that starts it.
    assert.ok(existsSync(join(CLI, '..', 'password-worker.js')));
  });

  it('maps its frames in roster code to the TypeScript sources, and keeps no package sources', () => {
    const map = JSON.parse(readFileSync(`${CLI}.map`, 'utf8')) as { sources: string[] };
    assert.ok(map.sources.length > 50, `${map.sources.length} sources`);
    assert.deepEqual(
      map.sources.filter((s) => !/^\.\.\/\.\.\/src\/.+\.tsx?$/.test(s)),
      [],
    );
    // A frame as Node resolves it under --enable-source-maps (npm start's flag).
    const line = readFileSync(CLI, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith('function readSync('));
    assert.ok(line > 0, 'readSync is in the bundle');
    const probe = `
      import { findSourceMap } from 'node:module';
      process.on('exit', () => {
        const entry = findSourceMap(${JSON.stringify(pathToFileURL(CLI).href)})?.findEntry(${line}, 0);
        process.stderr.write('ENTRY ' + JSON.stringify(entry) + '\\n');
      });`;
    const { stderr } = spawnSync(process.execPath, ['--enable-source-maps', '--import', `data:text/javascript,${encodeURIComponent(probe)}`, CLI, 'help'], {
      encoding: 'utf8',
    });
    const entry = JSON.parse(/ENTRY (.*)/.exec(stderr)?.[1] ?? 'null') as { originalSource?: string } | null;
    assert.equal(entry?.originalSource, pathToFileURL(join(ROOT, 'src', 'store', 'sync.ts')).href, stderr);
  });
});
