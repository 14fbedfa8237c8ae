/** `roster company create|list|update`: companies (tenants) and their settings. */
import type { Command } from 'commander';
import { companyView, type Company } from '../identity/companies.js';
import { CLI } from '../events/types.js';
import { checkOrigins } from '../identity/cors-origins.js';
import { collect, wholeNumber as length, type Output, type WithServices } from './context.js';

/** `company create` prints exactly {id, code, name}; list and update add the settings. */
const companyJson = (c: Company) => ({ id: c.id, code: c.code, name: c.name });
const companyDetailJson = (c: Company, corsOrigins: string[]) => ({ ...companyView(c), corsOrigins });

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

export function registerCompanies(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
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
        // One transaction and one company.updated for the whole command, none when nothing changes.
        const saved = await s.companySettings.save(
          opts.code,
          {
            name: opts.name,
            requireEmailVerification: opts.requireEmailVerification,
            ...(policy !== undefined && { passwordPolicy: policy }),
            corsOriginChange: { add: opts.corsOrigin, remove: opts.removeCorsOrigin },
          },
          CLI,
        );
        return [saved.company, saved.corsOrigins] as const;
      });
      const p = c.passwordPolicy;
      out(cmd).print(
        companyDetailJson(c, corsOrigins),
        `updated company ${c.code} (id ${c.id}): ${c.name}; passwords ${p.minLength}-${p.maxLength} characters; CORS origins: ${corsOrigins.join(', ') || 'none'}`,
      );
    });
}
