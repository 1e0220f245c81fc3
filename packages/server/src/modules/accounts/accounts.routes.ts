import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { requireActor } from '../../http/auth.ts';
import { SESSION_COOKIE } from '../../http/auth.ts';
import { errorResponses } from '../../http/schema-helpers.ts';
import type { AccountsService, IssuedSession } from './accounts.service.ts';
import {
  LoginBody,
  MeResponse,
  OperatorBody,
  ProfilePatch,
  RegisterBody,
  SessionResponse,
  UserSchema,
} from './accounts.schemas.ts';

export function accountsRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; config: Config },
) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts, config } = deps;
  const authLimit = { rateLimit: { max: config.rateLimits.authPerMinute, timeWindow: 60_000 } };
  const tags = ['accounts'];

  function setSessionCookie(reply: FastifyReply, session: IssuedSession) {
    void reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicUrl.startsWith('https://'),
      path: '/',
      expires: session.expiresAt,
    });
  }

  api.post(
    '/auth/register',
    {
      config: { csrf: false, ...authLimit },
      schema: {
        tags,
        summary: 'Create a buyer or seller account and sign in',
        body: RegisterBody,
        response: { 201: SessionResponse, ...errorResponses(400, 409, 429) },
      },
    },
    async (request, reply) => {
      const session = await accounts.register(request.body);
      setSessionCookie(reply, session);
      return reply
        .status(201)
        .send({ token: session.token, csrfToken: session.csrfToken, user: session.user });
    },
  );

  api.post(
    '/auth/login',
    {
      config: { csrf: false, ...authLimit },
      schema: {
        tags,
        summary: 'Sign in',
        body: LoginBody,
        response: { 200: SessionResponse, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const session = await accounts.login(request.body);
      setSessionCookie(reply, session);
      return { token: session.token, csrfToken: session.csrfToken, user: session.user };
    },
  );

  api.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'Sign out (ends this session)',
        response: { 204: Type.Null(), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      await accounts.logout(requireActor(request));
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/auth/me',
    {
      schema: { tags, summary: 'Who am I', response: { 200: MeResponse, ...errorResponses(401) } },
    },
    async (request) => {
      const actor = requireActor(request);
      return { user: actor.user, csrfToken: actor.csrfToken };
    },
  );

  api.patch(
    '/auth/me',
    {
      schema: {
        tags,
        summary: 'Change my name or language',
        body: ProfilePatch,
        response: { 200: Type.Object({ user: UserSchema }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({
      user: await accounts.updateProfile(requireActor(request), request.body),
    }),
  );

  api.post(
    '/operators',
    {
      schema: {
        tags,
        summary: 'An operator creates another operator',
        body: OperatorBody,
        response: { 201: Type.Object({ user: UserSchema }), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = await accounts.createOperator(requireActor(request), request.body);
      return reply.status(201).send({ user });
    },
  );
}
