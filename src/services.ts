/**
 * The composition root's service graph: every service is built here, once, from the open database
 * and the configuration, and handed to the route plugins, the CLI and the workers. Nothing else
 * constructs a service.
 */
import { AccessTokens } from './apis/chatwoot/access-tokens.js';
import { AccountUserService } from './apis/chatwoot/account-users.js';
import { AccountService } from './apis/chatwoot/accounts.js';
import { AgentBotService } from './apis/chatwoot/agent-bots.js';
import { Permissions } from './apis/chatwoot/permissions.js';
import { ChatwootUserService } from './apis/chatwoot/users.js';
import { AvatarService } from './apis/chatwoot/avatars.js';
import { presentWidgetUserObject } from './apis/jelou/present.js';
import { PlazbotUserService, type LoginPolicy } from './apis/plazbot/users.js';
import { ScimGroupService } from './apis/scim/groups.js';
import { ScimUserService } from './apis/scim/users.js';
import type { Config } from './config.js';
import { CompanyService } from './identity/companies.js';
import { CompanySettings } from './identity/company-settings.js';
import { OperatorService } from './identity/operators.js';
import { UserAdmin } from './identity/user-admin.js';
import { OriginPolicy } from './identity/cors-origins.js';
import { Authenticator, CredentialService } from './identity/credentials.js';
import { UserDirectory } from './identity/users.js';
import { WidgetUserService } from './identity/widget-users.js';
import { ImportService } from './import/service.js';
import { MemoryCounterStore, type CounterStore } from './infra/counters.js';
import { Outbox, type MailNotifier } from './mail/outbox.js';
import type { Db } from './store/db.js';
import type { SecretBox } from './infra/secret-box.js';
import { AuditLog } from './events/audit.js';
import { WebhookService } from './events/webhooks.js';
import { SecretRotation } from './identity/secret-rotation.js';

export interface ChatwootServices {
  permissions: Permissions;
  accounts: AccountService;
  accountUsers: AccountUserService;
  agentBots: AgentBotService;
  users: ChatwootUserService;
  tokens: AccessTokens;
  avatars: AvatarService;
}

export interface ScimServices {
  /** `<public URL>/scim/v2`: where SCIM resources live (meta.location). */
  baseUrl: string;
  users: ScimUserService;
  groups: ScimGroupService;
}

/** Where the SCIM API is mounted, under the public URL. */
export const SCIM_PREFIX = '/scim/v2';

export interface Services {
  /** Encrypts secrets roster must read back (see infra/secret-box.ts). */
  secrets: SecretBox;
  companies: CompanyService;
  /** The web origins each company lets call the widget API from a browser (cached per node). */
  corsOrigins: OriginPolicy;
  /** A company's settings and CORS origins saved together, in one transaction (the console's settings form). */
  companySettings: CompanySettings;
  credentials: CredentialService;
  /** Resolves API credentials to principals (with a short cache; see CREDENTIAL_CACHE_TTL_MS). */
  auth: Authenticator;
  users: UserDirectory;
  widgetUsers: WidgetUserService;
  plazbot: PlazbotUserService;
  chatwoot: ChatwootServices;
  scim: ScimServices;
  outbox: Outbox;
  /** `roster import`: users files, widget users files, a Chatwoot database. */
  imports: ImportService;
  /** The event log read back: `roster audit` and the console. */
  audit: AuditLog;
  /** Webhook endpoints and their deliveries. */
  webhooks: WebhookService;
  /** `roster secrets rotate`: re-seals every sealed value under a new key. */
  secretRotation: SecretRotation;
  /** Operators of the admin console (/admin) and their logins. */
  operators: OperatorService;
  /** The console's reads and writes of users and widget users across companies. */
  userAdmin: UserAdmin;
}

export interface ServiceDeps {
  db: Db;
  secrets: SecretBox;
  config: Pick<Config, 'credentialCacheTtlMs' | 'auth' | 'frontendUrl' | 'publicUrl' | 'webhooks' | 'mail' | 'avatarMaxBytes' | 'console'>;
  /** Rate-limit counters (in memory, or shared through Redis). Default: this process's memory. */
  counters?: CounterStore;
  /** Woken when a request queues mail (the outbox sender). */
  mail?: MailNotifier;
}

export function loginPolicy(auth: Config['auth']): LoginPolicy {
  return {
    maxFailuresPerEmail: auth.loginMaxFailures,
    maxFailuresPerIp: auth.loginMaxFailuresPerIp,
    windowMs: auth.loginWindowSeconds * 1000,
    sessionTtlSeconds: auth.sessionTtlSeconds,
  };
}

export function buildServices({ db, secrets, config, counters = new MemoryCounterStore(), mail = { notify: () => {} } }: ServiceDeps): Services {
  const companies = new CompanyService(db);
  const corsOrigins = new OriginPolicy(db, companies, config.credentialCacheTtlMs);
  const users = new UserDirectory(db);
  const permissions = new Permissions(db);
  const avatars = new AvatarService(db, config.avatarMaxBytes, config.publicUrl);
  const scimBaseUrl = `${config.publicUrl.replace(/\/+$/, '')}${SCIM_PREFIX}`;
  return {
    secrets,
    companies,
    corsOrigins,
    companySettings: new CompanySettings(db, companies, corsOrigins),
    credentials: new CredentialService(db, companies),
    auth: new Authenticator(db, config.credentialCacheTtlMs),
    users,
    // Widget user events carry the user as Jelou presents it.
    widgetUsers: new WidgetUserService(db, presentWidgetUserObject),
    plazbot: new PlazbotUserService(db, companies, counters, loginPolicy(config.auth), mail),
    chatwoot: {
      permissions,
      accounts: new AccountService(db, config.mail.from),
      accountUsers: new AccountUserService(db, permissions),
      agentBots: new AgentBotService(db, permissions, secrets, avatars),
      users: new ChatwootUserService(db, permissions, users, config.frontendUrl, secrets, avatars),
      tokens: new AccessTokens(db),
      avatars,
    },
    scim: { baseUrl: scimBaseUrl, users: new ScimUserService(db, scimBaseUrl), groups: new ScimGroupService(db, scimBaseUrl) },
    outbox: new Outbox(db),
    imports: new ImportService(db, companies),
    audit: new AuditLog(db),
    webhooks: new WebhookService(db, secrets, companies, { allowPrivate: config.webhooks.allowPrivate }),
    secretRotation: new SecretRotation(db, secrets),
    operators: new OperatorService(db, counters, { ...loginPolicy(config.auth), sessionTtlSeconds: config.console.sessionTtlSeconds }),
    userAdmin: new UserAdmin(db, mail),
  };
}
