import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './helpers.js';

/**
 * At most one verification mail waiting per user: a partial unique index that concurrent logins of
 * an unverified user meet (their inserts say ON CONFLICT DO NOTHING), instead of a select-then-insert
 * that let each of them queue one. Duplicates already waiting are cancelled first, the oldest kept.
 */
export function fixes(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const now = new Date().toISOString();
      await sql`
        update outbox set status = 'cancelled', claimed_by = null, lease_until = null, updated_at = ${now}
        where template = 'verify_email' and status in ('pending', 'sending') and user_id is not null
          and id not in (
            select min(id) from outbox
            where template = 'verify_email' and status in ('pending', 'sending') and user_id is not null
            group by user_id
          )
      `.execute(db);
      await db.schema
        .createIndex('outbox_one_waiting_verify_email_key')
        .on('outbox')
        .column('user_id')
        .unique()
        .where(sql.ref('template'), '=', sql.lit('verify_email'))
        .where(sql.ref('status'), 'in', [sql.lit('pending'), sql.lit('sending')])
        .execute();
    },
  };
}
