/**
 * `roster import` on SQLite: 100,000 users with bcrypt hashes (kept as they are, never verified)
 * and 1,000,000 widget users, each run in a child process of its own on a fresh database, so that
 * its peak RSS is its own. Prints rows per second, the time, and the child's peak RSS.
 *
 *   npm run bench:import
 *
 * Knobs: IMPORT_USERS (100000), IMPORT_WIDGET_USERS (1000000), IMPORT_BATCH (1000; a comma list,
 * e.g. 250,500,1000,2000, runs the users import once per size), IMPORT_ONLY=users|widget,
 * IMPORT_RERUN=1 (also time a second run of the same users file: every row unchanged).
 * The files are generated once in the system's temp folder and reused; the databases are removed.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { openSecretBox } from '../src/infra/secret-key.js';
import { buildServices } from '../src/services.js';
import { openDb } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';

const USERS = Number(process.env.IMPORT_USERS ?? 100_000);
const WIDGET_USERS = Number(process.env.IMPORT_WIDGET_USERS ?? 1_000_000);
const BATCHES = (process.env.IMPORT_BATCH ?? '1000').split(',').map(Number);
const ONLY = process.env.IMPORT_ONLY;
const RERUN = process.env.IMPORT_RERUN === '1';

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A well-formed bcrypt hash of cost 11 (Devise's), random: the import keeps it and never verifies it. */
function bcryptLike(): string {
  const bytes = randomBytes(53);
  const chars = [...bytes].map((b) => BCRYPT_ALPHABET[b % 64]!);
  // The unused trailing bits of the salt and the hash are zero, as bcrypt writes them.
  chars[21] = BCRYPT_ALPHABET[(bytes[21]! % 4) * 16]!;
  chars[52] = BCRYPT_ALPHABET[(bytes[52]! % 16) * 4]!;
  return `$2a$11$${chars.join('')}`;
}

async function writeFile(path: string, lines: (i: number) => string, n: number, header?: string): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  if (header) await write(`${header}\n`);
  for (let i = 0; i < n; i++) await write(lines(i));
  out.end();
  await once(out, 'finish');
}

async function usersFile(): Promise<string> {
  const path = join(tmpdir(), `roster-bench-import-users-${USERS}.csv`);
  if (!existsSync(path)) {
    await writeFile(
      path,
      (i) =>
        `user.${i}@example${i % 1000}.com,${i % 10 === 0 ? `"Lee, Ann ${i}"` : `Ann ${i}`},Lee,${bcryptLike()},${i % 2 === 0 ? 'true' : 'false'},ext-${i},2020-01-01T00:00:00Z,${i % 3 === 0 ? 'Sales:administrator;Support:agent' : ''}\n`,
      USERS,
      'email,name,lastName,password_hash,email_verified,external_id,created_at,accounts',
    );
  }
  return path;
}

async function widgetFile(): Promise<string> {
  const path = join(tmpdir(), `roster-bench-import-widget-${WIDGET_USERS}.csv`);
  if (!existsSync(path))
    await writeFile(path, (i) => `visitor-${i},Visitor ${i},${i % 4 === 0 ? '' : String(10_000_000 + i)}\n`, WIDGET_USERS, 'id,names,legalId');
  return path;
}

interface Result {
  what: string;
  rows: number;
  seconds: number;
  /** The child's own user + system CPU time during the run. */
  cpuSeconds: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  maxRssMiB: number;
  dbMiB: number;
}

/** In the child: one import on a fresh SQLite database. */
async function child(what: 'users' | 'widget', file: string, batchSize: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-import-'));
  const url = `sqlite:${join(dir, 'roster.db')}`;
  const config = loadConfig({ DATABASE_URL: url, ROSTER_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'silent', SEED_DEMO: 'false' });
  const db = openDb(url);
  try {
    await migrateToLatest(db);
    const s = buildServices({ db, config, secrets: openSecretBox(config) });
    const company = await s.companies.create({ code: 'bench', name: 'Bench' });
    const now = new Date().toISOString();
    for (const name of ['Sales', 'Support']) {
      await db.kysely
        .insertInto('accounts')
        .values({
          company_id: company.id,
          name,
          locale: 'en',
          domain: null,
          support_email: null,
          status: 'active',
          features: '[]',
          limits: '{}',
          custom_attributes: '{}',
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await s.credentials.createWidgetClient({ companyCode: 'bench', botName: 'Bench Bot' });
    const runs = what === 'users' && RERUN ? 2 : 1;
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const report =
        what === 'users'
          ? await s.imports.users({ companyCode: 'bench', source: file, batchSize })
          : await s.imports.widgetUsers({ companyCode: 'bench', bot: 'Bench Bot', source: file, batchSize });
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      const result: Result = {
        what: `${what === 'users' ? 'users (bcrypt kept)' : 'widget users'}${r === 1 ? ', second run' : ''}, batch ${batchSize}`,
        rows: report.created + report.updated + report.unchanged + report.failed.length,
        seconds,
        cpuSeconds: (used.user + used.system) / 1e6,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report.failed.length,
        maxRssMiB: Math.round((process.resourceUsage().maxRSS * 1024) / 1024 / 1024),
        dbMiB: Math.round(statSync(join(dir, 'roster.db')).size / 1024 / 1024),
      };
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [mode, what, file, batch] = process.argv.slice(2);
  if (mode === '--child') return child(what as 'users' | 'widget', file!, Number(batch));

  const self = fileURLToPath(import.meta.url);
  const runs: Array<[string, string, number]> = [];
  if (ONLY !== 'widget') for (const b of BATCHES) runs.push(['users', await usersFile(), b]);
  if (ONLY !== 'users') runs.push(['widget', await widgetFile(), BATCHES.includes(1000) ? 1000 : BATCHES[0]!]);
  const rows: Result[] = [];
  for (const [what, file, b] of runs) {
    const r = spawnSync(process.execPath, ['--enable-source-maps', self, '--child', what, file, String(b)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`the ${what} child failed (${r.status})`);
    for (const line of r.stdout.trim().split('\n')) {
      const result = JSON.parse(line) as Result;
      rows.push(result);
      console.log(
        `${result.what}: ${result.rows.toLocaleString('en-US')} rows in ${result.seconds.toFixed(1)} s = ${Math.round(result.rows / result.seconds).toLocaleString('en-US')} rows/s (CPU ${result.cpuSeconds.toFixed(1)} s); created ${result.created}, updated ${result.updated}, unchanged ${result.unchanged}, failed ${result.failed}; peak RSS ${result.maxRssMiB} MiB; database ${result.dbMiB} MiB`,
      );
    }
  }
  console.log(
    `node ${process.version}; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

await main();
