/** Shared by the import tests: password hashes as other systems store them, files in a temp folder, rows and events. */
import { Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import bcryptjs from 'bcryptjs';
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Db } from '../../src/store/db.js';

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** What Devise (bcrypt-ruby) stores: `$2a$`, cost 11 (Chatwoot's and Rails' default outside tests). */
export function deviseBcrypt(password: string, cost = 11): string {
  return bcryptjs.hashSync(password, bcryptjs.genSaltSync(cost).replace(/^\$2b\$/, '$2a$'));
}

/** argon2id as argon2-cffi (Django, passlib) writes it with its defaults: m=64 MiB, t=3, p=4. */
export function foreignArgon2id(password: string): Promise<string> {
  return argon2Hash(password, { algorithm: Algorithm.Argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 });
}

/** scrypt in passlib's PHC form (ln=14: N = 16384, r=8, p=1). */
export function passlibScrypt(password: string, ln = 14): string {
  const salt = randomBytes(16);
  const N = 2 ** ln;
  const key = scryptSync(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 });
  return `$scrypt$ln=${ln},r=8,p=1$${b64(salt)}$${b64(key)}`;
}

/** Django's PBKDF2-SHA256 hasher (fewer iterations than Django's default, to keep the test quick). */
export function djangoPbkdf2(password: string, iterations = 60_000): string {
  const salt = randomBytes(9).toString('hex');
  return `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64')}`;
}

/** A temp folder for the enclosing describe's files, removed after it. */
export function tempFiles(): { write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'roster-import-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/** A CSV field, quoted when it needs to be. */
export const csvField = (v: string | number | boolean | null | undefined): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** A CSV file: the header, then one line per row. */
export function csv(columns: string[], rows: Array<Record<string, string | number | boolean | null | undefined>>): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}

export const countRows = async (
  db: Db,
  table: 'users' | 'events' | 'widget_users' | 'rooms' | 'room_members' | 'account_users' | 'accounts' | 'import_links',
) =>
  Number(
    (
      await db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

export const userByEmail = (db: Db, email: string) => db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

export async function insertAccount(db: Db, companyId: number, name: string, id?: number): Promise<number> {
  const now = new Date().toISOString();
  const row = await db.kysely
    .insertInto('accounts')
    .values({
      ...(id !== undefined && { id }),
      company_id: companyId,
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
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
