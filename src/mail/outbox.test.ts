import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderResetPassword, renderVerifyEmail, retryDelayMs } from './outbox.js';

describe('retryDelayMs', () => {
  it('doubles from the base, with jitter between half and all of it', () => {
    assert.equal(
      retryDelayMs(1, 1000, 60_000, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, 1000, 60_000, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(3, 1000, 60_000, () => 1),
      4000,
    );
    assert.equal(
      retryDelayMs(4, 1000, 60_000, () => 0),
      4000,
    );
  });
  it('is capped, even after very many attempts', () => {
    assert.equal(
      retryDelayMs(10, 1000, 60_000, () => 1),
      60_000,
    );
    assert.equal(
      retryDelayMs(5000, 1000, 60_000, () => 1),
      60_000,
    );
    assert.ok(Number.isFinite(retryDelayMs(5000, 1000, 60_000)));
  });
});

describe('mail templates', () => {
  it('escapes names in HTML and keeps subjects on one line', () => {
    const m = renderVerifyEmail({ name: '<script>x</script>', companyName: 'Evil\r\nBcc: a@b.co', link: 'https://r.test/api/user/verify-email?token=a&b' });
    assert.ok(!m.html.includes('<script>'));
    assert.ok(m.html.includes('&lt;script&gt;'));
    assert.ok(m.html.includes('token=a&amp;b'));
    assert.ok(!/[\r\n]/.test(m.subject));
    assert.ok(m.text.includes('https://r.test/api/user/verify-email?token=a&b'));
  });
  it('puts the reset code on a line of its own', () => {
    const code = 'A'.repeat(43);
    const m = renderResetPassword({ name: 'Ana', companyName: 'Acme', code });
    assert.ok(m.text.split('\n').includes(code));
    assert.match(m.subject, /Acme/);
  });
});
