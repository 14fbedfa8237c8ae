/**
 * The limit for sign-up (bench/run.ts): argon2id hashes at roster's stored parameters
 * (ROSTER_ARGON2), CONCURRENCY at a time, for SECONDS, in a process of its own with nothing else
 * to do. Prints one JSON line: { hashes, seconds, rate, cpuUs } (CPU time per hash).
 */
import { hash } from '@node-rs/argon2';
import { ROSTER_ARGON2 } from '../src/identity/password-hashes.js';

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);

async function main(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let hashes = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      while (performance.now() < end) {
        await hash(`Secure-Passphrase-${i}-${hashes}`, ROSTER_ARGON2);
        hashes++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ hashes, seconds, rate: hashes / seconds, cpuUs: (cpu.user + cpu.system) / hashes }));
}

void main();
