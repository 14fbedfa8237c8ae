/**
 * A real third-party client against the running server: the npm `@figuro/chatwoot-sdk` (axios)
 * drives accounts, users (including `get` returning the user's token), account users and agent
 * bots, as an integration written for Chatwoot would.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import sdk from '@figuro/chatwoot-sdk';
import { Accounts } from '@figuro/chatwoot-sdk/dist/services/platform/Accounts.js';
import { AccountUsers } from '@figuro/chatwoot-sdk/dist/services/platform/AccountUsers.js';
import type { ChatwootAPIConfig } from '@figuro/chatwoot-sdk/dist/core/ChatwootAPI.js';
import { forEachStore } from '../fixtures/databases.js';
import { withServer } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';
import { createTenant, GOOD_PASSWORD, uniqueEmail } from './helpers.js';

// A CommonJS package: its `exports.default` is the client class.
const ChatwootClient = sdk.default;

forEachStore('Chatwoot platform API through @figuro/chatwoot-sdk', (kind) => {
  const srv = withServer(kind);
  let config: ChatwootAPIConfig;

  before(async () => {
    const tenant = await createTenant(srv, 'sdk');
    config = { basePath: srv.url, with_credentials: false, credentials: 'omit', token: tenant.token };
  });

  it('drives accounts, users, account users and agent bots; every write recorded', async () => {
    const client = new ChatwootClient({ config });
    const accounts = new Accounts({ config });
    const accountUsers = new AccountUsers({ config });

    const account = (await accounts.create({ data: { name: 'SDK Co' } })) as { id: number; name: string };
    assert.equal(account.name, 'SDK Co');

    const email = uniqueEmail('sdk');
    const created = (await client.users.create({ data: { name: 'Sdk User', email, password: GOOD_PASSWORD } })) as { id: number; access_token: string };
    assert.match(created.access_token, /^rut_/);
    const got = (await client.users.get({ id: created.id })) as { email: string; access_token: string; pubsub_token: string };
    assert.equal(got.email, email);
    assert.equal(got.access_token, created.access_token, "users.get returns the user's token");
    assert.ok(got.pubsub_token);
    const updated = (await client.users.update({ id: created.id, data: { name: 'Sdk Renamed' } })) as { name: string; access_token: string };
    assert.equal(updated.name, 'Sdk Renamed');
    assert.equal(updated.access_token, created.access_token);
    const sso = (await client.users.getSSOUrl({ id: created.id })) as { url: string };
    assert.match(sso.url, /sso_auth_token=[0-9a-f]{64}/);

    const member = (await accountUsers.create({ accountId: account.id, data: { user_id: created.id, role: 'administrator' } })) as {
      user_id: number;
      role: string;
    };
    assert.equal(member.user_id, created.id);
    assert.equal(member.role, 'administrator');
    const members = (await accountUsers.list({ accountId: account.id })) as Array<{ user_id: number }>;
    assert.deepEqual(
      members.map((m) => m.user_id),
      [created.id],
    );
    await accountUsers.delete({ accountId: account.id, data: { user_id: created.id } });
    assert.deepEqual(await accountUsers.list({ accountId: account.id }), []);

    const bot = (await client.agentBots.create({ data: { name: 'Sdk Bot', outgoing_url: 'https://bot.example.test/hook' } })) as {
      id: number;
      access_token: string;
    };
    assert.match(bot.access_token, /^rbt_/);
    const shownBot = (await client.agentBots.get({ id: bot.id })) as { access_token: string };
    assert.equal(shownBot.access_token, bot.access_token);
    const renamed = (await client.agentBots.update({ id: bot.id, data: { name: 'Sdk Bot 2' } })) as { name: string };
    assert.equal(renamed.name, 'Sdk Bot 2');
    const list = (await client.agentBots.list()) as Array<{ id: number }>;
    assert.ok(list.some((b) => b.id === bot.id));
    await client.agentBots.delete({ id: bot.id });
    await client.users.delete({ id: created.id });

    const types = (await servicesOf(srv.db).audit.list({ limit: 100 })).events.map((e: { type: string }) => e.type);
    for (const t of [
      'account.created',
      'user.created',
      'user.updated',
      'account_user.created',
      'account_user.deleted',
      'agent_bot.created',
      'agent_bot.updated',
      'agent_bot.deleted',
      'user.deleted',
    ]) {
      assert.ok(types.includes(t), `${t} recorded`);
    }
  });
});
