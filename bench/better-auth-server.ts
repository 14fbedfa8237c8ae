/**
 * The comparison for roster's sign-up (bench/run.ts): better-auth (the pinned devDependency, 1.7)
 * doing its email sign-up on SQLite, as its documentation sets it up and nothing more:
 *
 * - `emailAndPassword` on, with better-auth's default password hashing (whatever the pinned
 *   version ships: that is the point of the comparison) and its default auto sign-in (a session
 *   row and cookie per sign-up);
 * - a better-sqlite3 Database handed to better-auth directly (its Kysely adapter), opened with
 *   roster's pragmas (WAL, synchronous NORMAL), its tables created at start by its programmatic
 *   migrations (`getMigrations(...).runMigrations()`);
 * - served on node:http through `toNodeHandler` at /api/auth/*: a sign-up is
 *   POST /api/auth/sign-up/email with JSON { email, password, name };
 * - no email verification, no rate limiting (the bench measures sign-up, not its limiter), and no
 *   telemetry (this machine has no internet; BETTER_AUTH_TELEMETRY=0 is set by bench/run.ts too).
 *
 * Env: PORT, DB (the SQLite file, created if missing). Any other path answers 200, for the
 * health check. Started by bench/run.ts as a child process; not part of roster.
 */
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import Database from 'better-sqlite3';
import { createServer } from 'node:http';

const env = (name: string) => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`better-auth server: ${name} is not set`);
  return v;
};
const port = Number(env('PORT'));

const db = new Database(env('DB'));
// roster's own SQLite settings (src/store/db.ts), so that both sides write the same way.
db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');

const options = {
  database: db,
  baseURL: `http://127.0.0.1:${port}`,
  // A fixed secret: the bench's sessions are thrown away with the database.
  secret: 'bench-only-secret-not-used-anywhere-else-0123456789',
  emailAndPassword: { enabled: true, requireEmailVerification: false },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
};

async function main(): Promise<void> {
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const auth = betterAuth(options);
  const handler = toNodeHandler(auth);
  createServer((req, res) => {
    if (req.url?.startsWith('/api/auth/')) return void handler(req, res);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  }).listen(port, '127.0.0.1');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
