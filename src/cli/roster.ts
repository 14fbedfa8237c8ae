#!/usr/bin/env node
/** The `roster` command. */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { DomainError } from '../identity/errors.js';
import { DatabaseUrlError, openDb } from '../store/db.js';
import { buildServices, type Services } from '../services.js';
import { openSecretBox, SecretKeyError } from '../infra/secret-key.js';
import { isUnavailable } from '../store/errors.js';
import { MigrationError, migrateOnStart, migrateToLatest } from '../store/migrate.js';
import type { Output } from './context.js';
import { registerCompanies } from './companies.js';
import { registerCredentials } from './credentials.js';
import { registerOutbox } from './outbox.js';
import { registerImport } from './import.js';
import { registerScim } from './scim.js';
import { registerAudit } from './audit.js';
import { registerWebhooks } from './webhooks.js';
import { registerConfig } from './config.js';
import { registerSecrets } from './secrets.js';
import { registerOperators } from './operators.js';

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return Number(value);
}

async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = openDb(config.databaseUrl, {
    poolSize: 2,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
  });
  try {
    await migrateOnStart(config.databaseUrl, db, { connectTimeoutMs: config.dbConnectTimeoutMs });
    return await fn(buildServices({ db, config, secrets: openSecretBox(config) }));
  } finally {
    await db.close();
  }
}

function output(cmd: Command): Output {
  const json = !!cmd.opts<{ json?: boolean }>().json;
  return {
    json,
    print: (value, human) => process.stdout.write(`${json ? JSON.stringify(value) : human}\n`),
  };
}

const program = new Command('roster')
  .description('Self-hosted user provisioning: the Jelou, Plazbot/Wabotify and Chatwoot user APIs and SCIM 2.0 over one identity store')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

program
  .command('serve')
  .description('migrate the database, then serve HTTP (env: PORT, HOST, DATABASE_URL, ...)')
  .option('--port <port>', 'port to listen on (env PORT, default 3000)', port)
  .option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
  .action(async (opts: { port?: number; host?: string }) => {
    const config = loadConfig(process.env, { port: opts.port, host: opts.host });
    // Loaded here so that admin verbs do not pay for the HTTP stack.
    const { demoBanner, start } = await import('../main.js');
    const running = await start(config);
    if (running.demo) process.stdout.write(demoBanner(running.demo, running.url) + '\n');
    running.app.log.info({ url: running.url, database: running.db.safeUrl }, 'roster is listening');
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      running.app.log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
      // close() keeps within the bound; should anything hang past it all the same, exit anyway.
      setTimeout(() => {
        running.app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          running.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('bring the database schema up to date (safe to run ahead of a rollout)')
  .option('--json', 'print one JSON object')
  .action(async (_opts: unknown, cmd: Command) => {
    const config = loadConfig();
    // No statement timeout: a migration may take long, or wait for another node's migration lock.
    const db = openDb(config.databaseUrl, { poolSize: 1, statementTimeoutMs: 0, connectTimeoutMs: config.dbConnectTimeoutMs });
    try {
      const applied = await migrateToLatest(db);
      output(cmd).print({ applied }, applied.length === 0 ? 'database is up to date' : `applied ${applied.join(', ')}`);
    } finally {
      await db.close();
    }
  });

registerCompanies(program, withServices, output);
registerCredentials(program, withServices, output);
registerOutbox(program, withServices, output);
registerScim(program, withServices, output);
registerImport(program, withServices);
registerWebhooks(program, withServices, output);
registerAudit(program, withServices, output);
registerConfig(program, output);
registerSecrets(program, withServices, output);
registerOperators(program, withServices, output);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (
    err instanceof DomainError ||
    err instanceof ConfigError ||
    err instanceof DatabaseUrlError ||
    err instanceof MigrationError ||
    err instanceof SecretKeyError
  ) {
    process.stderr.write(`roster: ${err.message}\n`);
  } else {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`roster: ${isUnavailable(err) ? `cannot reach the database (${e.code ?? e.message})` : (e.message ?? String(err))}\n`);
  }
  process.exit(1);
});
