/** Plazbot/Wabotify request and response shapes (seed pages 002 and 004), as TypeBox schemas. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { LIMITS } from './limits.js';

export const CreateUserBody = Type.Object(
  {
    name: Type.String({ maxLength: LIMITS.nameInput }),
    lastName: Type.String({ maxLength: LIMITS.nameInput }),
    email: Type.String({ maxLength: LIMITS.email }),
    password: Type.String({ maxLength: LIMITS.password }),
    company: Type.String({ maxLength: LIMITS.company }),
    defaultStartWeek: Type.Optional(Type.Integer({ minimum: 0, maximum: 6, default: 0 })),
    isExternalCreation: Type.Optional(Type.Boolean({ default: true })),
  },
  // Fields the page does not list are ignored (the vendor's user record has many more).
  { additionalProperties: true },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const LoginBody = Type.Object(
  { email: Type.String({ maxLength: LIMITS.email }), password: Type.String({ maxLength: LIMITS.password }) },
  { additionalProperties: true },
);

export const SendResetBody = Type.Object(
  { email: Type.String({ maxLength: LIMITS.email }), company: Type.Optional(Type.String({ maxLength: LIMITS.company })) },
  { additionalProperties: true },
);

export const ResetPasswordBody = Type.Object(
  {
    email: Type.String({ maxLength: LIMITS.email }),
    newPassword: Type.String({ maxLength: LIMITS.password }),
    verificationId: Type.String({ maxLength: LIMITS.verificationId }),
  },
  { additionalProperties: true },
);

export const EmailQuery = Type.Object({ email: Type.String({ maxLength: LIMITS.email }) });

export const VerifyEmailQuery = Type.Object({ token: Type.Optional(Type.String()) }, { additionalProperties: true });

/** `{success, code, errorCode, message, data}`: the envelope of Plazbot's API. */
const Success = <T extends TSchema>(data: T) =>
  Type.Object({
    success: Type.Literal(true),
    code: Type.Literal(200),
    errorCode: Type.Null(),
    message: Type.String(),
    data,
  });

export const CreateUserResponse = Success(Type.Object({ userId: Type.String(), email: Type.String() }));

export const PlatformUser = Type.Object({
  id: Type.String(),
  name: Type.String(),
  lastName: Type.String(),
  email: Type.String(),
  company: Type.String(),
  role: Type.String(),
  avatar: Type.Null(),
  defaultStartWeek: Type.Integer(),
  isExternalCreation: Type.Boolean(),
  flagVerifiedEmail: Type.Boolean(),
  creationDate: Type.String({ format: 'date-time' }),
});

export const LoginResponse = Success(Type.Object({ token: Type.String(), expiresIn: Type.Integer(), user: PlatformUser }));
export const MeResponse = Success(Type.Object({ user: PlatformUser }));
export const EmptyResponse = Success(Type.Null());

export const ErrorBody = Type.Object({
  success: Type.Literal(false),
  code: Type.Integer(),
  errorCode: Type.String(),
  message: Type.String(),
  errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
});
export type ErrorBody = Static<typeof ErrorBody>;
