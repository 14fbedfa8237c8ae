/**
 * `roster import users | widget-users | chatwoot` (docs/import.md). Progress goes to stderr when it
 * is a terminal; the summary to stdout (one JSON object with --json). The exit code is 0 when every
 * row was imported, 2 when the run finished with row errors, 1 when it could not run.
 */
import { statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { invalid, unavailable } from '../identity/errors.js';
import { ChatwootSourceError } from '../import/chatwoot-source.js';
import type { ChatwootImportReport } from '../import/chatwoot.js';
import { createProgress, formatSummary, formatWarnings, type Progress, type ProgressOptions } from '../import/progress.js';
import { ImportFileError, type ImportFormat } from '../import/read.js';
import { summaryJson, type ImportReport } from '../import/run.js';
import type { Services } from '../services.js';
import type { WithServices } from './context.js';

function format(value: string): ImportFormat {
  if (value !== 'csv' && value !== 'jsonl') throw new InvalidArgumentError('must be csv or jsonl');
  return value;
}

function batchSize(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 5000) throw new InvalidArgumentError('must be a whole number from 1 to 5000');
  return Number(value);
}

/** The import's own errors, as the CLI's typed ones (printed as `roster: <message>`, exit 1). */
async function cliErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ImportFileError) throw invalid(`IMPORT_${err.code}`, err.message);
    if (err instanceof ChatwootSourceError) throw err.code === 'CONNECT_FAILED' ? unavailable(err.message) : invalid(`CHATWOOT_${err.code}`, err.message);
    throw err;
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

interface FileOptions {
  company: string;
  file: string;
  format?: ImportFormat;
  dryRun?: boolean;
  json?: boolean;
  batchSize?: number;
}

function printReport(report: ImportReport, json: boolean): void {
  if (report.warnings.length > 0) process.stderr.write(formatWarnings(report.warnings));
  process.stderr.write(`roster: import run ${report.runId} (the actor of the events it recorded)\n`);
  if (json) process.stdout.write(`${JSON.stringify(summaryJson(report))}\n`);
  else process.stdout.write(formatSummary(report, { dryRun: report.dryRun }));
  if (report.failed.length > 0) process.exitCode = 2;
}

function printChatwoot(report: ChatwootImportReport, json: boolean): void {
  process.stderr.write(`roster: import run ${report.runId} (the actor of the events it recorded)\n`);
  const { kinds, idsNotKept, platformApps, notes } = report;
  if (report.failed.length > 0) process.exitCode = 2;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...summaryJson(report), kinds, idsNotKept, platformApps, notes })}\n`);
    return;
  }
  const lines = [formatSummary(report, { dryRun: report.dryRun }).trimEnd()];
  const k = (name: string, c: { created: number; updated?: number; unchanged: number; failed?: number; skipped?: number }) =>
    `  ${name}: created ${c.created}${c.updated !== undefined ? `, updated ${c.updated}` : ''}, unchanged ${c.unchanged}${c.failed !== undefined ? `, failed ${c.failed}` : ''}${c.skipped !== undefined ? `, skipped ${c.skipped}` : ''}`;
  lines.push(
    k('accounts', kinds.accounts),
    k('users', kinds.users),
    k('account users', kinds.accountUsers),
    k('platform apps', kinds.platformApps),
    k('platform app links', kinds.permissibles),
  );
  for (const [what, list] of [
    ['account', idsNotKept.accounts],
    ['user', idsNotKept.users],
  ] as const) {
    if (list.length === 0) continue;
    lines.push(`  Chatwoot ${what} ids not kept (taken in roster): ${list.map((l) => `${l.chatwootId} -> ${l.id ?? 'new id'}`).join(', ')}`);
  }
  for (const app of platformApps) {
    lines.push(
      app.token
        ? `  platform app ${JSON.stringify(app.name)} (Chatwoot ${app.chatwootId}): id ${app.id}, token ${app.token} (shown only now)`
        : `  platform app ${JSON.stringify(app.name)} (Chatwoot ${app.chatwootId}): ${app.id ? `id ${app.id}, imported before` : 'would be created'}`,
    );
  }
  for (const n of notes) lines.push(`  note: ${n}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The options of a file import, after the verb's own: the file, its format, and how to run. */
const withFileOptions = (verb: Command): Command =>
  verb
    .requiredOption('--file <path>', 'the file: .csv (with a header row) or .jsonl')
    .option('--format <format>', 'csv or jsonl (default: from the file name)', format)
    .option('--dry-run', 'check every row against the database and write nothing')
    .option('--batch-size <n>', 'rows per transaction (default 1000)', batchSize)
    .option('--json', 'print one JSON object {created, updated, unchanged, failed}');

/** What a file import is given from its options, reporting to `progress`. */
const fileImport = (opts: FileOptions, progress: Progress) => ({
  companyCode: opts.company,
  source: opts.file,
  ...(opts.format && { format: opts.format }),
  dryRun: !!opts.dryRun,
  ...(opts.batchSize && { batchSize: opts.batchSize }),
  onProgress: (rows: number, bytes: number) => progress.update(rows, bytes),
});

export function registerImport(program: Command, withServices: WithServices): void {
  /**
   * Runs one import with a progress display, then prints its report. The display is stopped before
   * the report is printed, and also when the import fails; the import's errors leave as the CLI's.
   */
  const run = async <R>(progressOptions: ProgressOptions, work: (s: Services, progress: Progress) => Promise<R>, print: (report: R) => void) => {
    const progress = createProgress(progressOptions);
    try {
      const report = await cliErrors(() => withServices((s) => work(s, progress)));
      progress.stop();
      print(report);
    } finally {
      progress.stop();
    }
  };

  const command = program.command('import').description('bring users in: from a users file, a widget users file or a Chatwoot database (docs/import.md)');

  withFileOptions(
    command
      .command('users')
      .description('import people who log in (email, names, password hash or password, accounts) into a company from CSV or JSON lines')
      .requiredOption('--company <code>', 'the company they join'),
  ).action((opts: FileOptions) =>
    run(
      { totalBytes: fileSize(opts.file), label: 'users' },
      (s, progress) => s.imports.users(fileImport(opts, progress)),
      (report) => printReport(report, !!opts.json),
    ),
  );

  withFileOptions(
    command
      .command('widget-users')
      .description("import a bot's end customers ({id, names, legalId}) with their rooms, as the widget API creates them")
      .requiredOption('--company <code>', 'the company')
      .requiredOption('--bot <name>', 'the bot they talk to (as `roster client create --bot` named it)'),
  ).action((opts: FileOptions & { bot: string }) =>
    run(
      { totalBytes: fileSize(opts.file), label: 'widget users' },
      (s, progress) => s.imports.widgetUsers({ ...fileImport(opts, progress), bot: opts.bot }),
      (report) => printReport(report, !!opts.json),
    ),
  );

  command
    .command('chatwoot')
    .description("import a Chatwoot installation's accounts, users (with their passwords) and memberships, keeping Chatwoot's ids where free")
    .requiredOption('--from <url>', 'postgres:// URL of the Chatwoot database (only read)')
    .requiredOption('--company <code>', 'the company they join')
    .option('--platform-apps', 'also the platform apps and what each may touch (each gets a new roster token)')
    .option('--dry-run', 'check everything against the database and write nothing')
    .option('--batch-size <n>', 'records per transaction (default 1000)', batchSize)
    .option('--json', 'print one JSON object {created, updated, unchanged, failed, kinds, idsNotKept, platformApps, notes}')
    .action((opts: { from: string; company: string; platformApps?: boolean; dryRun?: boolean; json?: boolean; batchSize?: number }) =>
      run(
        { label: 'chatwoot' },
        (s, progress) =>
          s.imports.chatwoot({
            companyCode: opts.company,
            from: opts.from,
            platformApps: !!opts.platformApps,
            dryRun: !!opts.dryRun,
            ...(opts.batchSize && { batchSize: opts.batchSize }),
            onProgress: (n) => progress.update(n),
          }),
        (report) => printChatwoot(report, !!opts.json),
      ),
    );
}
