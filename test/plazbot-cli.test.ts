import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CLI } from './fixtures/cli.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'roster-cli-'));
const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`, LOG_LEVEL: 'silent' };
const roster = async (...args: string[]) => {
  const { stdout } = await run(process.execPath, [CLI, ...args], { env });
  return stdout;
};

describe('roster CLI: password policy and outbox', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sets and resets a company password policy', async () => {
    await roster('company', 'create', '--code', 'wabotify', '--name', 'Wabotify', '--json');
    const updated = JSON.parse(await roster('company', 'update', '--code', 'wabotify', '--password-min-length', '12', '--json'));
    assert.equal(updated.passwordPolicy.minLength, 12);
    assert.equal(updated.passwordPolicy.maxLength, 128);
    const back = JSON.parse(await roster('company', 'update', '--code', 'wabotify', '--default-password-policy', '--json'));
    assert.equal(back.passwordPolicy.minLength, 8);
  });

  it('refuses a policy weaker than 8 characters, with a clear error', async () => {
    await assert.rejects(roster('company', 'update', '--code', 'wabotify', '--password-min-length', '4'), (e: any) => {
      assert.notEqual(e.code, 0);
      assert.match(e.stderr, /minimum length must be 8-128/);
      return true;
    });
    await assert.rejects(roster('company', 'update', '--code', 'wabotify', '--password-min-length', 'ten'));
  });

  it('lists the outbox as one JSON object', async () => {
    const out = JSON.parse(await roster('outbox', 'list', '--json'));
    assert.deepEqual(out, { messages: [] });
    assert.match(await roster('outbox', 'list'), /empty/);
    await assert.rejects(roster('outbox', 'list', '--status', 'bogus'));
  });
});
