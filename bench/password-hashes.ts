/**
 * Time of one verifyPasswordSync of each stored-hash format, at the parameters the systems people
 * import from use by default and at the upper limits roster accepts (FOREIGN_HASH_LIMITS), on
 * this machine. One verification at a time; the median of BENCH_RUNS (5).
 *
 *   npm run build && node dist/bench/password-hashes.js
 */
import { Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import bcryptjs from 'bcryptjs';

/** bcryptjs writes $2b$; the other versions differ only in their prefix. */
const bcryptHash = async (password: string, o: { cost: number; version: string }) =>
  (await bcryptjs.hash(password, o.cost)).replace(/^\$2b\$/, `$${o.version}$`);
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { cpus } from 'node:os';
import { FOREIGN_HASH_LIMITS, ROSTER_ARGON2, verifyPasswordSync } from '../src/identity/password-hashes.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PASSWORD = 'correct horse battery staple';
const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

function scryptPhc(ln: number, r: number, p: number): string {
  const salt = randomBytes(16);
  const N = 2 ** ln;
  const key = scryptSync(PASSWORD, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

function django(iterations: number, digest: 'sha256' | 'sha1'): string {
  const salt = randomBytes(16).toString('hex').slice(0, 22);
  const key = pbkdf2Sync(PASSWORD, salt, iterations, digest === 'sha256' ? 32 : 20, digest);
  return `pbkdf2_${digest}$${iterations}$${salt}$${key.toString('base64')}`;
}

const L = FOREIGN_HASH_LIMITS;
const cases: Array<[string, () => Promise<string> | string]> = [
  [
    `argon2id, roster's own (m=${ROSTER_ARGON2.memoryCost}, t=${ROSTER_ARGON2.timeCost}, p=${ROSTER_ARGON2.parallelism})`,
    () => argon2Hash(PASSWORD, ROSTER_ARGON2),
  ],
  ['argon2id, PHP default (m=65536, t=4, p=1)', () => argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 65536, timeCost: 4 })],
  [
    'argon2id, Django default (m=102400, t=2, p=8)',
    () => argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 102400, timeCost: 2, parallelism: 8 }),
  ],
  ['argon2i, PHP default (m=65536, t=4, p=1)', () => argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2i, memoryCost: 65536, timeCost: 4 })],
  [
    `argon2id at the limit (m=${L.argon2.maxMemoryKiB}, t=${L.argon2.maxWorkKiB / L.argon2.maxMemoryKiB}, p=1)`,
    () => argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: L.argon2.maxMemoryKiB, timeCost: L.argon2.maxWorkKiB / L.argon2.maxMemoryKiB }),
  ],
  ['bcrypt $2a$10$ (Laravel before 11)', () => bcryptHash(PASSWORD, { cost: 10, version: '2a' })],
  ['bcrypt $2a$11$ (Devise, Chatwoot)', () => bcryptHash(PASSWORD, { cost: 11, version: '2a' })],
  ['bcrypt $2y$12$ (Laravel 11+)', () => bcryptHash(PASSWORD, { cost: 12, version: '2y' })],
  [`bcrypt at the limit (cost ${L.bcrypt.maxCost})`, () => bcryptHash(PASSWORD, { cost: L.bcrypt.maxCost, version: '2b' })],
  ['scrypt, passlib default (ln=16, r=8, p=1)', () => scryptPhc(16, 8, 1)],
  ['scrypt at the memory limit (ln=18, r=8, p=1: 256 MiB)', () => scryptPhc(18, 8, 1)],
  ['scrypt at the work limit (ln=17, r=8, p=4)', () => scryptPhc(17, 8, 4)],
  ['pbkdf2_sha256, Django 4.2 (600,000)', () => django(600_000, 'sha256')],
  ['pbkdf2_sha256, Django 5.2 (1,000,000)', () => django(1_000_000, 'sha256')],
  [`pbkdf2_sha256 at the limit (${L.pbkdf2.maxIterations.toLocaleString('en')})`, () => django(L.pbkdf2.maxIterations, 'sha256')],
  ['pbkdf2_sha1 (1,000,000)', () => django(1_000_000, 'sha1')],
];

console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, median of ${RUNS}`);
for (const [name, make] of cases) {
  const stored = await make();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const ok = verifyPasswordSync(stored, PASSWORD);
    times.push(performance.now() - start);
    if (!ok) throw new Error(`${name}: the password did not verify`);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(60)} ${(times[Math.floor(times.length / 2)] ?? 0).toFixed(0).padStart(6)} ms`);
}
