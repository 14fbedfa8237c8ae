import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Emails and SCIM userName keys in Unicode NFC (identity/email.ts normalizeEmail, scim/resources.ts
 * userNameKey): before, "é" precomposed and "e" plus a combining accent were two different keys, so
 * the same-looking address could make two accounts. Stored keys are brought to NFC here, since
 * every lookup now normalizes what it is given.
 *
 * Only text with a non-ASCII character can change (ASCII is always NFC): `length` counts
 * characters and `octet_length` bytes on both stores, so those rows are found without reading the
 * rest. A key whose NFC form another row already holds (a duplicate made before this migration)
 * is left as it was: merging two accounts is not a migration's call. That row keeps working by
 * id (SCIM, Chatwoot), and `docs/operations.md` says how to find such pairs. A user's SCIM
 * userName is their `user_name_key`, or their email when they have none (store/scim.ts): so an
 * email is not rewritten onto another user's userName key in its company, nor a userName key onto
 * the email of a user of the company without one.
 */
export function unicodeKeys() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await toNfc(
        db,
        'users',
        'email',
        (row, nfc) => sql`select id from users where email = ${nfc} or (company_id = ${row.company_id} and user_name_key = ${nfc})`,
      );
      await toNfc(db, 'operators', 'email', (_row, nfc) => sql`select id from operators where email = ${nfc}`);
      await toNfc(
        db,
        'users',
        'user_name_key',
        (row, nfc) => sql`select id from users where company_id = ${row.company_id} and (user_name_key = ${nfc} or (user_name_key is null and email = ${nfc}))`,
      );
    },
  };
}

interface KeyRow {
  id: unknown;
  value: string;
  company_id?: unknown;
}

/** Rewrites `column` of `table` to NFC where that changes it and `taken` (the rows already holding the new key) finds none. */
async function toNfc(
  db: Kysely<unknown>,
  table: 'users' | 'operators',
  column: 'email' | 'user_name_key',
  taken: (row: KeyRow, nfc: string) => RawBuilder<unknown>,
): Promise<void> {
  const t = sql.table(table);
  const c = sql.ref(column);
  const rows = await sql<KeyRow>`select id, ${c} as value${sql.raw(table === 'users' ? ', company_id' : '')} from ${t}
    where ${c} is not null and length(${c}) <> octet_length(${c})`.execute(db);
  for (const row of rows.rows) {
    const nfc = row.value.normalize('NFC');
    if (nfc === row.value) continue;
    if ((await taken(row, nfc).execute(db)).rows.length > 0) continue;
    await sql`update ${t} set ${c} = ${nfc} where id = ${row.id}`.execute(db);
  }
}
