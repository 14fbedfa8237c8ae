// Bundles the compiled server (dist/src, tsc's output) into dist/bundle: the `roster` CLI and the
// password-hashing thread, each one ES module. `npm start` and the `roster` bin run the bundle.
//
// Why (issue 15): `roster serve` loaded ~1,400 files at start (kysely alone 264, typebox 201), and
// resolving, reading and compiling them was most of its start-up time and ~20 MiB of its memory.
// One file starts in about half the time. esbuild does the bundling: it is fast (under a second),
// keeps tsc's source maps (stack traces still name src/*.ts with --enable-source-maps) and needs no
// configuration file.
//
// Left out of the bundle, and loaded from node_modules as before:
// - native addons: better-sqlite3, @node-rs/argon2, @node-rs/bcrypt;
// - packages that find files of their own beside their code (__dirname): piscina (its worker).
//   @fastify/swagger and @fastify/swagger-ui are bundled (40 to 50 ms less start-up than loaded
//   from node_modules: bench/README.md, round fifteen): the first reads its package.json only for
//   defaults roster gives (a failed read is caught), the second is given its static folder and
//   logo (src/infra/api-reference.ts);
// - packages loaded on first use only (src/infra/lazy-require.ts): they stay out of start-up.
import { decode, encode } from '@jridgewell/sourcemap-codec';
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist', 'bundle');

export const EXTERNAL = [
  'better-sqlite3',
  '@node-rs/argon2',
  '@node-rs/bcrypt',
  'piscina',
  // lazyRequire'd (src/infra/lazy-require.ts): named here too, so that no static import bundles them.
  'pg',
  'pg-connection-string',
  'ioredis',
  'nodemailer',
  'pino-pretty',
  '@zxcvbn-ts/language-common',
  'csv-parse',
  'cli-progress',
];

rmSync(OUT, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: {
    roster: 'dist/src/cli/roster.js',
    // Beside roster.js: passwords.ts finds it as new URL('./password-worker.js', import.meta.url).
    'password-worker': 'dist/src/identity/password-worker.js',
  },
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  external: EXTERNAL,
  // Bundled CommonJS code calls require() for Node's own modules; an ES module has none.
  banner: { js: "import { createRequire as __rosterCreateRequire } from 'node:module'; const require = __rosterCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});

// The source map keeps roster's own code only. Node parses the whole map at start under
// --enable-source-maps, and the mappings of ~950 package files cost ~15 MiB of memory for stack
// frames that would name a package's file anyway: those frames keep the bundle's line numbers.
for (const name of ['roster.js.map', 'password-worker.js.map']) {
  const file = join(OUT, name);
  const map = JSON.parse(readFileSync(file, 'utf8'));
  // Old source index -> new one, for roster's own sources.
  const kept = new Map();
  const sources = [];
  map.sources.forEach((source, i) => {
    if (source.includes('node_modules/')) return;
    kept.set(i, sources.length);
    sources.push(source);
  });
  // A segment is [column] or [column, source, line, column(, name)].
  const lines = decode(map.mappings).map((line) =>
    line.filter((seg) => seg.length > 1 && kept.has(seg[1])).map((seg) => [seg[0], kept.get(seg[1]), ...seg.slice(2)]),
  );
  writeFileSync(file, JSON.stringify({ ...map, sources, mappings: encode(lines) }));
}
