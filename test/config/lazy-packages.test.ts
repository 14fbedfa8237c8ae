/**
 * Issue 15: `roster serve` on SQLite starts without the packages it does not use
 * (src/infra/lazy-require.ts): loading every module of the server and the CLI loads none of them.
 * Whatever loads a CommonJS-only package (an ESM import included) leaves it in require.cache; for
 * nodemailer and csv-parse, which also ship an ESM build, only a CommonJS load would show here.
 * Against the code before lazy loading this test names pg, ioredis, pino-pretty, the zxcvbn list
 * and cli-progress.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const DIST = join(import.meta.dirname, '..', '..', 'src');
const LAZY = ['pg', 'ioredis', 'nodemailer', 'pino-pretty', '@zxcvbn-ts/language-common', 'csv-parse', 'cli-progress'];

describe('packages loaded on first use', () => {
  it('are not loaded by the server and CLI modules', () => {
    // roster.js itself runs the CLI; every module it registers is imported here.
    const modules = [
      join(DIST, 'main.js'),
      join(DIST, 'app.js'),
      ...readdirSync(join(DIST, 'cli'))
        .filter((f) => f.endsWith('.js') && f !== 'roster.js')
        .map((f) => join(DIST, 'cli', f)),
    ].map((f) => pathToFileURL(f).href);
    const script = `
      import { createRequire } from 'node:module';
      for (const m of ${JSON.stringify(modules)}) await import(m);
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    // The check can fail: fastify is loaded the same way, so an eager package would show.
    assert.ok(
      loaded.some((f) => f.includes('/node_modules/fastify/')),
      'fastify should be in require.cache',
    );
    for (const pkg of LAZY)
      assert.deepEqual(
        loaded.filter((f) => f.includes(`/node_modules/${pkg}/`)),
        [],
        `${pkg} was loaded at start`,
      );
  });
});
