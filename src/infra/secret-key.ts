/**
 * Where the installation's secret key comes from: ROSTER_SECRET_KEY, or on SQLite (one machine) a
 * key file beside the database, made with mode 0600 at first start. PostgreSQL serves many nodes,
 * which must all hold the same key, so there the key must be given: startup refuses to guess.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    // A rotation that stopped between its commit and the key file's swap left the new key staged:
    // it opens what that rotation sealed (see stageKeyFile).
    const staged = existsSync(`${path}.new`) ? [parseSecretKey(readFileSync(`${path}.new`, 'utf8'))] : [];
    return new SecretBox(parseSecretKey(readFileSync(path, 'utf8')), [...opts.previousSecretKeys, ...staged]);
  } catch (err) {
    throw new SecretKeyError(`the key file ${path} is unreadable: ${(err as Error).message}`);
  }
}

/**
 * For a key rotation on SQLite with a key file: writes the new key beside it as `<key file>.new`
 * (mode 0600) before the values are re-sealed, so that a rotation cut short after its commit still
 * has its key on disk (openSecretBox opens with it). Returns the staged file's path.
 */
export function stageKeyFile(databaseUrl: string, keyText: string): string {
  const path = keyFilePath(databaseUrl);
  if (!path) throw new SecretKeyError('an in-memory database has no key file to rotate');
  if (existsSync(`${path}.new`)) {
    throw new SecretKeyError(`${path}.new exists: a rotation did not finish. If the last rotation committed, move it over ${path}; otherwise remove it`);
  }
  writeFileSync(`${path}.new`, `${keyText.trim()}\n`, { mode: 0o600, flag: 'wx' });
  return `${path}.new`;
}

/** After the re-seal committed: the staged key becomes the key file. */
export function commitKeyFile(stagedPath: string): void {
  renameSync(stagedPath, stagedPath.replace(/\.new$/, ''));
}

/** The re-seal failed: nothing was written, the staged key goes. */
export function dropStagedKeyFile(stagedPath: string): void {
  rmSync(stagedPath, { force: true });
}
