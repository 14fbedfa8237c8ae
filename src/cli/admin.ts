/** The admin verbs: companies and credentials. Each prints one JSON object with --json. */
import { InvalidArgumentError, type Command } from 'commander';
import { companyView, type Company } from '../identity/companies.js';
import { CLI } from '../events/types.js';
import { checkOrigins } from '../identity/cors-origins.js';
import type { CredentialKind, CredentialSummary } from '../identity/credentials.js';
import type { Services } from '../services.js';

export interface Output {
  json: boolean;
  print(value: unknown, human: string): void;
}

/** Runs `fn` with the services on the configured database (migrated), then closes it. */
export type WithServices = <T>(fn: (s: Services) => Promise<T>) => Promise<T>;

/** `company create` prints exactly {id, code, name}; list and update add the settings. */
const companyJson = (c: Company) => ({ id: c.id, code: c.code, name: c.name });
const companyDetailJson = (c: Company, corsOrigins: string[]) => ({ ...companyView(c), corsOrigins });

/** A repeatable option's values, in order. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

function length(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

interface CompanyUpdateOptions {
  code: string;
  name?: string;
  requireEmailVerification?: boolean;
  passwordMinLength?: number;
  passwordMaxLength?: number;
  defaultPasswordPolicy?: boolean;
  corsOrigin?: string[];
  removeCorsOrigin?: string[];
}

const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;

export function registerAdmin(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  const company = program.command('company').description('manage companies (tenants)');
  company
    .command('create')
    .description('create a company')
    .requiredOption('--code <code>', 'short unique code, e.g. wabotify (letters, digits, - and _)')
    .requiredOption('--name <name>', 'display name')
    .option('--require-email-verification', 'users created through the Plazbot API must verify their email')
    .option('--json', 'print one JSON object')
    .action(async (opts: { code: string; name: string; requireEmailVerification?: boolean }, cmd: Command) => {
      const c = await withServices((s) =>
        s.companies.create({ code: opts.code, name: opts.name, requireEmailVerification: !!opts.requireEmailVerification }, CLI),
      );
      out(cmd).print(companyJson(c), `created company ${c.code} (id ${c.id}): ${c.name}`);
    });
  company
    .command('list')
    .description('list companies')
    .option('--json', 'print one JSON object')
    .action(async (_opts: unknown, cmd: Command) => {
      const [all, origins] = await withServices((s) => Promise.all([s.companies.list(), s.corsOrigins.all()]));
      out(cmd).print(
        { companies: all.map((c) => companyDetailJson(c, origins.get(c.id) ?? [])) },
        all.length === 0
          ? 'no companies'
          : all.map((c) => `${c.id}\t${c.code}\t${c.name}${c.requireEmailVerification ? '\t(email verification required)' : ''}`).join('\n'),
      );
    });
  company
    .command('update')
    .description("change a company's name, email verification setting or password policy")
    .requiredOption('--code <code>', 'the company to change')
    .option('--name <name>', 'new display name')
    .option('--require-email-verification', 'new users must verify their email')
    .option('--no-require-email-verification', 'new users are created verified')
    .option('--password-min-length <n>', 'shortest password accepted (8-128; default 8)', length)
    .option('--password-max-length <n>', 'longest password accepted (8-1024; default 128)', length)
    .option('--default-password-policy', 'back to the default password policy')
    .option('--cors-origin <origin>', 'let web pages of this origin call the widget API (scheme://host[:port]; repeatable)', collect)
    .option('--remove-cors-origin <origin>', 'no longer let this origin call (repeatable)', collect)
    .option('--json', 'print one JSON object')
    .action(async (opts: CompanyUpdateOptions, cmd: Command) => {
      const policy =
        opts.passwordMinLength !== undefined || opts.passwordMaxLength !== undefined
          ? {
              ...(opts.passwordMinLength !== undefined && { minLength: opts.passwordMinLength }),
              ...(opts.passwordMaxLength !== undefined && { maxLength: opts.passwordMaxLength }),
            }
          : opts.defaultPasswordPolicy
            ? null
            : undefined;
      // Every value checked before anything is written.
      checkOrigins([...(opts.corsOrigin ?? []), ...(opts.removeCorsOrigin ?? [])]);
      const [c, corsOrigins] = await withServices(async (s) => {
        const updated = await s.companies.update(
          opts.code,
          {
            name: opts.name,
            requireEmailVerification: opts.requireEmailVerification,
            ...(policy !== undefined && { passwordPolicy: policy }),
          },
          CLI,
        );
        const origins =
          opts.corsOrigin || opts.removeCorsOrigin
            ? await s.corsOrigins.update(opts.code, { add: opts.corsOrigin, remove: opts.removeCorsOrigin })
            : await s.corsOrigins.of(updated.id);
        return [updated, origins] as const;
      });
      const p = c.passwordPolicy;
      out(cmd).print(
        companyDetailJson(c, corsOrigins),
        `updated company ${c.code} (id ${c.id}): ${c.name}; passwords ${p.minLength}-${p.maxLength} characters; CORS origins: ${corsOrigins.join(', ') || 'none'}`,
      );
    });

  program
    .command('outbox')
    .description('the mail outbox')
    .command('list')
    .description('list queued and recent messages, newest first (they hold no secrets)')
    .option('--status <status>', `only this status: ${OUTBOX_STATUSES.join(', ')}`, (v: string) => {
      if (!(OUTBOX_STATUSES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${OUTBOX_STATUSES.join(', ')}`);
      return v as (typeof OUTBOX_STATUSES)[number];
    })
    .option('--limit <n>', 'at most this many (default 100)', length)
    .option('--json', 'print one JSON object')
    .action(async (opts: { status?: (typeof OUTBOX_STATUSES)[number]; limit?: number }, cmd: Command) => {
      const rows = await withServices((s) => s.outbox.list({ ...(opts.status && { status: opts.status }), limit: opts.limit ?? 100 }));
      out(cmd).print(
        { messages: rows },
        rows.length === 0
          ? 'the outbox is empty'
          : rows
              .map(
                (m) =>
                  `${m.id}\t${m.status}\t${m.template}\t${m.to}\tattempts ${m.attempts}\t${m.status === 'pending' ? `due ${m.nextAttemptAt}` : (m.sentAt ?? m.createdAt)}${m.lastError ? `\t${m.lastError}` : ''}`,
              )
              .join('\n'),
      );
    });

  const client = program.command('client').description('manage widget API clients (Jelou API)');
  client
    .command('create')
    .description('create a widget client bound to a bot of the company (the bot is created when new)')
    .requiredOption('--company <code>', 'company code')
    .option('--bot <name>', 'bot name', 'Widget Bot')
    .option('--json', 'print one JSON object')
    .action(async (opts: { company: string; bot: string }, cmd: Command) => {
      const c = await withServices((s) => s.credentials.createWidgetClient({ companyCode: opts.company, botName: opts.bot }, CLI));
      out(cmd).print(c, `clientId     ${c.clientId}\nclientSecret ${c.clientSecret}\nbotId        ${c.botId}\n(the secret is shown only now)`);
    });
  registerListRevoke(client, 'widget_client', 'clients', withServices, out);

  for (const [name, kind, what] of [
    ['token', 'api_token', 'bearer tokens (Plazbot API)'],
    ['platform-app', 'platform_app', 'platform apps (Chatwoot Platform API)'],
  ] as const) {
    const group = program.command(name).description(`manage ${what}`);
    const create = group.command('create').description(`create one; the token is shown only once`).requiredOption('--company <code>', 'company code');
    if (kind === 'platform_app') create.requiredOption('--name <name>', 'platform app name');
    else create.option('--name <name>', 'a label for the token');
    create.option('--json', 'print one JSON object').action(async (opts: { company: string; name?: string }, cmd: Command) => {
      const t = await withServices((s) => s.credentials.createToken(kind, { companyCode: opts.company, name: opts.name }, CLI));
      out(cmd).print(t, `id    ${t.id}\ntoken ${t.token}\n(the token is shown only now)`);
    });
    registerListRevoke(group, kind, kind === 'api_token' ? 'tokens' : 'platformApps', withServices, out);
  }
}

/** `list` and `revoke` verbs for one kind of credential, under `group`. */
export function registerListRevoke(group: Command, kind: CredentialKind, key: string, withServices: WithServices, out: (cmd: Command) => Output) {
  group
    .command('list')
    .description('list them (secrets are never shown again)')
    .requiredOption('--company <code>', 'company code')
    .option('--json', 'print one JSON object')
    .action(async (opts: { company: string }, cmd: Command) => {
      const rows = await withServices((s) => s.credentials.list(kind, opts.company));
      out(cmd).print({ [key]: rows }, rows.length === 0 ? 'none' : rows.map(humanCredential).join('\n'));
    });
  group
    .command('revoke')
    .description('revoke one by id (or by the token itself); it stops working on every node within seconds')
    .argument('<id>', 'the id printed at creation')
    .option('--json', 'print one JSON object')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      // A whole token carries its id: rtk_<id>.<secret>.
      const m = /^[a-z]+_([0-9a-f]{16})\./.exec(id);
      const credentialId = m ? m[1]! : id;
      await withServices((s) => s.credentials.revoke(kind, credentialId, CLI));
      out(cmd).print({ id: credentialId, revoked: true }, `revoked ${credentialId}`);
    });
}

function humanCredential(c: CredentialSummary): string {
  const label = c.botName ? `bot ${c.botName}` : (c.name ?? '');
  return `${c.id}\t${label}\tcreated ${c.createdAt}${c.revokedAt ? `\trevoked ${c.revokedAt}` : ''}`;
}
