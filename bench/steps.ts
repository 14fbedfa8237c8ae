/**
 * The widget path's returning-user work step by step, in one process and without HTTP: roster's
 * parts (the credential guard and check, WidgetUserService.getOrCreate, the presenter, the route's
 * schema serializer) next to the reference servers' same steps (bench/reference-work.ts), on one
 * SQLite file. It tells whether the distance `npm run bench` shows between roster and the
 * reference lies in the route's own work or around it (HTTP, headers, hooks, logging).
 *
 *   npm run build && node dist/bench/steps.js
 *
 * Env: STEPS_ITERATIONS (100000 timed, after 20000 to warm up), STEPS_USERS (1000).
 * CPU time (user + system) per call, from process.cpuUsage. Not part of roster.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presentWidgetUser } from '../src/apis/jelou/present.js';
import { CreateWidgetUserResponse } from '../src/apis/jelou/schemas.js';
import { parseWidgetAuthorization } from '../src/apis/shared/auth.js';
import { CredentialGuard } from '../src/apis/shared/credential-guard.js';
import { loadConfig } from '../src/config.js';
import { MemoryCounterStore } from '../src/infra/counters.js';
import { openSecretBox } from '../src/infra/secret-key.js';
import { buildServices } from '../src/services.js';
import { openDb } from '../src/store/db.js';
import { referenceServerEnv, seedBenchTenant, sqliteEnv, type WidgetSample } from './servers.js';
import type { WidgetUserRecord } from '../src/identity/widget-users.js';

const ITERATIONS = Number(process.env.STEPS_ITERATIONS ?? 100_000);
const USERS = Number(process.env.STEPS_USERS ?? 1000);

const dir = mkdtempSync(join(tmpdir(), 'roster-steps-'));
const dbFile = join(dir, 'steps.db');
const env = sqliteEnv(dbFile);
const tenant = seedBenchTenant(env);
const config = loadConfig(env);
const db = openDb(`sqlite:${dbFile}`);
db.keepTemporaryDataInMemory?.();
const counters = new MemoryCounterStore();
const services = buildServices({ db, config, counters, secrets: openSecretBox(config) });
const guard = new CredentialGuard(counters, config.credentialLimits, () => {});
const { clientId, clientSecret } = tenant.client;
const header = tenant.basic.authorization;
const origin = { requestId: 'steps', clientIp: '127.0.0.1', deliveriesQueued: () => {} };
const principal = await services.auth.widgetClient(clientId, clientSecret, origin);
const input = (i: number) => ({ id: `seed-${(i % USERS) + 1}`, names: `Seeded User ${(i % USERS) + 1}` });
const users: WidgetUserRecord[] = [];
for (let i = 0; i < USERS; i++) users.push((await services.widgetUsers.getOrCreate(principal, input(i))).user);
const answers = users.map((u) => presentWidgetUser(u, principal));
// The reference reads its settings from the environment when it is imported.
Object.assign(process.env, referenceServerEnv(dbFile, tenant.client, answers[0] as unknown as WidgetSample));
const reference = await import('./reference-work.js');
const bodies = users.map((_, i) => JSON.stringify({ user: input(i) }));
const referenceAnswers = bodies.map((b) => reference.widgetAnswer(JSON.parse(b)).body);
const serialize = SerializerSelector()({}, {})({ schema: CreateWidgetUserResponse, method: 'POST', url: '/v1/widget/user', httpStatus: '200' });

const rows: Array<[string, number]> = [];
async function step(name: string, fn: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < 20_000; i++) await fn(i);
  const t0 = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) await fn(i);
  const used = process.cpuUsage(t0);
  rows.push([name, (used.user + used.system) / ITERATIONS]);
}

await step('reference: the Basic credential (SHA-256)', () => reference.authorized(header));
await step('roster: the credential guard and check (cached)', () => {
  const creds = parseWidgetAuthorization(header)!;
  return guard.check('127.0.0.1', { kind: 'widget_client', id: creds.clientId }, () => services.auth.widgetClient(creds.clientId, creds.secret, origin));
});
await step('reference: JSON.parse, the select, the answer built', (i) => reference.widgetAnswer(JSON.parse(bodies[i % USERS]!)));
await step('roster: JSON.parse and getOrCreate (a returning user)', (i) => {
  JSON.parse(bodies[i % USERS]!);
  return services.widgetUsers.getOrCreate(principal, input(i));
});
await step('roster: the presenter (presentWidgetUser)', (i) => presentWidgetUser(users[i % USERS]!, principal));
await step('reference: JSON.stringify of the answer', (i) => JSON.stringify(referenceAnswers[i % USERS]));
await step("roster: the route's schema serializer", (i) => serialize(answers[i % USERS]));

console.log(`\nroster bench:steps, ${new Date().toISOString()}, Node ${process.version}, ${ITERATIONS} calls a step after 20,000 to warm up, ${USERS} users\n`);
console.log('| step | CPU µs a call |\n| --- | ---: |');
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(2)} |`);
await db.close();
rmSync(dir, { recursive: true, force: true });
