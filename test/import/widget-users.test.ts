/** `roster import widget-users`: each user gets what the widget API's get-or-create gives it. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { DomainError } from '../../src/identity/errors.js';
import { forEachStore } from '../fixtures/databases.js';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { countRows, csv, tempFiles } from './helpers.js';

/** A widget API body with what differs between two users (ids, times, generated ids, colors) masked. */
function shape(body: unknown, referenceId: string): unknown {
  const text = JSON.stringify(body)
    .replaceAll(referenceId, '<ref>')
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/"[0-9a-f]{24}"/g, '"<oid>"')
    .replace(/"databaseId":\d+/g, '"databaseId":0')
    // A member's color is drawn from their id.
    .replace(/"color":"#[0-9A-Fa-f]{6}"/g, '"color":"<color>"');
  return JSON.parse(text);
}

forEachStore('roster import widget-users', (kind) => {
  const srv = withApp(kind, { CREDENTIAL_CACHE_TTL_MS: '0' });
  const files = tempFiles();
  let auth: string;
  let companyId: number;
  const post = (user: Record<string, string>) => srv.call('POST', '/v1/widget/user', { headers: { authorization: auth }, json: { user } });
  const imports = () => servicesOf(srv.db).imports;

  before(async () => {
    companyId = (await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' })).id;
    const c = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme', botName: 'Acme Bot' });
    auth = `${c.clientId}:${c.clientSecret}`;
  });

  it('gives each imported user the rows, rooms and members the widget API gives a new user', async () => {
    assert.equal((await post({ id: 'api-1', names: 'Same Name', legalId: 'L-1' })).status, 200);
    const path = files.write(
      'widget.csv',
      csv(
        ['id', 'names', 'legalId'],
        [
          { id: 'imp-1', names: 'Same Name', legalId: 'L-1' },
          { id: 'imp-2', names: 'Ann, "quoted"' },
          { id: '12345', names: 'Numeric Id' },
        ],
      ),
    );
    const r = await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: path });
    assert.deepEqual([r.created, r.updated, r.unchanged, r.failed], [3, 0, 0, []]);
    // The API finds the imported users as returning ones, with the same body as a user it made itself.
    const api = await post({ id: 'api-1', names: 'Same Name', legalId: 'L-1' });
    const imported = await post({ id: 'imp-1', names: 'Same Name', legalId: 'L-1' });
    assert.equal(imported.status, 200);
    assert.deepEqual(shape(imported.body, 'imp-1'), shape(api.body, 'api-1'));
    assert.equal(await countRows(srv.db, 'widget_users'), 4);
    assert.equal(await countRows(srv.db, 'rooms'), 8);
    assert.equal(await countRows(srv.db, 'room_members'), 16);
    const events = await srv.db.kysely.selectFrom('events').selectAll().where('actor_id', '=', r.runId).execute();
    assert.deepEqual(events.map((e) => [e.type, e.actor_kind, e.target_id, e.company_id]).sort(), [
      ['widget_user.created', 'import', '12345', companyId],
      ['widget_user.created', 'import', 'imp-1', companyId],
      ['widget_user.created', 'import', 'imp-2', companyId],
    ]);
  });

  it('a second run changes nothing; changed names update the user and rename the rooms; a blank legalId keeps it', async () => {
    const same = files.write('same.jsonl', ['{"id":"imp-1","names":"Same Name","legalId":"L-1"}', '{"id":"api-1","names":"Same Name"}'].join('\n'));
    const again = await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: same });
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 2]);
    const renamed = files.write('renamed.jsonl', '{"id":"imp-1","names":"New Name"}\n');
    const r = await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: renamed });
    assert.deepEqual([r.created, r.updated, r.unchanged], [0, 1, 0]);
    const body = (await post({ id: 'imp-1', names: 'New Name' })).body;
    assert.equal(body.data.User.names, 'New Name');
    assert.equal(body.data.User.legalId, 'L-1');
    assert.equal(body.data.Room.name, 'New Name');
  });

  it('reports bad rows, refuses an unknown bot, and writes nothing in a dry run', async () => {
    const path = files.write(
      'bad.jsonl',
      ['{"id":"ok-1","names":"Ok"}', '{"id":"","names":"No id"}', '{"id":"ok-1","names":"Twice"}', '{"id":"x","names":"N\\u0000UL"}', 'nope'].join('\n'),
    );
    const before = await Promise.all((['widget_users', 'rooms', 'events'] as const).map((t) => countRows(srv.db, t)));
    const dry = await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: path, dryRun: true });
    assert.equal(dry.created, 1);
    assert.deepEqual(
      dry.failed.map((f) => [f.line, f.field]),
      [
        [2, 'id'],
        [3, 'id'],
        [4, 'names'],
        [5, null],
      ],
    );
    assert.deepEqual(await Promise.all((['widget_users', 'rooms', 'events'] as const).map((t) => countRows(srv.db, t))), before);
    await assert.rejects(
      imports().widgetUsers({ companyCode: 'acme', bot: 'No Such Bot', source: path }),
      (e) => e instanceof DomainError && e.code === 'BOT_NOT_FOUND',
    );
  });

  if (kind === 'postgres') {
    it('ends a run that wrote rows by having PostgreSQL analyze the tables it wrote; a dry run, or one that changed nothing, does not', async () => {
      const analyzed = async () => {
        const { rows } = await sql<{ relname: string; n: string }>`select relname, analyze_count as n from pg_stat_user_tables
          where relname in ('widget_users', 'rooms', 'room_members') order by relname`.execute(srv.db.kysely);
        return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)]));
      };
      const path = files.write(
        'analyze.csv',
        csv(
          ['id', 'names'],
          [
            { id: 'an-1', names: 'A' },
            { id: 'an-2', names: 'B' },
          ],
        ),
      );
      // No autovacuum on them meanwhile (its ANALYZE counts in autoanalyze_count; this keeps the tables as the test left them).
      for (const table of ['widget_users', 'rooms', 'room_members']) {
        await sql`alter table ${sql.table(table)} set (autovacuum_enabled = false)`.execute(srv.db.kysely);
      }
      const before = await analyzed();
      assert.equal((await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: path, dryRun: true })).created, 2);
      assert.deepEqual(await analyzed(), before);
      assert.equal((await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: path })).created, 2);
      const after = await analyzed();
      for (const table of ['widget_users', 'rooms', 'room_members']) assert.equal(after[table], before[table]! + 1, table);
      assert.equal((await imports().widgetUsers({ companyCode: 'acme', bot: 'Acme Bot', source: path })).unchanged, 2);
      assert.deepEqual(await analyzed(), after);
    });
  }
});
