/**
 * Where the installation's secret key comes from: ROSTER_SECRET_KEY, or on SQLite (one machine) a
 * key file beside the database, made with mode 0600 at first start. PostgreSQL serves many nodes,
 * which must all hold the same key, so there the key must be given: startup refuses to guess.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDatabaseUrl } from '../store/db.js';
import { newSecretKeyText, parseSecretKey, SecretBox } from './secret-box.js';

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/** The key file of an SQLite database: `<database file>.key` beside it. */
export function keyFilePath(databaseUrl: string): string | undefined {
  const { kind, target } = parseDatabaseUrl(databaseUrl);
  if (kind !== 'sqlite' || target === ':memory:') return undefined;
  return join(dirname(resolve(target)), `${target.split(/[\\/]/).pop()}.key`);
}

export function openSecretBox(opts: { databaseUrl: string; secretKey: Buffer | undefined; previousSecretKeys: Buffer[] }): SecretBox {
  if (opts.secretKey) return new SecretBox(opts.secretKey, opts.previousSecretKeys);
  const { kind, target } = parseDatabaseUrl(opts.databaseUrl);
  if (kind === 'postgres') {
    throw new SecretKeyError(
      'ROSTER_SECRET_KEY is required with PostgreSQL: every node must hold the same key (32 bytes, hex or base64; `openssl rand -base64 32` makes one)',
    );
  }
  // An in-memory database lives as long as the process: so does its key.
  if (target === ':memory:') return new SecretBox(parseSecretKey(newSecretKeyText()), opts.previousSecretKeys);
  const path = keyFilePath(opts.databaseUrl)!;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    // 'wx': of two processes starting together, one writes the key and the other reads it.
    try {
      writeFileSync(path, `${newSecretKeyText()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  chmodSync(path, 0o600);
  try {
    return new SecretBox(parseSecretKey(readFileSync(path, 'utf8')), opts.previousSecretKeys);
  } catch (err) {
    throw new SecretKeyError(`the key file ${path} is unreadable: ${(err as Error).message}`);
  }
}
