/** Jelou's widget user API: POST /v1/widget/user. Registered under the /v1 prefix. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Authenticator } from '../../identity/credentials.js';
import { forbidden, unauthorized } from '../../identity/errors.js';
import type { OriginPolicy } from '../../identity/cors-origins.js';
import type { WidgetUserService } from '../../identity/widget-users.js';
import { useCors } from '../shared/browser.js';
import { parseWidgetAuthorization, originOf } from '../shared/auth.js';
import type { CredentialGuard } from '../shared/credential-guard.js';
import { useErrorFormat } from '../shared/error-format.js';
import { presentError, presentWidgetUser } from './present.js';
import { CreateWidgetUserBody, CreateWidgetUserResponse, ErrorBody } from './schemas.js';
import { principalOf } from '../shared/principal.js';

export interface JelouDeps {
  auth: Authenticator;
  widgetUsers: WidgetUserService;
  /** Counts failed credential checks per address and per client id (429 past the limits). */
  guard: CredentialGuard;
  /** The web origins each company lets call from a browser (CORS). */
  origins: OriginPolicy;
}

export const jelouRoutes: FastifyPluginAsync<JelouDeps> = async (fastify, { auth, widgetUsers, guard, origins }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorFormat(app, presentError);
  // Customers' web pages call the widget endpoint: a preflight is answered for an origin some
  // company allows, and each request is then held to its credential's company (below).
  await useCors(app, (origin) => origins.allowedByAny(origin), ['POST']);

  app.post(
    '/widget/user',
    {
      schema: {
        tags: ['Widget'],
        summary: 'Get or create a widget user and their rooms',
        security: [{ basicAuth: [] }],
        body: CreateWidgetUserBody,
        response: { 200: CreateWidgetUserResponse, '4xx': ErrorBody, '5xx': ErrorBody },
      },
      onRequest: async (req) => {
        const creds = parseWidgetAuthorization(req.headers.authorization);
        if (!creds) throw unauthorized('UNAUTHORIZED', 'Missing or invalid Authorization: send Basic base64(clientId:clientSecret)');
        req.principal = await guard.check(req.ip, { kind: 'widget_client', id: creds.clientId }, () =>
          auth.widgetClient(creds.clientId, creds.secret, originOf(req)),
        );
        const origin = req.headers.origin;
        if (origin !== undefined && !(await origins.allowedFor(req.principal.companyId, origin))) {
          throw forbidden('ORIGIN_NOT_ALLOWED', "This web origin may not call the widget API with this company's credentials");
        }
      },
    },
    async (req) => {
      const principal = principalOf(req);
      const { user } = req.body;
      const legalId = user.legalId ?? user.legalid;
      const result = await widgetUsers.getOrCreate(principal, {
        id: user.id,
        names: user.names,
        legalId: legalId === undefined ? undefined : String(legalId),
      });
      return presentWidgetUser(result.user, principal);
    },
  );
};
