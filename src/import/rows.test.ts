import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isSaneEmail,
  parseAccounts,
  parseIsoDateTime,
  UserRows,
  WidgetUserRows,
  type Checked,
  type ImportUser,
  type ImportWidgetUser,
  type UserCheckOptions,
} from './rows.js';
import type { RowError } from './types.js';

const base = { email: 'ann@example.com' };

/** Checks one users row (with a fresh checker) and returns the row or its errors. */
function user(record: Record<string, unknown>, options?: UserCheckOptions, line = 2): Checked<ImportUser> {
  return new UserRows(options).check({ line, record });
}
function ok(record: Record<string, unknown>, options?: UserCheckOptions): ImportUser {
  const r = user(record, options);
  assert.ok(r.row, `expected a row, got ${JSON.stringify(r.errors)}`);
  return r.row;
}
function errors(record: Record<string, unknown>, options?: UserCheckOptions): { field: string | null; message: string }[] {
  const r = user(record, options);
  assert.ok(r.errors, `expected errors, got ${JSON.stringify(r.row)}`);
  return r.errors.map(({ field, message }) => ({ field, message }));
}
const one = (field: string, message: string) => [{ field, message }];

describe('users: email', () => {
  it('is trimmed and lower-cased', () => {
    assert.equal(ok({ email: '  Ann.Lee@Example.COM ' }).email, 'ann.lee@example.com');
  });

  it('is required: absent, null, empty or blank', () => {
    for (const email of [undefined, null, '', '   ']) assert.deepEqual(errors(email === undefined ? {} : { email }), one('email', 'is required'));
  });

  it('must look like an address', () => {
    for (const email of ['ann', 'ann@', '@x.co', 'a@b@x.co', 'a b@x.co', 'ann@x', 'ann@-x.co', 'ann@x..co', 'a"b@x.co', `${'a'.repeat(65)}@x.co`]) {
      assert.deepEqual(errors({ email }), one('email', 'is not a valid email address'), email);
    }
    assert.equal(isSaneEmail("o'neil+tag@mail.example.co.uk"), true);
  });

  it('is at most 254 characters', () => {
    const email = `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(57)}.co`;
    assert.equal(email.length, 254);
    assert.equal(ok({ email }).email, email);
    assert.deepEqual(errors({ email: `z${email}` }), one('email', 'must be at most 254 characters'));
  });

  it('must be a string without NUL, in well-formed Unicode', () => {
    assert.deepEqual(errors({ email: 12 }), one('email', 'must be a string'));
    assert.deepEqual(errors({ email: 'a\u0000@x.co' }), one('email', 'must not contain NUL characters'));
    assert.deepEqual(errors({ email: 'a\ud800@x.co' }), one('email', 'must be well-formed Unicode (it holds a lone surrogate)'));
  });
});

describe('users: names', () => {
  it('name, lastName and displayName are trimmed, blank is null', () => {
    const r = ok({ ...base, name: ' Ann ', lastName: '', displayName: '  ' });
    assert.deepEqual([r.name, r.lastName, r.displayName], ['Ann', null, null]);
    const all = ok({ ...base, name: 'Ann', lastName: 'Lee', displayName: 'Annie' });
    assert.deepEqual([all.name, all.lastName, all.displayName], ['Ann', 'Lee', 'Annie']);
    assert.deepEqual([ok(base).name, ok(base).lastName, ok(base).displayName], [null, null, null]);
  });

  it('are at most 255 characters, an emoji counting once', () => {
    assert.equal(ok({ ...base, name: '😀'.repeat(255) }).name, '😀'.repeat(255));
    for (const field of ['name', 'lastName', 'displayName']) {
      assert.deepEqual(errors({ ...base, [field]: 'x'.repeat(256) }), one(field, 'must be at most 255 characters'));
    }
  });

  it('refuse NUL, lone surrogates and non-strings', () => {
    assert.deepEqual(errors({ ...base, name: 'A\u0000' }), one('name', 'must not contain NUL characters'));
    assert.deepEqual(errors({ ...base, lastName: '\udc00x' }), one('lastName', 'must be well-formed Unicode (it holds a lone surrogate)'));
    assert.deepEqual(errors({ ...base, displayName: ['A'] }), one('displayName', 'must be a string'));
  });
});

describe('users: password_hash and password', () => {
  const bcrypt = '$2a$11$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

  it('neither is fine: the user gets no password', () => {
    const r = ok(base);
    assert.deepEqual([r.passwordHash, r.password], [null, null]);
  });

  it('a hash is checked by the function given and kept as it is', () => {
    const seen: string[] = [];
    const checkHash = (h: string) => {
      seen.push(h);
      return h.startsWith('$2a$') ? undefined : 'is not a hash format roster reads';
    };
    assert.equal(ok({ ...base, password_hash: ` ${bcrypt}` }, { checkHash }).passwordHash, bcrypt);
    assert.deepEqual(errors({ ...base, password_hash: 'md5:abc' }, { checkHash }), one('password_hash', 'is not a hash format roster reads'));
    assert.deepEqual(seen, [bcrypt, 'md5:abc']);
  });

  it('a checkHash that throws is a row error, not a crash', () => {
    const checkHash = () => {
      throw new Error('boom');
    };
    assert.deepEqual(errors({ ...base, password_hash: bcrypt }, { checkHash }), one('password_hash', 'could not be checked'));
  });

  it('a plain password is kept exactly, spaces included, and never echoed in a message', () => {
    assert.equal(ok({ ...base, password: ' s3cret pass ' }).password, ' s3cret pass ');
    const tooLong = 'p'.repeat(4097);
    const e = errors({ ...base, password: tooLong });
    assert.deepEqual(e, one('password', 'must be at most 4096 characters'));
  });

  it('both at once is an error', () => {
    assert.deepEqual(
      errors({ ...base, password_hash: bcrypt, password: 'secret123' }),
      one('password', 'must not be given with password_hash: give one or the other'),
    );
    // Blank counts as not given.
    assert.equal(ok({ ...base, password_hash: bcrypt, password: '' }).passwordHash, bcrypt);
  });
});

describe('users: email_verified', () => {
  it('reads true/false, 1/0, yes/no in any case; blank is false', () => {
    const cases: [unknown, boolean][] = [
      [undefined, false],
      [null, false],
      ['', false],
      ['  ', false],
      ['true', true],
      ['TRUE', true],
      [' yes ', true],
      ['1', true],
      [1, true],
      [true, true],
      ['false', false],
      ['No', false],
      ['0', false],
      [0, false],
      [false, false],
    ];
    for (const [value, expected] of cases) {
      const record = value === undefined ? base : { ...base, email_verified: value };
      assert.equal(ok(record).emailVerified, expected, String(value));
    }
  });

  it('refuses anything else', () => {
    for (const value of ['y', 'verified', 2, 'truee', {}, []]) {
      assert.deepEqual(errors({ ...base, email_verified: value }), one('email_verified', 'must be true, false, 1, 0, yes or no'), JSON.stringify(value));
    }
  });
});

describe('users: external_id', () => {
  it('is trimmed text, or a safe integer as text', () => {
    assert.equal(ok({ ...base, external_id: ' u-42 ' }).externalId, 'u-42');
    assert.equal(ok({ ...base, external_id: 42 }).externalId, '42');
    assert.equal(ok(base).externalId, null);
  });

  it('refuses other values and long text', () => {
    assert.deepEqual(errors({ ...base, external_id: 1.5 }), one('external_id', 'must be a string or an integer'));
    assert.deepEqual(errors({ ...base, external_id: 2 ** 60 }), one('external_id', 'must be a string or an integer'));
    assert.deepEqual(errors({ ...base, external_id: { id: 1 } }), one('external_id', 'must be a string or an integer'));
    assert.deepEqual(errors({ ...base, external_id: 'x'.repeat(256) }), one('external_id', 'must be at most 255 characters'));
  });
});

describe('users: created_at', () => {
  it('reads ISO 8601 and normalises it to UTC with milliseconds', () => {
    const cases: [string, string][] = [
      ['2024-01-31T08:30:00Z', '2024-01-31T08:30:00.000Z'],
      ['2024-01-31t08:30:00z', '2024-01-31T08:30:00.000Z'],
      ['2024-01-31 08:30:00', '2024-01-31T08:30:00.000Z'],
      ['2024-01-31T08:30', '2024-01-31T08:30:00.000Z'],
      ['2024-01-31', '2024-01-31T00:00:00.000Z'],
      ['2024-01-31T08:30:00.123456789Z', '2024-01-31T08:30:00.123Z'],
      ['2024-01-31T08:30:00,5Z', '2024-01-31T08:30:00.500Z'],
      ['2024-01-31T08:30:00+02:00', '2024-01-31T06:30:00.000Z'],
      ['2024-01-31T08:30:00-0530', '2024-01-31T14:00:00.000Z'],
      ['2024-01-01T01:00:00+03', '2023-12-31T22:00:00.000Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ];
    for (const [input, expected] of cases) {
      assert.equal(parseIsoDateTime(input), expected, input);
      assert.equal(ok({ ...base, created_at: ` ${input} ` }).createdAt, expected);
    }
  });

  it('refuses what is not a real date and time in that form', () => {
    for (const input of [
      '2023-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-00-10',
      '2024-01-31T24:00:00Z',
      '2024-01-31T08:60',
      '2024-01-31T08:30:60Z',
      '2024-1-31',
      '31/01/2024',
      'yesterday',
      '2024-01-31T08:30:00+24:00',
      '0999-01-01',
      '9999-12-31T23:00:00-02:00',
      '2024-01-31T08:30:00.Z',
      '1706689800',
    ]) {
      assert.equal(parseIsoDateTime(input), undefined, input);
    }
    assert.deepEqual(errors({ ...base, created_at: 'Jan 31 2024' }), one('created_at', 'must be an ISO 8601 date and time, such as 2024-01-31T08:30:00Z'));
    assert.deepEqual(errors({ ...base, created_at: 1706689800 }), one('created_at', 'must be a string'));
  });
});

describe('users: accounts', () => {
  it('reads the CSV syntax: names or ids, an optional role after the last colon (agent by default)', () => {
    assert.deepEqual(parseAccounts('Sales:administrator;Support:agent'), {
      accounts: [
        { account: { name: 'Sales' }, role: 'administrator' },
        { account: { name: 'Support' }, role: 'agent' },
      ],
    });
    assert.deepEqual(parseAccounts(' 12 : Agent ; Support ;; 7 ;'), {
      accounts: [
        { account: { id: 12 }, role: 'agent' },
        { account: { name: 'Support' }, role: 'agent' },
        { account: { id: 7 }, role: 'agent' },
      ],
    });
    assert.deepEqual(parseAccounts('EMEA: Sales:administrator'), { accounts: [{ account: { name: 'EMEA: Sales' }, role: 'administrator' }] });
    assert.deepEqual(parseAccounts(''), { accounts: [] });
    assert.deepEqual(ok({ ...base, accounts: '3:administrator' }).accounts, [{ account: { id: 3 }, role: 'administrator' }]);
    assert.deepEqual(ok(base).accounts, []);
  });

  it('refuses unknown roles, bad ids, empty names, repeats and too many', () => {
    const cases: [string, string][] = [
      ['Sales:admin', 'entry "Sales:admin": the role after the last \':\' must be administrator or agent'],
      ['EMEA: Sales', 'entry "EMEA: Sales": the role after the last \':\' must be administrator or agent'],
      ['0:agent', 'entry "0:agent": "0" is not a valid account id'],
      ['99999999999999999999', 'entry "99999999999999999999": "99999999999999999999" is not a valid account id'],
      [':agent', 'entry ":agent" names no account'],
      ['Sales;Support;sales;Sales:administrator', 'lists the account "Sales" twice'],
      ['12;012', 'lists the account 12 twice'],
      [`${'x'.repeat(256)}:agent`, `entry "${'x'.repeat(60)}…" has an account name longer than 255 characters`],
      [Array.from({ length: 101 }, (_, i) => String(i + 1)).join(';'), 'must list at most 100 accounts'],
      ['Sales\u0000:agent', 'must not contain NUL characters'],
    ];
    for (const [text, message] of cases) {
      assert.deepEqual(parseAccounts(text), { error: message }, text);
      assert.deepEqual(errors({ ...base, accounts: text }), one('accounts', message));
    }
  });

  it('in JSON lines also takes a list of {account, role}: a number is an id, a string a name', () => {
    assert.deepEqual(ok({ ...base, accounts: [{ account: 12, role: 'administrator' }, { account: 'Support' }, { account: '12', role: 'AGENT' }] }).accounts, [
      { account: { id: 12 }, role: 'administrator' },
      { account: { name: 'Support' }, role: 'agent' },
      { account: { name: '12' }, role: 'agent' },
    ]);
    assert.deepEqual(ok({ ...base, accounts: [] }).accounts, []);
  });

  it('refuses malformed JSON lists', () => {
    const cases: [unknown, string][] = [
      [[{ account: 1 }, 'Sales'], 'item 2 must be an object {account, role}'],
      [[{ account: 1, rol: 'agent' }], 'item 1 has the unknown key "rol" (only account and role)'],
      [[{ account: 1, role: 'owner' }], 'item 1: role must be administrator or agent'],
      [[{ account: 1.5 }], 'item 1: account must be a positive integer id or a name'],
      [[{ account: -3 }], 'item 1: account must be a positive integer id or a name'],
      [[{ role: 'agent' }], 'item 1: account must be a positive integer id or a name'],
      [[{ account: ' ' }], 'item 1 names no account'],
      [[{ account: 'A' }, { account: 'A', role: 'administrator' }], 'lists the account "A" twice'],
      [Array.from({ length: 101 }, (_, i) => ({ account: i + 1 })), 'must list at most 100 accounts'],
      [{ account: 1 }, 'must be text such as "Sales:administrator;12:agent", or a list of {account, role}'],
      [5, 'must be text such as "Sales:administrator;12:agent", or a list of {account, role}'],
    ];
    for (const [accounts, message] of cases) assert.deepEqual(errors({ ...base, accounts }), one('accounts', message), JSON.stringify(accounts).slice(0, 80));
  });
});

describe('users: a row as a whole', () => {
  it('gives every field the file has in one typed row', () => {
    const r = user(
      {
        email: 'Ann@X.co',
        name: 'Ann',
        lastName: 'Lee',
        displayName: 'Annie',
        password: 'pw',
        email_verified: 'yes',
        external_id: 'e1',
        created_at: '2024-01-31',
        accounts: 'Sales',
      },
      undefined,
      7,
    );
    assert.deepEqual(r, {
      line: 7,
      row: {
        email: 'ann@x.co',
        name: 'Ann',
        lastName: 'Lee',
        displayName: 'Annie',
        passwordHash: null,
        password: 'pw',
        emailVerified: true,
        externalId: 'e1',
        createdAt: '2024-01-31T00:00:00.000Z',
        accounts: [{ account: { name: 'Sales' }, role: 'agent' }],
      },
    });
  });

  it('reports every bad field of a row, each with the line', () => {
    const r = user({ email: 'nope', name: 5, email_verified: 'maybe', created_at: 'soon', accounts: 'A:boss' }, undefined, 9);
    assert.deepEqual(
      r.errors?.map((e) => e.field),
      ['email', 'name', 'email_verified', 'created_at', 'accounts'],
    );
    assert.ok(r.errors?.every((e) => e.line === 9));
  });
});

describe('users: duplicates and unknown columns in one file', () => {
  it('refuses the second and later rows of an email (compared trimmed, any case), naming the first line', () => {
    const file = new UserRows();
    const results = [
      file.check({ line: 2, record: { email: 'ann@x.co' } }),
      file.check({ line: 3, record: { email: 'bob@x.co' } }),
      file.check({ line: 5, record: { email: ' ANN@x.co' } }),
      file.check({ line: 9, record: { email: 'Ann@X.CO', name: 'again' } }),
    ];
    assert.deepEqual(
      results.map((r) => (r.row ? 'ok' : r.errors)),
      [
        'ok',
        'ok',
        [{ line: 5, field: 'email', message: 'is already on line 2 of this file' }],
        [{ line: 9, field: 'email', message: 'is already on line 2 of this file' }],
      ],
    );
  });

  it('takes an email in NFC: a decomposed accent is stored composed and is the same address', () => {
    const file = new UserRows();
    const first = file.check({ line: 2, record: { email: 'Jose\u0301@x.co' } });
    assert.equal(first.row?.email, 'jos\u00e9@x.co');
    assert.deepEqual(file.check({ line: 3, record: { email: 'jos\u00e9@x.co' } }).errors, [
      { line: 3, field: 'email', message: 'is already on line 2 of this file' },
    ]);
  });

  it('counts a first row that fails on another field, so every duplicate is named in one run', () => {
    const file = new UserRows();
    assert.ok(file.check({ line: 2, record: { email: 'a@x.co', created_at: 'bad' } }).errors);
    assert.deepEqual(file.check({ line: 3, record: { email: 'a@x.co' } }).errors, [{ line: 3, field: 'email', message: 'is already on line 2 of this file' }]);
    // An invalid email is not remembered.
    assert.ok(file.check({ line: 4, record: { email: 'not-an-email' } }).errors);
    assert.ok(file.check({ line: 5, record: { email: 'NOT-an-email' } }).errors?.every((e) => !e.message.includes('line 4')));
  });

  it('reports each unknown column once, with the first line it is on, and a hint for a case slip', () => {
    const file = new UserRows();
    file.check({ line: 2, record: { Email: 'a@x.co', team: 'x' } });
    file.check({ line: 3, record: { Email: 'b@x.co', team: 'y', phone: '1' } });
    assert.deepEqual(file.warnings, [
      { column: 'Email', line: 2, message: 'is not a column the import reads; it is ignored (did you mean email?)' },
      { column: 'team', line: 2, message: 'is not a column the import reads; it is ignored' },
      { column: 'phone', line: 3, message: 'is not a column the import reads; it is ignored' },
    ]);
  });

  it('lists at most 50 unknown columns, then says there are more', () => {
    const file = new UserRows();
    for (let i = 0; i < 200; i++) file.check({ line: i + 1, record: { ...base, [`c${i}`]: 'x' } });
    assert.equal(file.warnings.length, 51);
    assert.equal(file.warnings.at(-1)?.message, 'more columns the import does not read; the rest are not listed');
  });
});

describe('widget users', () => {
  const check = (record: Record<string, unknown>, file = new WidgetUserRows(), line = 2): Checked<ImportWidgetUser> => file.check({ line, record });
  const errs = (record: Record<string, unknown>): { field: string | null; message: string }[] =>
    (check(record).errors ?? []).map(({ field, message }: RowError) => ({ field, message }));

  it('reads id, names and legalId as the widget API takes them (not trimmed)', () => {
    assert.deepEqual(check({ id: ' u1', names: 'Ann Lee ', legalId: '0912345678' }).row, { id: ' u1', names: 'Ann Lee ', legalId: '0912345678' });
    assert.deepEqual(check({ id: 77, names: 'Bo', legalId: 912345678 }).row, { id: '77', names: 'Bo', legalId: '912345678' });
    assert.deepEqual(check({ id: 'u2', names: 'Cy', legalId: '' }).row, { id: 'u2', names: 'Cy', legalId: null });
  });

  it('requires id and names of 1-255 characters; legalId at most 64', () => {
    assert.deepEqual(errs({}), [
      { field: 'id', message: 'is required' },
      { field: 'names', message: 'is required' },
    ]);
    assert.deepEqual(errs({ id: 'x'.repeat(256), names: 'n'.repeat(256), legalId: '1'.repeat(65) }), [
      { field: 'id', message: 'must be at most 255 characters' },
      { field: 'names', message: 'must be at most 255 characters' },
      { field: 'legalId', message: 'must be at most 64 characters' },
    ]);
    assert.deepEqual(check({ id: 'x'.repeat(255), names: 'n'.repeat(255), legalId: '1'.repeat(64) }).row?.id.length, 255);
  });

  it('refuses NUL, lone surrogates, non-integer numbers and other types', () => {
    assert.deepEqual(errs({ id: 'a\u0000', names: '\ud800', legalId: 1.5 }), [
      { field: 'id', message: 'must not contain NUL characters' },
      { field: 'names', message: 'must be well-formed Unicode (it holds a lone surrogate)' },
      { field: 'legalId', message: 'must be a string or an integer' },
    ]);
    assert.deepEqual(errs({ id: true, names: 5 }), [
      { field: 'id', message: 'must be a string or an integer' },
      { field: 'names', message: 'must be a string' },
    ]);
  });

  it('refuses an id already in the file, naming its first line; an unknown column is a warning', () => {
    const file = new WidgetUserRows();
    assert.ok(check({ id: 'u1', names: 'A', phone: '1' }, file, 2).row);
    assert.deepEqual(check({ id: 'u1', names: 'B' }, file, 4).errors, [{ line: 4, field: 'id', message: 'is already on line 2 of this file' }]);
    assert.ok(check({ id: 'U1', names: 'C' }, file, 5).row, 'ids are compared exactly');
    assert.deepEqual(file.warnings, [{ column: 'phone', line: 2, message: 'is not a column the import reads; it is ignored' }]);
  });
});
