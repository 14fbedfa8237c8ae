/**
 * Behind a load balancer the client's address is the hop the balancer appended, never one the
 * client wrote itself: otherwise per-IP limits are a formality.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { withApp } from '../fixtures/server.js';
import { servicesOf } from '../fixtures/services.js';

for (const [trust, spoofable] of [
  ['1', false],
  ['127.0.0.1', false],
  ['true', true],
] as const) {
  describe(`TRUST_PROXY=${trust}: failed logins per client IP`, () => {
    // inject() comes from 127.0.0.1, as a balancer on this host would.
    const srv = withApp('sqlite', { TRUST_PROXY: trust, LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_IP: '2', LOGIN_WINDOW_SECONDS: '60' });
    before(async () => {
      await servicesOf(srv.db).companies.create({ code: 'acme', name: 'Acme' });
    });

    it(
      spoofable ? 'believes whatever the client writes (why it is not advised)' : 'counts the address the balancer saw, whatever the client writes',
      async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          // The client invents the first entry; the balancer appends the address it saw.
          const r = await srv.call('POST', '/api/user/login', {
            headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` },
            json: { email: `spray-${i}@example.com`, password: 'wrong-password' },
          });
          statuses.push(r.status);
        }
        if (spoofable) assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
        else assert.deepEqual(statuses, [401, 401, 429, 429, 429, 429]);
      },
    );
  });
}
