import { sql, type Kysely } from 'kysely';

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
 * id (SCIM, Chatwoot), and `docs/operations.md` says how to find such pairs.
 */
export function unicodeKeys() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await toNfc(db, 'users', 'email', []);
      await toNfc(db, 'operators', 'email', []);
      await toNfc(db, 'users', 'user_name_key', ['company_id']);
    },
  };
}

/** Rewrites `column` of `table` to NFC where that changes it and no other row (with the same `scope` columns) holds the new value. */
async function toNfc(db: Kysely<unknown>, table: string, column: string, scope: string[]): Promise<void> {
  const t = sql.table(table);
  const c = sql.ref(column);
  const scopeRefs = scope.map((s) => sql.ref(s));
  const rows = await sql<Record<string, unknown>>`select id, ${c} as value${sql.raw(scope.map((s) => `, ${s}`).join(''))} from ${t}
    where ${c} is not null and length(${c}) <> octet_length(${c})`.execute(db);
  for (const row of rows.rows) {
    const value = row.value as string;
    const nfc = value.normalize('NFC');
    if (nfc === value) continue;
    const sameScope =
      scope.length === 0
        ? sql``
        : sql.join(
            scope.map((s, i) => sql` and ${scopeRefs[i]} = ${row[s]}`),
            sql``,
          );
    const taken = await sql`select 1 as x from ${t} where ${c} = ${nfc}${sameScope}`.execute(db);
    if (taken.rows.length > 0) continue;
    await sql`update ${t} set ${c} = ${nfc} where id = ${row.id}`.execute(db);
  }
}
