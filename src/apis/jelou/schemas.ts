/** Jelou's request and response shapes (seed pages 000 and 001), as TypeBox schemas. */
import { Type, type Static } from '@sinclair/typebox';
import { LIMITS } from './limits.js';

/**
 * The older page types legalId as an integer, the OpenAPI page as a string: both are accepted. It is
 * kept as text, so a number must be a safe integer: 18446744073709551616 would be kept as
 * "18446744073709552000" (issue 9).
 */
const LegalId = Type.Union([Type.String({ maxLength: LIMITS.legalId }), Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })]);

export const CreateWidgetUserBody = Type.Object(
  {
    user: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: LIMITS.id }),
        names: Type.String({ minLength: 1, maxLength: LIMITS.names }),
        legalId: Type.Optional(LegalId),
        /** Page 001's example sends the lowercase spelling. */
        legalid: Type.Optional(LegalId),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
export type CreateWidgetUserBody = Static<typeof CreateWidgetUserBody>;

const NamedRef = Type.Object({ id: Type.Union([Type.String(), Type.Integer()]), name: Type.String() });

const MemberInfo = Type.Object({
  id: Type.String(),
  memberType: Type.String(),
  names: Type.String(),
  socketId: Type.Optional(Type.String()),
  state: Type.Integer(),
  type: Type.String(),
  roomId: Type.Optional(Type.String()),
  color: Type.Optional(Type.String()),
  avatar: Type.String(),
  referenceId: Type.Optional(Type.String()),
  createdAt: Type.String(),
});

export const Room = Type.Object({
  avatarUrl: Type.String(),
  type: Type.String(),
  kind: Type.String(),
  members: Type.Array(Type.String()),
  membersInfo: Type.Array(MemberInfo),
  messages: Type.Array(Type.Unknown()),
  tags: Type.Array(Type.String()),
  deleted: Type.Boolean(),
  _id: Type.String({ pattern: '^[0-9a-f]{24}$' }),
  id: Type.String(),
  name: Type.String(),
  channel: Type.String(),
  channelProvider: Type.String(),
  bot: NamedRef,
  company: NamedRef,
  lastMessageAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  __v: Type.Integer(),
});

export const User = Type.Object({
  id: Type.String(),
  referenceId: Type.String(),
  botId: Type.String(),
  socketId: Type.String(),
  companyId: Type.Integer(),
  names: Type.String(),
  legalId: Type.Union([Type.String(), Type.Null()]),
  providerId: Type.String(),
  roomId: Type.String(),
  groupId: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  databaseId: Type.Integer(),
  groupRoomId: Type.String(),
});

export const CreateWidgetUserResponse = Type.Object({
  message: Type.Array(Type.String()),
  statusMessage: Type.Literal('success'),
  status: Type.Literal(1),
  data: Type.Object({ User, Room, groupRoom: Room }),
});
export type CreateWidgetUserResponse = Static<typeof CreateWidgetUserResponse>;

export const ErrorBody = Type.Object({
  message: Type.Array(Type.String()),
  statusMessage: Type.Literal('failure'),
  status: Type.Literal(0),
  error: Type.Object({
    code: Type.String(),
    key: Type.String(),
    description: Type.String(),
    developerMessages: Type.Record(Type.String(), Type.String()),
    clientMessages: Type.Record(Type.String(), Type.String()),
  }),
  validationError: Type.Record(Type.String(), Type.String()),
});
export type ErrorBody = Static<typeof ErrorBody>;
