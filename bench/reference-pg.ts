/**
 * The reference server's select on PostgreSQL (bench/reference-server.ts with PG_URL), by hand with
 * `pg`: a pool of PG_POOL_SIZE connections (10), statements named as roster names its own, so each
 * is parsed once per connection; ids PostgreSQL sends as text (bigint) become numbers, as in
 * roster's answer.
 *
 * With PG_COALESCE=1 it batches lookups as roster does on PostgreSQL (src/store/coalesce.ts,
 * src/store/widget-users.ts): at most two queries out at once; the lookups that arrive meanwhile
 * go together in the next, up to 100, as one query of two arrays (bench/widget-sql.ts); a lookup
 * that finds a slot free goes after the current turn of the event loop, with the others of that
 * turn. Without it, one query per lookup. Not part of roster.
 */
import pg from 'pg';
import type { Row } from './reference-work.js';
import { FIND_WIDGET_USER, FIND_WIDGET_USERS, MAX_LOOKUPS } from './widget-sql.js';

const IN_FLIGHT = 2;

type RawRow = Omit<Row, 'u_id' | 'company_id'> & { u_id: string; company_id: string | number; i?: string };

const toRow = (r: RawRow): Row => ({ ...r, u_id: Number(r.u_id), company_id: Number(r.company_id) });

/** The rows of user `ref` of bot `botId`, from the database at `url`. */
export function pgLookup(url: string, poolSize: number, botId: string, coalesce: boolean): (ref: string) => Promise<Row[]> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection that drops is replaced on the next query; unheard, its error would end the process.
  pool.on('error', () => {});
  const one = async (ref: string) => (await pool.query<RawRow>({ name: 'find_widget_user', text: FIND_WIDGET_USER, values: [botId, ref] })).rows.map(toRow);
  if (!coalesce) return one;

  const queue: Array<{ ref: string; resolve: (rows: Row[]) => void; reject: (err: unknown) => void }> = [];
  let active = 0;
  let scheduled = false;
  const schedule = () => {
    if (scheduled || active >= IN_FLIGHT || queue.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };
  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, MAX_LOOKUPS);
    active++;
    const sent =
      batch.length === 1
        ? one(batch[0]!.ref).then((rows) => [rows])
        : pool
            .query<RawRow>({ name: 'find_widget_users', text: FIND_WIDGET_USERS, values: [batch.map(() => botId), batch.map((b) => b.ref)] })
            .then(({ rows }) => {
              const byKey: Row[][] = batch.map(() => []);
              for (const r of rows) byKey[Number(r.i) - 1]?.push(toRow(r));
              return byKey;
            });
    sent
      .then(
        (rows) => batch.forEach((b, n) => b.resolve(rows[n]!)),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        active--;
        schedule();
      });
    schedule();
  };
  return (ref) =>
    new Promise<Row[]>((resolve, reject) => {
      queue.push({ ref, resolve, reject });
      schedule();
    });
}
