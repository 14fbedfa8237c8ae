/**
 * The work of roster's widget path for a returning user, as the two reference servers do it
 * (bench/reference-server.ts by hand on node:http, bench/fastify-reference-server.ts in Fastify),
 * and nothing else. No logging, no validation library:
 *
 * - the Basic credential checked by SHA-256 of the secret against a digest held in memory (roster
 *   caches its credential lookup per node, so its request does no credential query either);
 * - the JSON body parsed;
 * - one indexed select on roster's own database file (the same statement roster runs: the user
 *   joined to both rooms, by bot and reference id), prepared once (the SQLite file of DB, opened on
 *   first use; bench/reference-server.ts runs the same select on PostgreSQL when PG_URL is set);
 * - roster's ~3 KB answer (page 001's shape, as src/apis/jelou/present.ts fills it) built and serialized.
 *
 * Env: DB (the SQLite file), CLIENT_ID, SECRET_SHA256 (hex), BOT_ID, BOT_NAME, COMPANY_ID,
 * COMPANY_NAME. Not part of roster.
 */
import Database from 'better-sqlite3';
import { createHash, timingSafeEqual } from 'node:crypto';
import { FIND_WIDGET_USER } from './widget-sql.js';

export const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`reference server: ${name} is not set`);
  return v;
};
const clientId = env('CLIENT_ID');
const secretDigest = Buffer.from(env('SECRET_SHA256'), 'hex');
const botId = env('BOT_ID');
const botName = env('BOT_NAME');
const company = { id: Number(env('COMPANY_ID')), name: env('COMPANY_NAME') };

let select: Database.Statement<[string, string], Row> | undefined;
function sqliteRows(ref: string): Row[] {
  if (!select) {
    const db = new Database(env('DB'), { readonly: true });
    db.pragma('busy_timeout = 5000');
    select = db.prepare<[string, string], Row>(FIND_WIDGET_USER.replace('$1', '?').replace('$2', '?'));
  }
  return select.all(botId, ref);
}

export interface Row {
  u_id: number;
  company_id: number;
  names: string;
  legal_id: string | null;
  socket_id: string;
  provider_id: string;
  group_id: string;
  u_created_at: string;
  u_updated_at: string;
  oid: string;
  r_id: string;
  kind: 'personal' | 'group';
  r_name: string;
  last_message_at: string;
  r_created_at: string;
  r_updated_at: string;
}

const AVATAR = 'https://s3.us-west-2.amazonaws.com/cdn.devlabs.tech/default_avatar.jpeg';
const COLORS = ['#F5A623', '#4A90E2', '#7ED321', '#BD10E0', '#50E3C2', '#D0021B', '#9013FE', '#417505'];

function room(ref: string, u: Row, personal: Row, r: Row) {
  return {
    avatarUrl: AVATAR,
    type: r.kind === 'personal' ? 'widget' : 'group',
    kind: r.kind,
    members: [ref, botId],
    membersInfo: [
      {
        id: ref,
        memberType: 'user',
        names: u.names,
        socketId: u.socket_id,
        state: 1,
        type: 'user',
        roomId: personal.r_id,
        color: COLORS[createHash('sha1').update(ref).digest()[0]! % COLORS.length],
        avatar: AVATAR,
        referenceId: ref,
        createdAt: u.u_created_at,
      },
      { id: botId, memberType: 'bot', names: botName, state: 1, type: 'bot', avatar: AVATAR, createdAt: r.r_created_at },
    ],
    messages: [],
    tags: [],
    deleted: false,
    _id: r.oid,
    id: r.r_id,
    name: r.r_name,
    channel: 'Widget',
    channelProvider: 'Widget',
    bot: { id: botId, name: botName },
    company,
    lastMessageAt: r.last_message_at,
    createdAt: r.r_created_at,
    updatedAt: r.r_updated_at,
    __v: 0,
  };
}

/** The Basic credential checked by SHA-256 of the secret against the digest held in memory. */
export function authorized(header: string | undefined): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== clientId) return false;
  return timingSafeEqual(
    createHash('sha256')
      .update(decoded.slice(colon + 1))
      .digest(),
    secretDigest,
  );
}

export interface RefAnswer {
  status: number;
  body: unknown;
}

/** The user's reference id in a parsed widget body, or the 400 answer when it has none. */
export function refOf(body: unknown): string | RefAnswer {
  const ref = (body as { user?: { id?: unknown } } | null)?.user?.id;
  return typeof ref === 'string' ? ref : { status: 400, body: { message: ['user.id'], status: 0 } };
}

/** What the widget route answers an authorized request (see authorized()) for a returning user; `body` is the parsed JSON. */
export function widgetAnswer(body: unknown): RefAnswer {
  const ref = refOf(body);
  return typeof ref === 'string' ? answerFromRows(ref, sqliteRows(ref)) : ref;
}

/** The answer for user `ref` from the select's rows (FIND_WIDGET_USER). */
export function answerFromRows(ref: string, rows: readonly Row[]): RefAnswer {
  const personal = rows.find((r) => r.kind === 'personal');
  const group = rows.find((r) => r.kind === 'group');
  if (!personal || !group) return { status: 404, body: { message: ['not found'], status: 0 } };
  const u = personal;
  return {
    status: 200,
    body: {
      message: ['User created successfully!'],
      statusMessage: 'success',
      status: 1,
      data: {
        User: {
          id: ref,
          referenceId: ref,
          botId,
          socketId: u.socket_id,
          companyId: u.company_id,
          names: u.names,
          legalId: u.legal_id,
          providerId: u.provider_id,
          roomId: personal.r_id,
          groupId: u.group_id,
          updatedAt: u.u_updated_at,
          createdAt: u.u_created_at,
          databaseId: u.u_id,
          groupRoomId: group.r_id,
        },
        Room: room(ref, u, personal, personal),
        groupRoom: room(ref, u, personal, group),
      },
    },
  };
}
