/**
 * The Node.js flags `npm start` runs `roster serve` with (package.json's start script), so that
 * the benchmarks measure the server as it is run: `node <flags> dist/src/cli/roster.js serve`.
 * Only `--flag` and `--flag=value` forms are taken (a flag whose value is a separate word is not).
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };

export const SERVE_NODE_FLAGS: string[] = pkg.scripts.start
  .split(/\s+/)
  .slice(1)
  .filter((arg) => arg.startsWith('--'));
