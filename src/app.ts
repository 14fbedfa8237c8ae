/** `roster serve`: open the database, migrate, seed the demo tenant when new, listen, stop cleanly. */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { seedDemo, type DemoCredentials } from './core/demo.js';
import { buildServer } from './server.js';
import { openDb, type Db } from './store/db.js';
import { migrateToLatest } from './store/migrate.js';

export interface Running {
  app: FastifyInstance;
  db: Db;
  url: string;
  demo: DemoCredentials | undefined;
  close(): Promise<void>;
}

export async function start(config: Config): Promise<Running> {
  const db = openDb(config.databaseUrl, { poolSize: config.dbPoolSize, statementTimeoutMs: config.dbStatementTimeoutMs });
  try {
    await migrateToLatest(db);
    const demo = config.seedDemo ? await seedDemo(db) : undefined;
    const app = await buildServer({ config, db });
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
    return {
      app,
      db,
      url,
      demo,
      close: async () => {
        await app.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/** The text `npm start` prints once on a new database: the demo credentials and a curl per API. */
export function demoBanner(demo: DemoCredentials, url: string): string {
  const { widgetClient: w } = demo;
  return [
    '',
    '  roster created a demo company on this new database. These secrets are shown once; only',
    '  their digests are stored. Create your own with `npx roster company create` and friends.',
    '',
    `  company        ${demo.company.code} (id ${demo.company.id})`,
    `  widget client  clientId ${w.clientId}  clientSecret ${w.clientSecret}  (bot ${w.botId})`,
    `  API token      ${demo.apiToken.token}`,
    `  platform app   ${demo.platformApp.token}`,
    '',
    '  Jelou widget user:',
    `    curl -s -X POST ${url}/v1/widget/user \\`,
    `      -H 'Authorization: ${w.clientId}:${w.clientSecret}' \\`,
    `      -H 'Content-Type: application/json' \\`,
    `      -d '{"user":{"id":"11111111111","names":"Tester #1111","legalId":"1223334444"}}'`,
    '',
  ].join('\n');
}
