/** `roster scim-token`: the bearer tokens identity providers (Okta, Microsoft Entra ID) provision a company with. */
import type { Command } from 'commander';
import { registerListRevoke } from './credentials.js';
import type { Output, WithServices } from './context.js';
import { CLI } from '../events/types.js';

export function registerScim(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  const group = program.command('scim-token').description("manage SCIM tokens (SCIM 2.0 at /scim/v2: a company's users and groups)");
  group
    .command('create')
    .description('create one; the token is shown only once')
    .requiredOption('--company <code>', 'company code')
    .option('--name <name>', 'a label, e.g. the identity provider it is for')
    .option('--json', 'print one JSON object')
    .action(async (opts: { company: string; name?: string }, cmd: Command) => {
      const t = await withServices((s) => s.credentials.createToken('scim_token', { companyCode: opts.company, name: opts.name }, CLI));
      out(cmd).print(t, `id    ${t.id}\ntoken ${t.token}\n(the token is shown only now; send it as Authorization: Bearer <token>)`);
    });
  registerListRevoke(group, 'scim_token', 'scimTokens', withServices, out);
}
