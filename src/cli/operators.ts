/** `roster operator`: the people who may log in to the admin console (/admin). */
import type { Command } from 'commander';
import { CLI } from '../events/types.js';
import { generateOperatorPassword, type Operator } from '../identity/operators.js';
import type { Output, WithServices } from './context.js';

/** Reads the whole of stdin; the password is its first line (a trailing newline is not part of it). */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trimEnd();
}

const operatorLine = (o: Operator) => `${o.id}\t${o.email}\tcreated ${o.createdAt}`;

export function registerOperators(program: Command, withServices: WithServices, out: (cmd: Command) => Output): void {
  const operator = program.command('operator').description('manage the operators who log in to the admin console at /admin');
  operator
    .command('create')
    .description('create an operator; without --password-stdin a password is generated and shown only now')
    .requiredOption('--email <email>', "the operator's email (their login)")
    .option('--password-stdin', 'read the password from the first line of stdin (at least 12 characters)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { email: string; passwordStdin?: boolean }, cmd: Command) => {
      const generated = opts.passwordStdin ? undefined : generateOperatorPassword(opts.email);
      const password = generated ?? (await readPassword());
      const o = await withServices((s) => s.operators.create({ email: opts.email, password }, CLI));
      out(cmd).print(
        { ...o, ...(generated && { password: generated }) },
        `created operator ${o.email} (id ${o.id})${generated ? `\npassword ${generated}\n(the password is shown only now)` : ''}`,
      );
    });
  operator
    .command('list')
    .description('list operators')
    .option('--json', 'print one JSON object')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withServices((s) => s.operators.list());
      out(cmd).print({ operators: rows }, rows.length === 0 ? 'none' : rows.map(operatorLine).join('\n'));
    });
  operator
    .command('remove')
    .description('remove an operator; their console sessions end at once')
    .argument('<email>', "the operator's email")
    .option('--json', 'print one JSON object')
    .action(async (email: string, _opts: unknown, cmd: Command) => {
      const o = await withServices((s) => s.operators.remove(email, CLI));
      out(cmd).print({ id: o.id, email: o.email, removed: true }, `removed operator ${o.email}`);
    });
}
