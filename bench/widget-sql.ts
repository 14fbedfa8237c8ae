/**
 * The statement roster runs for a returning widget user (src/store/widget-users.ts): the user
 * joined to both rooms. `$1` bot id, `$2` reference id. Shared by the reference servers
 * (bench/reference-work.ts, bench/reference-server.ts) and the raw `pg` loop
 * (bench/widget-postgres.ts); a module of its own because reference-work.ts reads its
 * environment when it loads. Not part of roster.
 */
/** What both statements read: the user's columns and one room's, one row per room. */
const COLUMNS = `u.id as u_id, u.company_id, u.names, u.legal_id, u.socket_id, u.provider_id, u.group_id,
  u.created_at as u_created_at, u.updated_at as u_updated_at, r.oid, r.id as r_id, r.kind, r.name as r_name,
  r.last_message_at, r.created_at as r_created_at, r.updated_at as r_updated_at`;

export const FIND_WIDGET_USER = `select ${COLUMNS}
  from widget_users as u inner join rooms as r on r.widget_user_id = u.id
  where u.bot_id = $1 and u.reference_id = $2`;

/** The most pairs FIND_WIDGET_USERS takes (roster's MAX_LOOKUPS_PER_QUERY). */
export const MAX_LOOKUPS = 100;

/**
 * The same for many (bot, reference id) pairs in one query, as roster sends concurrent lookups on
 * PostgreSQL (src/store/widget-users.ts, selectWidgetUsers): `$1` bot ids, `$2` reference ids, as
 * two text arrays; each row carries its pair's position `i`, from 1.
 */
export const FIND_WIDGET_USERS = `select ${COLUMNS}, k.i
  from (select * from unnest($1::text[], $2::text[]) with ordinality as t(bot_id, reference_id, i) where i between 1 and ${MAX_LOOKUPS}) as k
  inner join widget_users as u on u.bot_id = k.bot_id and u.reference_id = k.reference_id
  inner join rooms as r on r.widget_user_id = u.id`;
