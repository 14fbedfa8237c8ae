import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCounterStore, type CounterStore } from '../infra/counters.js';
import { RedisCounterStore } from '../infra/redis-counters.js';
import { DomainError } from './errors.js';
import { LoginLimiter, type LoginCheck, type LoginLimits } from './login-limiter.js';

const REDIS = process.env.REDIS_URL_TEST;
// One prefix per run: runs never see each other's keys.
const REDIS_PREFIX = `roster-test:${randomBytes(6).toString('hex')}:`;
const OPTIONS = {
  keyPrefix: 'test-login-fail',
  tooMany: { code: 'SLOW_DOWN', message: 'Too many tries' },
  invalidCredentials: { code: 'BAD_LOGIN', message: 'No such pair' },
};
const PASSWORD = 'the right password';
const KNOWN = 'known@example.com';

/** A check with one known email, counting its calls; `delayMs` holds each verification open. */
function fakeCheck(delayMs = 0) {
  const calls = { find: 0, verify: 0 };
  const check: LoginCheck<{ email: string }> = {
    find: async (email) => {
      calls.find++;
      return email === KNOWN ? { email } : undefined;
    },
    verify: async (_owner, password) => {
      calls.verify++;
      if (delayMs) await sleep(delayMs);
      return password === PASSWORD;
    },
  };
  return { check, calls };
}

const rejectsWith = (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (err) => err instanceof DomainError && err.code === code && (code !== 'SLOW_DOWN' || (err.retryAfter ?? 0) >= 1));

const stores: { name: string; skip: string | false; open: () => Promise<CounterStore> }[] = [
  { name: 'in memory', skip: false, open: async () => new MemoryCounterStore() },
  {
    name: 'in Redis',
    skip: REDIS ? false : 'REDIS_URL_TEST is not set',
    open: async () => {
      const s = new RedisCounterStore(REDIS!, { prefix: REDIS_PREFIX });
      assert.ok(await s.ready(5000), 'Redis at REDIS_URL_TEST answers');
      return s;
    },
  },
];

for (const kind of stores) {
  describe(`LoginLimiter, counters ${kind.name}`, { skip: kind.skip }, () => {
    const opened: CounterStore[] = [];
    after(async () => {
      for (const s of opened) {
        if (s instanceof RedisCounterStore) {
          const keys = await s.redis.keys(`${REDIS_PREFIX}*`);
          if (keys.length > 0) await s.redis.del(...keys);
        }
        await s.close();
      }
    });
    const setup = async (limits: Partial<LoginLimits> = {}) => {
      const counters = await kind.open();
      opened.push(counters);
      const limiter = new LoginLimiter(counters, { maxFailuresPerEmail: 5, maxFailuresPerIp: 50, windowMs: 60_000, ...limits }, OPTIONS);
      const count = async (email: string, ip: string) => {
        const keys = limiter.limitKeys(email, ip);
        return { email: (await counters.get(keys.email)).count, ip: (await counters.get(keys.ip)).count };
      };
      return { counters, limiter, count };
    };

    it('derives keys under its prefix, from the normalized email', async () => {
      const { limiter } = await setup();
      const a = limiter.limitKeys('  Known@Example.COM ', '192.0.2.1');
      assert.deepEqual(a, limiter.limitKeys(KNOWN, '192.0.2.1'));
      assert.match(a.email, /^test-login-fail:email:[0-9a-f]{32}$/);
      assert.match(a.ip, /^test-login-fail:ip:/);
    });

    it('answers the owner for the right password and the 401 for a wrong one, counted', async () => {
      const { limiter, count } = await setup();
      const { check } = fakeCheck();
      await rejectsWith(limiter.attempt({ email: KNOWN, password: 'wrong', ip: '192.0.2.2' }, check), 'BAD_LOGIN');
      assert.deepEqual(await count(KNOWN, '192.0.2.2'), { email: 1, ip: 1 });
      assert.deepEqual(await limiter.attempt({ email: KNOWN, password: PASSWORD, ip: '192.0.2.2' }, check), { email: KNOWN });
    });

    it('refuses past the IP limit before the email is counted or anything is looked up', async () => {
      const { limiter, count } = await setup({ maxFailuresPerIp: 2 });
      const { check, calls } = fakeCheck();
      for (const email of ['a@example.com', 'b@example.com'])
        await rejectsWith(limiter.attempt({ email, password: 'guess', ip: '192.0.2.3' }, check), 'BAD_LOGIN');
      const found = calls.find;
      await rejectsWith(limiter.attempt({ email: KNOWN, password: PASSWORD, ip: '192.0.2.3' }, check), 'SLOW_DOWN');
      assert.equal(calls.find, found, 'nothing looked up');
      assert.equal((await count(KNOWN, '192.0.2.3')).email, 0, 'the email was not counted');
    });

    it('gives the IP its attempt back when the refusal is for the email', async () => {
      const { limiter, count } = await setup({ maxFailuresPerEmail: 2 });
      const { check, calls } = fakeCheck();
      for (let i = 0; i < 2; i++) await rejectsWith(limiter.attempt({ email: KNOWN, password: 'guess', ip: '192.0.2.4' }, check), 'BAD_LOGIN');
      await rejectsWith(limiter.attempt({ email: KNOWN, password: PASSWORD, ip: '192.0.2.4' }, check), 'SLOW_DOWN');
      assert.equal(calls.verify, 2, 'the right password was not even checked');
      assert.deepEqual(await count(KNOWN, '192.0.2.4'), { email: 3, ip: 2 });
    });

    it('clears the email and gives the IP its attempt back on success', async () => {
      const { limiter, count } = await setup();
      const { check } = fakeCheck();
      await rejectsWith(limiter.attempt({ email: KNOWN, password: 'guess', ip: '192.0.2.5' }, check), 'BAD_LOGIN');
      await rejectsWith(limiter.attempt({ email: 'other@example.com', password: 'guess', ip: '192.0.2.5' }, check), 'BAD_LOGIN');
      await limiter.attempt({ email: KNOWN, password: PASSWORD, ip: '192.0.2.5' }, check);
      assert.deepEqual(await count(KNOWN, '192.0.2.5'), { email: 0, ip: 2 }, 'the two failures stay on the IP, the success does not');
    });

    it('forgets an email on request (after a password reset)', async () => {
      const { limiter, count } = await setup();
      const { check } = fakeCheck();
      await rejectsWith(limiter.attempt({ email: KNOWN, password: 'guess', ip: '192.0.2.6' }, check), 'BAD_LOGIN');
      await limiter.forgetEmail(' KNOWN@example.com');
      assert.deepEqual(await count(KNOWN, '192.0.2.6'), { email: 0, ip: 1 });
    });

    it('lets no more concurrent attempts reach the password check than the limit', async () => {
      const { limiter, count } = await setup({ maxFailuresPerEmail: 3 });
      const { check, calls } = fakeCheck(20);
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => limiter.attempt({ email: KNOWN, password: 'guess', ip: `198.51.100.${i}` }, check)),
      );
      const codes = results.map((r) => (r.status === 'rejected' && r.reason instanceof DomainError ? r.reason.code : 'none'));
      assert.equal(codes.filter((c) => c === 'BAD_LOGIN').length, 3);
      assert.equal(codes.filter((c) => c === 'SLOW_DOWN').length, 27);
      assert.equal(calls.verify, 3);
      // The right password, concurrently, past the limit: refused all the same.
      await rejectsWith(limiter.attempt({ email: KNOWN, password: PASSWORD, ip: '198.51.100.99' }, check), 'SLOW_DOWN');
      assert.equal((await count(KNOWN, '198.51.100.99')).ip, 0, 'the refused clients keep no attempt');
    });

    it('spends a dummy verification on an unknown email, and looks up no invalid one', async () => {
      const { limiter, count } = await setup();
      const { check, calls } = fakeCheck();
      await rejectsWith(limiter.attempt({ email: 'nobody@example.com', password: 'guess', ip: '192.0.2.7' }, check), 'BAD_LOGIN');
      await rejectsWith(limiter.attempt({ email: 'not an email', password: 'guess', ip: '192.0.2.7' }, check), 'BAD_LOGIN');
      assert.deepEqual(calls, { find: 1, verify: 0 });
      assert.equal((await count('nobody@example.com', '192.0.2.7')).ip, 2);
    });
  });
}
