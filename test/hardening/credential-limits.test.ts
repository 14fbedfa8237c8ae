/**
 * Issue 9, point 10: brute force on API credentials. Failed checks of a Jelou client secret, a
 * Plazbot API token, a Chatwoot platform app token or a SCIM token are counted per client address and per
 * credential id: an address past its limit gets 429 (Retry-After, in the API's format), even with a
 * good secret, while the same good credential keeps working from other addresses; an id past its
 * limit turns further failures from anywhere into 429s and still lets its good secret through.
 * Client addresses come from X-Forwarded-For (TRUST_PROXY=true).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { REDIS, SKIP_REDIS } from '../fixtures/databases.js';
import { call, type Reply } from '../fixtures/http.js';
import { startTestServer, type Stoppable, type TestServer } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

const LIMITS = { CREDENTIAL_MAX_FAILURES_PER_IP: '5', CREDENTIAL_MAX_FAILURES_PER_ID: '8', CREDENTIAL_WINDOW_SECONDS: '300' };
const ENV = { TRUST_PROXY: 'true', CREDENTIAL_CACHE_TTL_MS: '0', ...LIMITS };

interface Api {
  name: string;
  /** Calls the API with this credential text from this address. */
  send(srv: TestServer & Stoppable, credential: string, ip: string): Promise<Reply>;
  good: string;
  /** The same id with another secret. */
  wrong: () => string;
  /** An id no credential has. */
  stranger: () => string;
  okStatus: number;
  assertFormat(r: Reply): void;
}

const secret = () => randomBytes(32).toString('base64url');
const withSecret = (token: string, s: string) => token.replace(/\.[^.]+$/, `.${s}`);

async function apis(srv: TestServer & Stoppable): Promise<Api[]> {
  await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
  const w = await servicesOf(srv.db).credentials.createWidgetClient({ companyCode: 'acme' });
  const t = await servicesOf(srv.db).credentials.createToken('api_token', { companyCode: 'acme' });
  const p = await servicesOf(srv.db).credentials.createToken('platform_app', { companyCode: 'acme', name: 'App' });
  const sc = await servicesOf(srv.db).credentials.createToken('scim_token', { companyCode: 'acme', name: 'IdP' });
  let n = 0;
  return [
    {
      name: 'Jelou client secret',
      send: (s, credential, ip) =>
        call(s.url, 'POST', '/v1/widget/user', {
          headers: { authorization: credential, 'x-forwarded-for': ip },
          json: { user: { id: `u${n++}`, names: 'N' } },
        }),
      good: `${w.clientId}:${w.clientSecret}`,
      wrong: () => `${w.clientId}:${secret()}`,
      stranger: () => `${randomBytes(8).toString('hex')}:${secret()}`,
      okStatus: 200,
      assertFormat: (r) => {
        assert.equal(r.body.statusMessage, 'failure');
        assert.equal(r.body.error.key, 'TOO_MANY_FAILED_CREDENTIALS');
        assert.equal(r.body.error.clientMessages.es, 'Demasiadas solicitudes, intente más tarde.');
      },
    },
    {
      name: 'Plazbot API token',
      send: (s, credential, ip) =>
        call(s.url, 'GET', '/api/user/email?email=nobody%40example.com', { headers: { authorization: `Bearer ${credential}`, 'x-forwarded-for': ip } }),
      good: t.token,
      wrong: () => withSecret(t.token, secret()),
      stranger: () => `rtk_${randomBytes(8).toString('hex')}.${secret()}`,
      okStatus: 404,
      assertFormat: (r) =>
        assert.deepEqual(
          { ...r.body, message: undefined },
          { success: false, code: 429, errorCode: 'TOO_MANY_FAILED_CREDENTIALS', message: undefined, errors: [] },
        ),
    },
    {
      name: 'Chatwoot platform app token',
      send: (s, credential, ip) => call(s.url, 'GET', '/platform/api/v1/accounts', { headers: { api_access_token: credential, 'x-forwarded-for': ip } }),
      good: p.token,
      wrong: () => withSecret(p.token, secret()),
      stranger: () => `rpa_${randomBytes(8).toString('hex')}.${secret()}`,
      okStatus: 200,
      assertFormat: (r) => assert.deepEqual(r.body, { error: 'Too Many Requests', message: 'Too many failed credential checks; try again later' }),
    },
    {
      name: 'SCIM token',
      send: (s, credential, ip) => call(s.url, 'GET', '/scim/v2/Users', { headers: { authorization: `Bearer ${credential}`, 'x-forwarded-for': ip } }),
      good: sc.token,
      wrong: () => withSecret(sc.token, secret()),
      stranger: () => `rsc_${randomBytes(8).toString('hex')}.${secret()}`,
      okStatus: 200,
      assertFormat: (r) =>
        assert.deepEqual(r.body, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '429',
          detail: 'Too many failed credential checks; try again later',
        }),
    },
  ];
}

function assert429(api: Api, r: Reply, where: string) {
  assert.equal(r.status, 429, `${api.name} ${where}: ${r.text}`);
  const retryAfter = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 300, `Retry-After ${r.headers.get('retry-after')}`);
  api.assertFormat(r);
}

describe('point 10: failed API-credential checks are limited per address and per credential id', () => {
  let srv: TestServer & Stoppable;
  let all: Api[];
  before(async () => {
    srv = await startTestServer('sqlite', ENV);
    all = await apis(srv);
  });
  after(() => srv.stop());

  for (const [i, label] of ['Jelou client secret', 'Plazbot API token', 'Chatwoot platform app token', 'SCIM token'].entries()) {
    it(`locks out an address guessing a ${label}, not the credential's owner elsewhere`, async () => {
      const api = all[i]!;
      const attacker = `198.51.100.${10 + i}`;
      for (let k = 0; k < 5; k++) assert.equal((await api.send(srv, api.wrong(), attacker)).status, 401, `guess ${k + 1}`);
      assert429(api, await api.send(srv, api.wrong(), attacker), 'sixth guess');
      assert429(api, await api.send(srv, api.good, attacker), 'a good secret from the locked-out address');
      assert.equal((await api.send(srv, api.good, `203.0.113.${10 + i}`)).status, api.okStatus, 'the good credential from another address');
      // A distributed attack on the id: a few failures from each of many addresses.
      const replies: number[] = [];
      for (let k = 0; k < 4; k++) replies.push((await api.send(srv, api.wrong(), `192.0.2.${10 * i + 1}`)).status);
      assert.deepEqual(replies, [401, 401, 401, 429], 'the ninth failure against the id is a 429');
      assert429(api, await api.send(srv, api.wrong(), `192.0.2.${10 * i + 2}`), 'a failure from a fresh address once the id is past its limit');
      assert.equal((await api.send(srv, api.good, `192.0.2.${10 * i + 3}`)).status, api.okStatus, 'the owner still gets in');
    });
  }

  it('counts an address across every API, and an IPv6 client by its /64', async () => {
    const [jelou, plazbot, chatwoot] = all as [Api, Api, Api];
    const v6 = (host: string) => `2001:db8:1:2::${host}`;
    for (const [k, api] of [jelou, plazbot, chatwoot, jelou, plazbot].entries()) {
      assert.equal((await api.send(srv, api.stranger(), v6(String(k + 1)))).status, 401);
    }
    assert429(chatwoot, await chatwoot.send(srv, chatwoot.good, v6('ff')), 'another address of the same /64');
    assert.equal((await chatwoot.send(srv, chatwoot.good, '2001:db8:1:3::1')).status, 200, 'another /64');
  });
});

describe('point 10: the limits are shared across nodes through Redis', { skip: SKIP_REDIS }, () => {
  it('locks an address out on every node', async () => {
    const env = { ...ENV, REDIS_URL: REDIS!, REDIS_KEY_PREFIX: `roster-test:${randomBytes(6).toString('hex')}:` };
    const a = await startTestServer('sqlite', env);
    const b = await startTestServer('sqlite', { ...env, DATABASE_URL: a.database.url });
    try {
      const [jelou] = (await apis(a)) as [Api];
      for (let k = 0; k < 5; k++) assert.equal((await jelou.send(k % 2 ? a : b, jelou.wrong(), '198.51.100.99')).status, 401);
      assert429(jelou, await jelou.send(b, jelou.good, '198.51.100.99'), 'node b');
      assert429(jelou, await jelou.send(a, jelou.good, '198.51.100.99'), 'node a');
      assert.equal((await jelou.send(b, jelou.good, '198.51.100.100')).status, 200);
    } finally {
      await b.stop().catch(() => {});
      await a.stop();
    }
  });
});
