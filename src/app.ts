/**
 * Builds the HTTP app from config and an open database. It never listens: `serve` does, and tests
 * call inject() or listen on a random port.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { MailNotifier } from './mail/outbox.js';
import { MemoryCounterStore, type CounterStore } from './infra/counters.js';
import { chatwootRoutes } from './apis/chatwoot/routes.js';
import { jelouRoutes } from './apis/jelou/routes.js';
import { plazbotRoutes } from './apis/plazbot/routes.js';
import { scimRoutes } from './apis/scim/routes.js';
import { healthRoutes, type ReadinessCheck } from './infra/health.js';
import { registerOpenApi, registerOpenApiRoute } from './infra/openapi.js';
import { redact, redactUrlSecrets, serializers } from './infra/logging.js';
import { Metrics, registerMetricsRoute } from './infra/metrics.js';
import { limitConnectionsPerAddress } from './infra/connection-limit.js';
import { makeValidatorCompiler } from './apis/shared/validation.js';
import { lazySerializerFactory } from './apis/shared/serialization.js';
import { useJsonBodies } from './apis/shared/json-body.js';
import { CredentialGuard } from './apis/shared/credential-guard.js';
import { apiSecurityHeaders, documentSecurityHeaders, useSecurityHeaders } from './apis/shared/browser.js';
import { clientErrorHandler, type ClientErrorFormat } from './apis/shared/client-errors.js';
import { presentError as jelouError } from './apis/jelou/present.js';
import { presentError as plazbotError } from './apis/plazbot/present.js';
import { presentError as chatwootError } from './apis/chatwoot/present.js';
import { scimErrorBody, ScimError } from './apis/scim/errors.js';
import { SCIM_CONTENT_TYPE } from './apis/scim/routes.js';
import type { Db } from './store/db.js';
import { buildServices, SCIM_PREFIX, type Services } from './services.js';
import type { SecretBox } from './infra/secret-box.js';
import { openSecretBox } from './infra/secret-key.js';
import { passwordVerifications } from './identity/passwords.js';
import { webhookOutcomes } from './events/webhook-sender.js';
import { echoRequestId, requestIdOf, routerError } from './infra/request-id.js';
import { registerApiReference } from './infra/api-reference.js';
import { prettyLogger } from './infra/log-format.js';
import { consoleRoutes } from './console/plugin.js';
import { ping } from './store/db.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** A write of this request queued webhook deliveries (see the onResponse hook). */
    webhooksQueued: boolean;
  }
}

export interface AppDeps {
  config: Config;
  db: Db;
  /**
   * Rate-limit counters. Shared through Redis when REDIS_URL is set (app.ts builds and closes
   * that one); otherwise an in-memory store of this server's own, closed with it.
   */
  counters?: CounterStore;
  /** Dependencies besides the database that /readyz reports. */
  readiness?: ReadinessCheck[];
  /** Woken when a request queues mail (the outbox sender); without it the sender's poll finds it. */
  mail?: MailNotifier;
  /** Woken when a request queued webhook deliveries (the webhook sender); without it its poll finds them. */
  webhooks?: { notify(): void };
  /** The service graph (services.ts); built here from the other dependencies when not given. */
  services?: Services;
  /** Needed to build the services here (when `services` is not given). */
  secrets?: SecretBox;
}

export const BODY_LIMIT = 1024 * 1024;

const JSON_TYPE = 'application/json; charset=utf-8';

/** Each API's error body, by the prefix it is registered under (below), for what Node's parser refuses. */
const API_CLIENT_ERRORS: ClientErrorFormat[] = [
  { prefix: '/v1', contentType: JSON_TYPE, render: jelouError },
  { prefix: '/api', contentType: JSON_TYPE, render: plazbotError },
  // The parser's refusals are about the HTTP request itself, never its values: Rails' 400 and 431, not 422.
  { prefix: '/platform/api/v1', contentType: JSON_TYPE, render: chatwootError },
  {
    prefix: SCIM_PREFIX,
    contentType: SCIM_CONTENT_TYPE,
    render: (c) => scimErrorBody(new ScimError(c.status, c.message, c.status === 400 ? 'invalidSyntax' : undefined)),
  },
];

export async function buildApp({
  config,
  db,
  counters: given,
  readiness = [],
  mail = { notify: () => {} },
  services: built,
  secrets,
  webhooks,
}: AppDeps): Promise<FastifyInstance> {
  const counters = given ?? new MemoryCounterStore();
  const services = built ?? buildServices({ db, config, counters, mail, secrets: secrets ?? openSecretBox(config) });
  const metrics = config.metrics
    ? new Metrics({
        poolStats: db.poolStats,
        outboxCounts: () => services.outbox.counts(),
        passwordVerifications,
        webhookCounts: () => services.webhooks.counts(),
        webhookOutcomes,
      })
    : undefined;
  const app = Fastify({
    // Response serializers compiled on first use (apis/shared/serialization.ts).
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
    // JSON lines; pino-pretty's readable lines when LOG_FORMAT (or a terminal) says so.
    ...(config.logFormat === 'pretty'
      ? { loggerInstance: prettyLogger({ level: config.logLevel, serializers, redact }) }
      : { logger: { level: config.logLevel, serializers, redact } }),
    bodyLimit: BODY_LIMIT,
    // X-Request-Id: the client's when sane, else a new one (infra/request-id.ts); logged as requestId (AccessLog).
    requestIdHeader: false,
    genReqId: requestIdOf,
    frameworkErrors: routerError,
    // A hop count as Fastify's trust function (its types take no number): believe the n nearest hops.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    logController: new AccessLog(metrics),
    // What Node's parser refuses (431, 400, 408), in the format of the API the request line names.
    clientErrorHandler: clientErrorHandler(API_CLIENT_ERRORS, apiSecurityHeaders(config.publicUrl)),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A client has this long to send a whole request, and a shorter time for its headers (408 then).
    requestTimeout: config.http.requestTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      // How often Node looks for requests past those timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.http.headersTimeoutMs / 2))),
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  limitConnectionsPerAddress(app.server, {
    max: config.http.maxConnectionsPerIp,
    trustProxy: config.trustProxy,
    onRefused: everyMinute((address) =>
      app.log.warn({ ip: address, max: config.http.maxConnectionsPerIp }, 'connection refused: too many open from this client'),
    ),
  });
  // Once the server is stopping, every answer closes its connection, in-flight requests' included:
  // a keep-alive client must not hold the process up (idle connections are closed by Fastify).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  echoRequestId(app);
  app.setValidatorCompiler(makeValidatorCompiler());
  // Only JSON bodies: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  // One JSON parser for every API: depth, text and numbers are checked before any schema sees them.
  useJsonBodies(app);
  app.decorateRequest('principal', null);
  app.decorateRequest('webhooksQueued', false);
  // Once the response is out, a write's transaction has committed: the webhook sender can see the
  // deliveries it queued (originOf(req) marks the request when an event queued any).
  if (webhooks) {
    app.addHook('onResponse', (req, _reply, done) => {
      if (req.webhooksQueued) webhooks.notify();
      done();
    });
  }

  if (!given) app.addHook('onClose', () => counters.close());
  const { auth } = services;
  const guard = new CredentialGuard(counters, config.credentialLimits, (fields, msg) => app.log.warn(fields, msg));
  // Security headers on every answer (helmet, set for an API).
  useSecurityHeaders(app, config.publicUrl);
  await registerOpenApi(app, config.publicUrl);
  await registerOpenApiRoute(app);
  await registerApiReference(app, documentSecurityHeaders(config.publicUrl));
  if (metrics) registerMetricsRoute(app, metrics);
  await app.register(healthRoutes, { db, checks: readiness });
  await app.register(jelouRoutes, { prefix: '/v1', auth, guard, origins: services.corsOrigins, widgetUsers: services.widgetUsers });
  await app.register(chatwootRoutes, { prefix: '/platform/api/v1', auth, guard, ...services.chatwoot });
  await app.register(plazbotRoutes, { prefix: '/api', auth, guard, users: services.plazbot, mail });
  await app.register(scimRoutes, { prefix: SCIM_PREFIX, auth, guard, ...services.scim });
  // The operators' web console (docs/console.md); ADMIN_CONSOLE=false leaves /admin unrouted.
  if (config.console.enabled) {
    await app.register(consoleRoutes, { prefix: '/admin', services, checks: [{ name: 'database', check: () => ping(db) }, ...readiness] });
  }

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'Not Found', message: `Route ${req.method} ${req.url.split('?')[0]} not found` }));
  return app;
}

/** `fn`, called at most once a minute (a flood of refusals is one log line a minute). */
function everyMinute<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    fn(...args);
  };
}

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/**
 * One access-log line and one metrics observation per request, after the response (Fastify's
 * default is two log lines), of flat fields:
 * nested objects go through serializers and redaction on every line, which cost more than the
 * widget lookup itself.
 */
class AccessLog extends LogController {
  constructor(private readonly metrics: Metrics | undefined) {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, req: FastifyRequest, reply: FastifyReply): void {
    this.metrics?.observe(req, reply);
    if (error) {
      reply.log.error({ req, res: reply, err: error }, 'request errored');
      return;
    }
    reply.log.info(
      { method: req.method, url: redactUrlSecrets(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: req.ip },
      'request',
    );
  }
}
