/** `roster client|token|platform-app create|list|revoke`: the credentials of the vendor APIs. */
import type { Command } from 'commander';
import { CLI } from '../events/types.js';
import type { CredentialKind, CredentialSummary } from '../identity/credentials.js';
import type { Output, WithServices } from './context.js';

export function registerCredentials(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
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
