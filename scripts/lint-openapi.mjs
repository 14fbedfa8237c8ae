#!/usr/bin/env node
// Writes the OpenAPI documents the server serves (/openapi.json and /openapi/<api>.json, from
// buildApp in dist/, so run after `npm run build`) to a temporary folder and lints each with
// Redocly's CLI (`redocly lint`, rules in redocly.yaml). Exits non-zero when one has an error.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildApp } = await import(join(root, 'dist/src/app.js'));
const { loadConfig } = await import(join(root, 'dist/src/config.js'));
const { openDb } = await import(join(root, 'dist/src/store/db.js'));
const { API_DOCUMENTS } = await import(join(root, 'dist/src/infra/openapi-docs.js'));

const config = loadConfig({
  DATABASE_URL: 'sqlite::memory:',
  LOG_LEVEL: 'silent',
  SEED_DEMO: 'false',
  PUBLIC_URL: 'https://roster.example.org',
  ROSTER_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
});
const db = openDb(config.databaseUrl, {});
const app = await buildApp({ config, db });
await app.ready();
const dir = mkdtempSync(join(tmpdir(), 'roster-openapi-'));
const files = [];
try {
  for (const path of ['/openapi.json', ...API_DOCUMENTS.map((a) => `/openapi/${a.name}.json`)]) {
    const res = await app.inject({ method: 'GET', url: path });
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode}`);
    const file = join(dir, path.slice(1).replace(/\//g, '-'));
    writeFileSync(file, res.body);
    files.push(file);
  }
} finally {
  await app.close();
  await db.close();
}
const redocly = join(root, 'node_modules/.bin/redocly');
const run = spawnSync(redocly, ['lint', '--config', join(root, 'redocly.yaml'), ...files], {
  stdio: 'inherit',
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});
rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);
