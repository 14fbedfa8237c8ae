/**
 * What ships (scripts/bundle.mjs): `npm start` and the `roster` bin run one bundled file, the one the
 * tests' CLI fixture runs, and its stack traces still name roster's TypeScript sources; `npm start`'s
 * Node flags bound the young generation (docs/operations.md).
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
/** The Node flags `npm start` passes. */
const START_FLAGS = pkg.scripts.start.split(/\s+/).filter((w) => w.startsWith('--'));

/**
 * The largest the young generation (V8's new space) grows to under `flags`, in MiB, in a process
 * that allocates 4 million objects and keeps the last 50,000 alive: enough surviving each
 * collection that V8 grows the new space to its limit.
 */
function youngGenerationMiB(flags: string[]): number {
  const probe = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const ring = new Array(50000);
    let peak = 0;
    for (let i = 0; i < 4e6; i++) {
      ring[i % ring.length] = { n: i, s: 'x' + i };
      if (i % 100000 === 0) peak = Math.max(peak, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
    }
    process.stdout.write(String(peak / 1048576));`;
  const { stdout, stderr } = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', probe], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  assert.match(stdout, /^\d+(\.\d+)?$/, stderr);
  return Number(stdout);
}

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

  it("runs with npm start's flags bounding the young generation to 16 MiB (two 8 MiB semi-spaces)", () => {
    assert.ok(START_FLAGS.includes('--max-semi-space-size=8'), pkg.scripts.start);
    // The probe reaches a larger limit when it has one, so it can tell. (Not Node's own default as
    // the control: V8 scales that with the memory it sees, and on a small host it may be 8 MiB.)
    assert.ok(youngGenerationMiB(['--max-semi-space-size=32']) > 16);
    assert.ok(youngGenerationMiB(START_FLAGS) <= 16);
  });
});
