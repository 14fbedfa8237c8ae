import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError, unauthorized, unavailable } from '../../identity/errors.js';
import { MemoryCounterStore } from '../../infra/counters.js';
import { CredentialGuard } from './credential-guard.js';

const limits = { enabled: true, maxFailuresPerIp: 2, maxFailuresPerCredential: 3, windowSeconds: 60 };
const cred = { kind: 'widget_client' as const, id: '0123456789abcdef' };
const fail = () => Promise.reject(unauthorized());
const pass = () => Promise.resolve('principal');
const kindOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof DomainError ? e.kind : 'other'),
  );

describe('CredentialGuard', () => {
  it('refuses an address past its failures before checking, and only that address', async () => {
    const guard = new CredentialGuard(new MemoryCounterStore(), limits);
    assert.equal(await kindOf(guard.check('10.0.0.1', cred, fail)), 'unauthorized');
    assert.equal(await kindOf(guard.check('10.0.0.1', { ...cred, id: undefined }, fail)), 'unauthorized');
    let checked = false;
    const err = await guard.check('10.0.0.1', cred, async () => ((checked = true), 'x')).catch((e: unknown) => e);
    assert.ok(err instanceof DomainError && err.kind === 'rate_limited' && err.retryAfter! >= 1 && err.retryAfter! <= 60);
    assert.equal(checked, false, 'not even looked at');
    assert.equal(await kindOf(guard.check('10.0.0.2', cred, pass)), 'ok');
  });
  it('turns failures against an id past its limit into 429s from anywhere, and lets its good secret through', async () => {
    const guard = new CredentialGuard(new MemoryCounterStore(), limits);
    const seen: string[] = [];
    const warned = new CredentialGuard(new MemoryCounterStore(), limits, (_f, msg) => seen.push(msg));
    for (const g of [guard, warned]) {
      assert.deepEqual(
        [await kindOf(g.check('10.0.1.1', cred, fail)), await kindOf(g.check('10.0.1.2', cred, fail)), await kindOf(g.check('10.0.1.3', cred, fail))],
        ['unauthorized', 'unauthorized', 'unauthorized'],
      );
      assert.equal(await kindOf(g.check('10.0.1.4', cred, fail)), 'rate_limited');
      assert.equal(await kindOf(g.check('10.0.1.5', cred, pass)), 'ok');
    }
    assert.equal(seen.length, 1, 'one warning when the id crosses its limit');
  });
  it('counts only failed checks: an unavailable store, or an id that is not one, opens no id counter', async () => {
    const counters = new MemoryCounterStore();
    const guard = new CredentialGuard(counters, limits);
    assert.equal(await kindOf(guard.check('10.0.2.1', cred, () => Promise.reject(unavailable()))), 'unavailable');
    assert.equal((await counters.get('cred-fail:ip:10.0.2.1')).count, 0);
    await kindOf(guard.check('10.0.2.2', { kind: 'api_token', id: 'x'.repeat(5000) }, fail));
    assert.equal(counters.size, 1, 'only the address was counted');
  });
  it('does nothing when disabled', async () => {
    const guard = new CredentialGuard(new MemoryCounterStore(), { ...limits, enabled: false });
    for (let i = 0; i < 10; i++) assert.equal(await kindOf(guard.check('10.0.3.1', cred, fail)), 'unauthorized');
  });
});
