import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultFeatures, FEATURE_DEFAULTS, FEATURES, mergeFeatures, toAccount } from './accounts.js';
import { RecordErrors } from './record-errors.js';

describe('account features', () => {
  it('start from the installation defaults, in a stable order', () => {
    const d = defaultFeatures();
    assert.ok(d.includes('inbox_management'));
    assert.ok(d.includes('campaigns'), 'Chatwoot 4.8 turned campaigns on');
    assert.ok(!d.includes('saml'));
    assert.deepEqual(
      d,
      FEATURES.filter((f) => FEATURE_DEFAULTS[f]),
    );
  });

  it('merge params: true enables, false and null disable, others untouched', () => {
    const e = new RecordErrors();
    const out = mergeFeatures(['labels', 'reports'], { campaigns: true, labels: false, reports: null, sla: false }, e);
    assert.deepEqual(out, ['campaigns']);
    assert.equal(e.empty, true);
    assert.deepEqual(mergeFeatures(['labels'], {}, e), ['labels']);
  });

  it("accept every flag of Chatwoot 4.8's features.yml, and a form body's text forms", () => {
    const e = new RecordErrors();
    const out = mergeFeatures([], { saml: true, captain_integration_v2: 'true', quoted_email_reply: '1', campaigns: 'false', labels: '0' }, e);
    assert.equal(e.empty, true, JSON.stringify(e.list));
    assert.deepEqual(out, ['captain_integration_v2', 'saml', 'quoted_email_reply']);
  });

  it('refuse unknown flags and values that are not booleans', () => {
    const e = new RecordErrors();
    mergeFeatures([], { teleport: true, sla: 'yes', campaigns: 1, __proto__: true, toString: true }, e);
    assert.deepEqual(
      e.list.map((x) => x.message),
      ['teleport is not a known feature', 'sla must be true or false', 'campaigns must be true or false', 'toString is not a known feature'],
    );
  });
});

describe('toAccount', () => {
  it('reads the stored JSON, forgiving a damaged document', () => {
    const a = toAccount({
      id: 1,
      company_id: 2,
      name: 'A',
      locale: 'en',
      domain: null,
      support_email: null,
      external_id: null,
      status: 'active',
      features: '["reports","nope","labels"]',
      limits: '{"agents":3}',
      custom_attributes: 'not json',
      created_at: 'c',
      updated_at: 'u',
    });
    assert.deepEqual(a.features, ['labels', 'reports']);
    assert.deepEqual(a.limits, { agents: 3 });
    assert.deepEqual(a.customAttributes, {});
  });
});
