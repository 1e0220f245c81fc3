import { LIMITS } from '@cunbo/shared';
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';

export const LocaleSchema = Type.Union([
  Type.Literal('zh'),
  Type.Literal('en'),
  Type.Literal('it'),
]);

export const UserSchema = Type.Object({
  id: Uuid(),
  email: Type.String(),
  displayName: Type.String(),
  role: Type.Union([Type.Literal('buyer'), Type.Literal('seller'), Type.Literal('operator')]),
  locale: LocaleSchema,
  shopId: Nullable(Uuid()),
  createdAt: Timestamp(),
});

const Email = Type.String({ format: 'email', maxLength: LIMITS.emailMax });
const Password = Type.String({ minLength: LIMITS.passwordMin, maxLength: LIMITS.passwordMax });
const DisplayName = Type.String({ minLength: 1, maxLength: LIMITS.displayNameMax, pattern: '\\S' });

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    displayName: DisplayName,
    role: Type.Union([Type.Literal('buyer'), Type.Literal('seller')]),
    locale: Type.Optional(LocaleSchema),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  {
    email: Type.String({ maxLength: LIMITS.emailMax }),
    password: Type.String({ maxLength: LIMITS.passwordMax }),
  },
  { additionalProperties: false },
);

export const OperatorBody = Type.Object(
  { email: Email, password: Password, displayName: DisplayName },
  { additionalProperties: false },
);

export const ProfilePatch = Type.Object(
  { displayName: Type.Optional(DisplayName), locale: Type.Optional(LocaleSchema) },
  { additionalProperties: false },
);

export const SessionResponse = Type.Object({
  token: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
  csrfToken: Type.String({ description: 'The web app sends it as `x-csrf-token` with each write' }),
  user: UserSchema,
});

export const MeResponse = Type.Object({ user: UserSchema, csrfToken: Type.String() });
