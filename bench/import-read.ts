/**
 * The file half of `roster import users`, without the database: reads a generated users file with
 * readRows and checks every row with UserRows (duplicates included), then prints rows per second
 * and the process's peak RSS. The file is written once to the system's temp folder (not the repo)
 * and reused.
 *
 *   npm run build && node dist/bench/import-read.js      (IMPORT_ROWS=1000000, IMPORT_FORMAT=csv|jsonl)
 *
 * IMPORT_CHECK=0 only reads; IMPORT_FILE=<path> reads that file instead of a generated one.
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRows, type ImportFormat } from '../src/import/read.js';
import { UserRows } from '../src/import/rows.js';

const ROWS = Number(process.env.IMPORT_ROWS ?? 1_000_000);
const FORMAT = (process.env.IMPORT_FORMAT ?? 'csv') as ImportFormat;
const CHECK = process.env.IMPORT_CHECK !== '0';
const path = process.env.IMPORT_FILE ?? join(tmpdir(), `roster-import-bench-${ROWS}.${FORMAT}`);

const HASH = '$2a$11$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

async function generate(): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  if (FORMAT === 'csv') await write('email,name,lastName,password_hash,email_verified,external_id,created_at,accounts\n');
  for (let i = 0; i < ROWS; i++) {
    const email = `User.${i}@Example${i % 1000}.com`;
    const created = new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString();
    const accounts = i % 3 === 0 ? 'Sales:administrator;Support:agent' : `${(i % 50) + 1}:agent`;
    if (FORMAT === 'csv') {
      // Every tenth name is quoted, with a comma in it.
      const name = i % 10 === 0 ? `"Lee, Ann ${i}"` : `Ann ${i}`;
      await write(`${email},${name},Lee,${HASH},${i % 2 === 0 ? 'true' : 'no'},ext-${i},${created},"${accounts}"\n`);
    } else {
      await write(
        `${JSON.stringify({ email, name: `Ann ${i}`, lastName: 'Lee', password_hash: HASH, email_verified: i % 2 === 0, external_id: `ext-${i}`, created_at: created, accounts })}\n`,
      );
    }
  }
  out.end();
  await once(out, 'finish');
}

if (!existsSync(path)) {
  const t = performance.now();
  await generate();
  console.log(`generated ${path} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const bcrypt = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const rows = new UserRows({ checkHash: (h) => (bcrypt.test(h) ? undefined : 'is not a known hash format') });
let good = 0;
let failed = 0;
const start = performance.now();
for await (const item of readRows(path, FORMAT)) {
  if (item.error) failed++;
  else if (!CHECK) good++;
  else if (rows.check(item).row) good++;
  else failed++;
}
const seconds = (performance.now() - start) / 1000;
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
console.log(
  [
    `file: ${path} (${mib(statSync(path).size)} MiB, ${FORMAT}), ${CHECK ? 'read and checked' : 'read only'}`,
    `rows: ${good} good, ${failed} failed in ${seconds.toFixed(1)} s = ${Math.round((good + failed) / seconds).toLocaleString('en-US')} rows/s`,
    `peak RSS: ${mib(process.resourceUsage().maxRSS * 1024)} MiB; heap used at the end: ${mib(process.memoryUsage().heapUsed)} MiB`,
    `node ${process.version}`,
  ].join('\n'),
);
