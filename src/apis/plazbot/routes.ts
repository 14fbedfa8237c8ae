/**
 * Plazbot/Wabotify platform users: POST /api/user and the login, profile, email verification and
 * password reset endpoints around it. Registered under the /api prefix.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticator } from '../../identity/credentials.js';
import { unauthorized } from '../../identity/errors.js';
import type { MailNotifier } from '../../mail/outbox.js';
import type { PlazbotUserService, VerifyOutcome } from './users.js';
import { anonymousActing, parseBearer, originOf, tokenIdOf } from '../shared/auth.js';
import type { CredentialGuard } from '../shared/credential-guard.js';
import { useErrorFormat } from '../shared/error-format.js';
import { ok, presentError, presentUser, verifyPage } from './present.js';
import {
  CreateUserBody,
  CreateUserResponse,
  EmailQuery,
  EmptyResponse,
  ErrorBody,
  LoginBody,
  LoginResponse,
  MeResponse,
  ResetPasswordBody,
  SendResetBody,
  VerifyEmailQuery,
} from './schemas.js';
import { principalOf } from '../shared/principal.js';

export interface PlazbotDeps {
  auth: Authenticator;
  users: PlazbotUserService;
  /** Woken when a request queues mail (the outbox sender). */
  mail: MailNotifier;
  /** Counts failed API-token checks per address and per token id (429 past the limits). */
  guard: CredentialGuard;
}

const errors = { '4xx': ErrorBody, '5xx': ErrorBody };

const VERIFY_PAGES: Record<VerifyOutcome, { status: number; title: string; text: string }> = {
  verified: {
    status: 200,
    title: 'Correo verificado / Email verified',
    text: 'Tu correo electrónico quedó verificado; ya puedes iniciar sesión. Your email address is verified; you can log in now.',
  },
  invalid: { status: 400, title: 'Enlace no válido / Invalid link', text: 'Este enlace de verificación no es válido. This verification link is not valid.' },
  used: {
    status: 410,
    title: 'Enlace ya usado / Link already used',
    text: 'Este enlace ya se usó; tu correo ya está verificado. This link was already used; your email is verified.',
  },
  expired: {
    status: 410,
    title: 'Enlace vencido / Link expired',
    text: 'Este enlace venció. Inicia sesión para recibir uno nuevo. This link has expired; log in to get a new one.',
  },
};

export const plazbotRoutes: FastifyPluginAsync<PlazbotDeps> = async (fastify, { auth, users, mail, guard }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorFormat(app, presentError);
  const bearer = (header: string | undefined, code: string) => {
    const token = parseBearer(header);
    if (!token) throw unauthorized(code, 'Missing or invalid Authorization: send Bearer <token>');
    return token;
  };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  const apiToken = async (req: FastifyRequest) => {
    const token = bearer(req.headers.authorization, 'UNAUTHORIZED');
    req.principal = await guard.check(req.ip, { kind: 'api_token', id: tokenIdOf(token) }, () => auth.token('api_token', token, originOf(req)));
  };
  // RFC 6750: a 401 from a Bearer-protected route says which scheme to use.
  const bearerRoutes = new Set(['/api/user', '/api/user/me', '/api/user/email']);
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 401 && bearerRoutes.has(req.routeOptions.url ?? '')) void reply.header('www-authenticate', 'Bearer realm="roster"');
    return payload;
  });

  app.post(
    '/user',
    {
      schema: {
        tags: ['Users'],
        summary: 'Create a platform user',
        security: [{ bearerAuth: [] }],
        body: CreateUserBody,
        response: { 200: CreateUserResponse, ...errors },
      },
      onRequest: apiToken,
    },
    async (req) => {
      const { defaultStartWeek = 0, isExternalCreation = true } = req.body;
      const { user, mailQueued } = await users.create(principalOf(req), { ...req.body, defaultStartWeek, isExternalCreation });
      if (mailQueued) mail.notify();
      return ok('Usuario creado exitosamente', { userId: String(user.id), email: user.email });
    },
  );

  app.post(
    '/user/login',
    { schema: { tags: ['Users'], summary: 'Log in with email and password', body: LoginBody, response: { 200: LoginResponse, ...errors } } },
    async (req, reply) => {
      const r = await users.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      noStore(reply);
      return ok('Login successful', { token: r.token, expiresIn: r.expiresIn, user: presentUser(r.user, r.company.code) });
    },
  );

  app.get(
    '/user/email',
    {
      schema: {
        tags: ['Users'],
        summary: "A user of the token's company, by email",
        security: [{ bearerAuth: [] }],
        querystring: EmailQuery,
        response: { 200: MeResponse, ...errors },
      },
      onRequest: apiToken,
    },
    async (req, reply) => {
      const user = await users.findByEmail(principalOf(req), req.query.email);
      noStore(reply);
      return ok('OK', { user: presentUser(user, principalOf(req).companyCode) });
    },
  );

  app.get(
    '/user/me',
    { schema: { tags: ['Users'], summary: "The session's user", security: [{ sessionToken: [] }], response: { 200: MeResponse, ...errors } } },
    async (req, reply) => {
      const { user, companyCode } = await users.resolveSession(bearer(req.headers.authorization, 'INVALID_SESSION'));
      noStore(reply);
      return ok('OK', { user: presentUser(user, companyCode) });
    },
  );

  app.get(
    '/user/verify-email',
    // A page a browser renders: the security headers for documents (its own CSP below).
    { schema: { tags: ['Users'], summary: 'Follow an email verification link (HTML)', querystring: VerifyEmailQuery }, config: { helmet: {} } },
    async (req, reply) => {
      const outcome = await users.verifyEmail(req.query.token, anonymousActing(req));
      const page = VERIFY_PAGES[outcome];
      return reply
        .code(page.status)
        .headers({
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        })
        .type('text/html; charset=utf-8')
        .send(verifyPage(page.title, page.text));
    },
  );

  app.post(
    '/user/sendEmailToResetPassword',
    { schema: { tags: ['Users'], summary: 'Email a password reset code', body: SendResetBody, response: { 200: EmptyResponse, ...errors } } },
    async (req) => {
      // Answered before the lookup and the queueing, which finish on their own: the answer's
      // timing says nothing about whether the email exists.
      const { queued } = await users.requestPasswordReset({ email: req.body.email, company: req.body.company, ip: req.ip }, (err) =>
        req.log.error({ err: { message: (err as Error)?.message ?? String(err) } }, 'password reset: could not queue the mail'),
      );
      void queued.then((q) => q && mail.notify()).catch(() => {});
      return ok('Si el correo está registrado, recibirá un código para restablecer la contraseña', null);
    },
  );

  app.post(
    '/user/resetPassword',
    { schema: { tags: ['Users'], summary: 'Set a new password with the mailed code', body: ResetPasswordBody, response: { 200: EmptyResponse, ...errors } } },
    async (req) => {
      await users.resetPassword(req.body, anonymousActing(req));
      return ok('Contraseña actualizada exitosamente', null);
    },
  );
};
