/** Domain records -> Jelou's JSON. */
import { hash } from 'node:crypto';
import type { Principal } from '../../identity/credentials.js';
import type { WidgetUserRecord } from '../../identity/widget-users.js';
import type { Classified } from '../shared/errors.js';
import type { CreateWidgetUserResponse, ErrorBody } from './schemas.js';

/** Page 001's default avatar. */
export const DEFAULT_AVATAR = 'https://s3.us-west-2.amazonaws.com/cdn.devlabs.tech/default_avatar.jpeg';

const COLORS = ['#F5A623', '#4A90E2', '#7ED321', '#BD10E0', '#50E3C2', '#D0021B', '#9013FE', '#417505'];
/** A member's color: fixed per user id (SHA-1's first byte); one-shot `hash`, no Hash object (issue 15). */
const colorFor = (id: string) => COLORS[hash('sha1', id, 'buffer')[0]! % COLORS.length]!;

/** How each of roster's rooms is labelled (Jelou does not document the values). */
const ROOM_LABELS = {
  personal: { type: 'widget', kind: 'personal' },
  group: { type: 'group', kind: 'group' },
} as const;

type Room = CreateWidgetUserResponse['data']['Room'];

function room(user: WidgetUserRecord, principal: Principal, kind: 'personal' | 'group', color: string): Room {
  const r = user.rooms[kind];
  const botName = principal.botName ?? '';
  return {
    avatarUrl: DEFAULT_AVATAR,
    type: ROOM_LABELS[kind].type,
    kind: ROOM_LABELS[kind].kind,
    members: [user.referenceId, user.botId],
    membersInfo: [
      {
        id: user.referenceId,
        memberType: 'user',
        names: user.names,
        socketId: user.socketId,
        state: 1,
        type: 'user',
        roomId: user.rooms.personal.id,
        color,
        avatar: DEFAULT_AVATAR,
        referenceId: user.referenceId,
        createdAt: user.createdAt,
      },
      { id: user.botId, memberType: 'bot', names: botName, state: 1, type: 'bot', avatar: DEFAULT_AVATAR, createdAt: r.createdAt },
    ],
    messages: [],
    tags: [],
    deleted: false,
    _id: r.oid,
    id: r.id,
    name: r.name,
    channel: 'Widget',
    channelProvider: 'Widget',
    bot: { id: user.botId, name: botName },
    company: { id: principal.companyId, name: principal.companyName },
    lastMessageAt: r.lastMessageAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    __v: 0,
  };
}

/** The user as Jelou presents one (`data.User`); also the data of its widget_user.* events. */
export function presentWidgetUserObject(user: WidgetUserRecord): CreateWidgetUserResponse['data']['User'] {
  return {
    id: user.referenceId,
    referenceId: user.referenceId,
    botId: user.botId,
    socketId: user.socketId,
    companyId: user.companyId,
    names: user.names,
    legalId: user.legalId,
    providerId: user.providerId,
    roomId: user.rooms.personal.id,
    groupId: user.groupId,
    updatedAt: user.updatedAt,
    createdAt: user.createdAt,
    databaseId: user.id,
    groupRoomId: user.rooms.group.id,
  };
}

export function presentWidgetUser(user: WidgetUserRecord, principal: Principal): CreateWidgetUserResponse {
  const color = colorFor(user.referenceId);
  return {
    // The same text whether the user was created or found, as the page shows: clients match on it.
    message: ['User created successfully!'],
    statusMessage: 'success',
    status: 1,
    data: {
      User: presentWidgetUserObject(user),
      Room: room(user, principal, 'personal', color),
      groupRoom: room(user, principal, 'group', color),
    },
  };
}

/** Jelou's documented error codes where one fits; roster's own otherwise. */
const JELOU_CODES: Record<string, string> = {
  UNAUTHORIZED: 'unauthorized',
  INTERNAL_ERROR: 'internal_server_error',
};

const CLIENT_TEXT: Record<number, { es: string; en: string }> = {
  400: { es: 'La solicitud no es válida.', en: 'The request is not valid.' },
  401: { es: 'Credenciales inválidas.', en: 'Invalid credentials.' },
  403: { es: 'Acceso no permitido.', en: 'Access not allowed.' },
  404: { es: 'Recurso no encontrado.', en: 'Resource not found.' },
  413: { es: 'La solicitud es demasiado grande.', en: 'The request is too large.' },
  415: { es: 'El contenido debe ser JSON.', en: 'The content must be JSON.' },
  408: { es: 'La solicitud no llegó a tiempo.', en: 'The request did not arrive in time.' },
  431: { es: 'Los encabezados de la solicitud son demasiado grandes.', en: 'The request headers are too large.' },
  429: { es: 'Demasiadas solicitudes, intente más tarde.', en: 'Too many requests, try again later.' },
  503: { es: 'Servicio no disponible, intente más tarde.', en: 'Service unavailable, try again later.' },
};

export function presentError(c: Classified): ErrorBody {
  const validationError: Record<string, string> = {};
  for (const f of c.fields) validationError[f.field] ??= f.message;
  const text = CLIENT_TEXT[c.status] ?? { es: 'Ocurrió un error inesperado.', en: 'An unexpected error occurred.' };
  return {
    message: [c.message],
    statusMessage: 'failure',
    status: 0,
    error: {
      code: JELOU_CODES[c.code] ?? c.code.toLowerCase(),
      key: c.code,
      description: c.message,
      developerMessages: { en: c.message },
      clientMessages: text,
    },
    validationError,
  };
}
