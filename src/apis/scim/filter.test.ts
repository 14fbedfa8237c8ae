import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScimError } from './errors.js';
import { compileFilter, indexableEquality, parseFilter, parsePath, printFilter, type AttrPath, type FilterNode, type Literal } from './filter.js';
import { SCIM_LIMITS } from './limits.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE, USER_SCHEMA } from './schema.js';

function scimErrorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScimError, `expected a ScimError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ScimError, nothing was thrown');
}

function rejects(text: string, rt = USER_RESOURCE): ScimError {
  const err = scimErrorOf(() => compileFilter(text, rt));
  assert.equal(err.status, 400);
  assert.equal(err.scimType, 'invalidFilter');
  return err;
}

const bjensen = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
  id: '2819c223',
  externalId: 'bjensen-ext',
  userName: 'Bjensen@Example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen', formatted: 'Ms. Barbara J Jensen' },
  displayName: 'Babs Jensen',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  meta: { resourceType: 'User', created: '2024-01-23T04:56:22Z', lastModified: '2024-05-13T04:42:34Z', version: 'W/"a330bc54"' },
  [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: '26118915' } },
};

function matches(text: string, resource: unknown = bjensen, rt = USER_RESOURCE): boolean {
  return compileFilter(text, rt).matches(resource);
}

describe('parseFilter', () => {
  it('reads a comparison into a typed node', () => {
    assert.deepEqual(parseFilter('userName eq "bjensen"'), {
      kind: 'compare',
      op: 'eq',
      path: { attr: 'userName' },
      value: 'bjensen',
    });
  });

  it('reads every comparison operator and pr, in any case', () => {
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']) {
      assert.deepEqual(parseFilter(`title ${op.toUpperCase()} "x"`), { kind: 'compare', op, path: { attr: 'title' }, value: 'x' });
    }
    assert.deepEqual(parseFilter('title Pr'), { kind: 'present', path: { attr: 'title' } });
  });

  it('gives not precedence over and, and and over or', () => {
    const ast = parseFilter('a pr or b pr and not (c pr)');
    assert.deepEqual(ast, {
      kind: 'or',
      filters: [
        { kind: 'present', path: { attr: 'a' } },
        {
          kind: 'and',
          filters: [
            { kind: 'present', path: { attr: 'b' } },
            { kind: 'not', filter: { kind: 'present', path: { attr: 'c' } } },
          ],
        },
      ],
    });
  });

  it('lets parentheses override precedence', () => {
    assert.deepEqual(parseFilter('(a pr OR b pr) AND c pr'), {
      kind: 'and',
      filters: [
        {
          kind: 'or',
          filters: [
            { kind: 'present', path: { attr: 'a' } },
            { kind: 'present', path: { attr: 'b' } },
          ],
        },
        { kind: 'present', path: { attr: 'c' } },
      ],
    });
  });

  it('reads value paths with a sub-attribute and a compound value filter', () => {
    assert.deepEqual(parseFilter('emails[type eq "work" and primary eq true].value eq "x@y.z"'), {
      kind: 'compare',
      op: 'eq',
      path: {
        attr: 'emails',
        filter: {
          kind: 'and',
          filters: [
            { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' },
            { kind: 'compare', op: 'eq', path: { attr: 'primary' }, value: true },
          ],
        },
        sub: 'value',
      },
      value: 'x@y.z',
    });
    assert.deepEqual(parseFilter('members[value eq "x"]'), {
      kind: 'valuePath',
      path: { attr: 'members', filter: { kind: 'compare', op: 'eq', path: { attr: 'value' }, value: 'x' } },
    });
  });

  it('reads schema-URN-qualified attribute names', () => {
    assert.deepEqual(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'), {
      kind: 'compare',
      op: 'sw',
      path: { uri: USER_SCHEMA, attr: 'userName' },
      value: 'J',
    });
    assert.deepEqual(parseFilter(`${ENTERPRISE_USER_SCHEMA}:manager.value eq "26118915"`), {
      kind: 'compare',
      op: 'eq',
      path: { uri: ENTERPRISE_USER_SCHEMA, attr: 'manager', sub: 'value' },
      value: '26118915',
    });
  });

  it('reads string, number, boolean and null literals, with JSON string escapes', () => {
    const value = (text: string): Literal => {
      const node = parseFilter(`x eq ${text}`);
      assert.equal(node.kind, 'compare');
      return node.kind === 'compare' ? node.value : (undefined as never);
    };
    assert.equal(value('"a \\"quoted\\" \\\\ \\/ \\n \\u00e9"'), 'a "quoted" \\ / \n é');
    assert.equal(value('42'), 42);
    assert.equal(value('-1.5e3'), -1500);
    assert.equal(value('true'), true);
    assert.equal(value('False'), false);
    assert.equal(value('null'), null);
  });

  it('rejects malformed filters with invalidFilter', () => {
    const bad = [
      '',
      '   ',
      'userName',
      'userName eq',
      'userName eq "unterminated',
      'userName eq "bad \\x escape"',
      'userName eq "raw \u0001 control"',
      'userName zz "x"',
      'userName eq bjensen',
      '(userName eq "x"',
      'userName eq "x")',
      'userName eq "x" and',
      'and userName eq "x" x',
      'not userName eq "x"',
      'emails[type eq "work"',
      'emails[type eq "work"]]',
      'emails[type[value eq "x"] pr]',
      'emails.value[type eq "work"]',
      'emails[urn:a:b:type eq "x"]',
      'a.b.c eq "x"',
      '1abc eq "x"',
      'userName eq 12abc',
      'userName eq 1e999',
      'user Name eq "x"',
      'userName eq "x" # comment',
      'urn:ietf:params:scim:schemas:core:2.0:User: eq "x"',
      ':userName eq "x"',
    ];
    for (const text of bad) {
      const err = scimErrorOf(() => parseFilter(text));
      assert.equal(err.scimType, 'invalidFilter', text);
      assert.equal(err.status, 400, text);
    }
  });

  it('rejects non-strings, over-long input and deep nesting', () => {
    for (const input of [undefined, null, 42, {}, ['userName pr']]) {
      assert.equal(scimErrorOf(() => parseFilter(input)).scimType, 'invalidFilter');
    }
    const long = `userName eq "${'a'.repeat(SCIM_LIMITS.maxFilterLength)}"`;
    assert.match(scimErrorOf(() => parseFilter(long)).detail, /longer than/);
    const depth = SCIM_LIMITS.maxFilterDepth;
    assert.doesNotThrow(() => parseFilter(`${'('.repeat(depth)}a pr${')'.repeat(depth)}`));
    assert.match(scimErrorOf(() => parseFilter(`${'('.repeat(depth + 1)}a pr${')'.repeat(depth + 1)}`)).detail, /nested deeper/);
    assert.match(scimErrorOf(() => parseFilter(`${'not ('.repeat(depth + 1)}a pr${')'.repeat(depth + 1)}`)).detail, /nested deeper/);
  });

  it('keeps a long flat chain of and/or shallow', () => {
    const text = Array.from({ length: 300 }, (_, i) => `a${i} pr`).join(' or ');
    const ast = parseFilter(text);
    assert.equal(ast.kind, 'or');
    assert.equal(ast.kind === 'or' ? ast.filters.length : 0, 300);
  });
});

describe('printFilter', () => {
  it('prints a filter that parses back to the same AST', () => {
    const text = 'emails[type eq "work" and (primary eq true or value ew "@x")].value co "a\\"b" or not (userName sw "J") and x ge -0';
    const ast = parseFilter(text);
    assert.deepEqual(parseFilter(printFilter(ast)), ast);
    assert.equal(printFilter(ast), 'emails[type eq "work" and (primary eq true or value ew "@x")].value co "a\\"b" or (not (userName sw "J") and x ge -0)');
  });
});

describe('parsePath', () => {
  it('reads attribute, sub-attribute and value paths', () => {
    assert.deepEqual(parsePath('active'), { attr: 'active' });
    assert.deepEqual(parsePath('name.givenName'), { attr: 'name', sub: 'givenName' });
    assert.deepEqual(parsePath('emails[type eq "work"].value'), {
      attr: 'emails',
      filter: { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' },
      sub: 'value',
    });
    assert.deepEqual(parsePath(`${ENTERPRISE_USER_SCHEMA}:manager`), { uri: ENTERPRISE_USER_SCHEMA, attr: 'manager' });
  });

  it('rejects anything else with invalidPath', () => {
    for (const text of ['', 'userName eq "x"', 'members[value eq "x"] extra', 'a..b', '[x]', 'members[value eq]', 42]) {
      const err = scimErrorOf(() => parsePath(text));
      assert.equal(err.scimType, 'invalidPath', String(text));
    }
  });
});

describe('compileFilter: evaluation against a User', () => {
  it('compares userName and emails.value case-insensitively, externalId and id exactly', () => {
    assert.equal(matches('userName eq "bjensen@example.com"'), true);
    assert.equal(matches('USERNAME EQ "BJENSEN@EXAMPLE.COM"'), true);
    assert.equal(matches('emails.value eq "BJENSEN@example.COM"'), true);
    assert.equal(matches('externalId eq "bjensen-ext"'), true);
    assert.equal(matches('externalId eq "BJENSEN-EXT"'), false);
    assert.equal(matches('id eq "2819C223"'), false);
    assert.equal(matches('displayName eq "babs jensen"'), true);
  });

  it('evaluates ne, co, sw, ew, pr', () => {
    assert.equal(matches('userName ne "other"'), true);
    assert.equal(matches('userName ne "BJENSEN@example.com"'), false);
    assert.equal(matches('userName co "JENSEN@"'), true);
    assert.equal(matches('userName sw "bj"'), true);
    assert.equal(matches('userName ew ".COM"'), true);
    assert.equal(matches('userName ew ".org"'), false);
    assert.equal(matches('name pr'), true);
    assert.equal(matches('name.givenName pr'), true);
    assert.equal(matches('name.givenName pr', { ...bjensen, name: { familyName: 'Jensen' } }), false);
  });

  it('evaluates booleans, also from Entra-style "True" strings', () => {
    assert.equal(matches('active eq true'), true);
    assert.equal(matches('active eq false'), false);
    assert.equal(matches('active eq "True"'), true);
    assert.equal(matches('active eq false', { ...bjensen, active: 'False' }), true);
  });

  it('compares dates as instants, not as strings', () => {
    assert.equal(matches('meta.lastModified gt "2024-05-13T04:42:33Z"'), true);
    assert.equal(matches('meta.lastModified gt "2024-05-13T04:42:34Z"'), false);
    assert.equal(matches('meta.lastModified ge "2024-05-13T04:42:34Z"'), true);
    // 06:42:34+02:00 is the same instant, though it sorts after as a string.
    assert.equal(matches('meta.lastModified eq "2024-05-13T06:42:34+02:00"'), true);
    assert.equal(matches('meta.lastModified lt "2024-05-13T06:00:00+02:00"'), false);
    assert.equal(matches('meta.created lt "2024-01-23T04:56:22.001Z"'), true);
    assert.equal(matches('meta.created le "2024-01-23T04:56:22Z" and meta.created ge "2024-01-23T04:56:22Z"'), true);
  });

  it('evaluates value paths against one value at a time', () => {
    assert.equal(matches('emails[type eq "work" and value co "@example.com"]'), true);
    // both conditions hold, but on different emails: no single value matches
    assert.equal(matches('emails[type eq "home" and value co "@example.com"]'), false);
    assert.equal(matches('emails[type eq "work"].value eq "bjensen@example.com"'), true);
    assert.equal(matches('emails[type eq "home"].value eq "bjensen@example.com"'), false);
    assert.equal(matches('emails[primary eq true].value pr'), true);
    assert.equal(matches('emails[type eq "other"] pr'), false);
    assert.equal(matches('emails eq "babs@jensen.org"'), true, 'a complex attribute compares its value');
  });

  it('evaluates and, or, not and parentheses', () => {
    assert.equal(matches('userName sw "x" or (active eq true and emails.type eq "home")'), true);
    assert.equal(matches('not (active eq true)'), false);
    assert.equal(matches('not (userName eq "x") and not (externalId pr)'), false);
  });

  it('reads URN-qualified core and enterprise attributes', () => {
    assert.equal(matches(`${USER_SCHEMA}:userName eq "BJENSEN@example.com"`), true);
    assert.equal(matches(`${ENTERPRISE_USER_SCHEMA}:employeeNumber eq "701984"`), true);
    assert.equal(matches(`${ENTERPRISE_USER_SCHEMA.toUpperCase()}:DEPARTMENT eq "tour operations"`), true);
    assert.equal(matches(`${ENTERPRISE_USER_SCHEMA}:manager.value eq "26118915"`), true);
    assert.equal(matches('department eq "Tour Operations"'), true, 'an unqualified extension attribute is found');
  });

  it('treats absent attributes as absent', () => {
    const bare = { schemas: [USER_SCHEMA], id: '1', userName: 'u' };
    assert.equal(matches('displayName eq "x"', bare), false);
    assert.equal(matches('displayName ne "x"', bare), true);
    assert.equal(matches('displayName eq null', bare), true);
    assert.equal(matches('displayName pr', bare), false);
    assert.equal(matches('displayName pr', { ...bare, displayName: '' }), false);
    assert.equal(matches('emails.value pr', { ...bare, emails: [] }), false);
    assert.equal(matches(`${ENTERPRISE_USER_SCHEMA}:department pr`, bare), false);
    assert.equal(matches('meta.lastModified gt "2020-01-01T00:00:00Z"', bare), false);
  });

  it('never throws on malformed resources', () => {
    const f = compileFilter('emails[type eq "work"].value eq "x" or name.givenName sw "a" or meta.created gt "2020-01-01T00:00:00Z"', USER_RESOURCE);
    for (const r of [null, 'x', [], {}, { emails: 'x' }, { emails: [1, null, 'x', [{}]] }, { name: 5 }, { meta: { created: 7 } }]) {
      assert.equal(f.matches(r), false);
    }
  });

  it('filters Groups by displayName and members', () => {
    const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }, { value: 'u2' }] };
    assert.equal(matches('displayName eq "sales"', group, GROUP_RESOURCE), true);
    assert.equal(matches('members[value eq "u2"]', group, GROUP_RESOURCE), true);
    assert.equal(matches('members[value eq "U2"]', group, GROUP_RESOURCE), false, 'member ids are caseExact');
    assert.equal(matches('members.value eq "u3"', group, GROUP_RESOURCE), false);
    rejects('userName eq "x"', GROUP_RESOURCE);
  });
});

describe('compileFilter: unsupported filters are errors, never an empty result', () => {
  it('rejects unknown attributes and sub-attributes', () => {
    assert.match(rejects('nickName eq "x"').detail, /unknown attribute/);
    rejects('name.middleName eq "x"');
    rejects('emails[kind eq "work"]');
    rejects(`urn:ietf:params:scim:schemas:extension:other:2.0:User:department eq "x"`);
    rejects(`${ENTERPRISE_USER_SCHEMA}:userName eq "x"`);
  });

  it('refuses to filter on the password', () => {
    assert.match(rejects('password eq "secret"').detail, /cannot be filtered/);
    rejects('password pr');
  });

  it('rejects operator and type mismatches', () => {
    rejects('active gt false');
    rejects('active co "t"');
    rejects('active eq "yes"');
    rejects('userName eq 42');
    rejects('userName eq true');
    rejects('meta.lastModified gt "yesterday"');
    rejects('meta.lastModified co "2024"');
    rejects('meta.lastModified gt 5');
    rejects('userName gt null');
    rejects('name eq "x"');
    rejects('name[givenName eq "x"]');
    rejects('userName[value eq "x"]');
  });

  it('keeps the first error for filters it cannot parse', () => {
    assert.match(rejects('userName eq').detail, /expected a value/);
  });
});

describe('indexableEquality', () => {
  it('recognises single equalities on indexed attributes', () => {
    const cases: [string, unknown][] = [
      ['userName eq "Bob"', { attribute: 'userName', value: 'Bob', caseExact: false }],
      ['USERNAME EQ "Bob"', { attribute: 'userName', value: 'Bob', caseExact: false }],
      [`${USER_SCHEMA}:userName eq "Bob"`, { attribute: 'userName', value: 'Bob', caseExact: false }],
      ['externalId eq "e1"', { attribute: 'externalId', value: 'e1', caseExact: true }],
      ['id eq "i1"', { attribute: 'id', value: 'i1', caseExact: true }],
      ['displayName eq "Sales"', { attribute: 'displayName', value: 'Sales', caseExact: false }],
      ['emails.value eq "a@b.c"', { attribute: 'emails.value', value: 'a@b.c', caseExact: false }],
      ['emails[value eq "a@b.c"]', { attribute: 'emails.value', value: 'a@b.c', caseExact: false }],
      ['members[value eq "u1"]', { attribute: 'members.value', value: 'u1', caseExact: true }],
    ];
    for (const [text, expected] of cases) assert.deepEqual(indexableEquality(parseFilter(text)), expected, text);
  });

  it('declines everything else', () => {
    for (const text of [
      'userName ne "Bob"',
      'userName sw "Bob"',
      'userName eq "a" and active eq true',
      'userName eq null',
      'active eq true',
      'emails.type eq "work"',
      'emails[type eq "work"]',
      'emails[value eq "x" and type eq "work"]',
      'emails[type eq "work"].value eq "x"',
      `${ENTERPRISE_USER_SCHEMA}:userName eq "x"`,
      'not (userName eq "x")',
      'name.givenName eq "x"',
    ]) {
      assert.equal(indexableEquality(parseFilter(text)), undefined, text);
    }
  });
});

// ---------------------------------------------------------------- properties

const attrName = fc.stringMatching(/^\$?[A-Za-z][A-Za-z0-9_-]{0,8}$/);
const uri = fc.oneof(
  fc.constant(USER_SCHEMA),
  fc.constant(ENTERPRISE_USER_SCHEMA),
  fc.array(fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/), { minLength: 1, maxLength: 4 }).map((segs) => `urn:${segs.join(':')}`),
);
const literal: fc.Arbitrary<Literal> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const compareOp = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le' as const);

function withOptional<T extends object>(base: T, extras: Partial<Record<string, unknown>>): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(extras)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Filters valid inside `[...]`: plain sub-attribute names, no nested value paths. */
const { inner } = fc.letrec<{ inner: FilterNode }>((tie) => ({
  inner: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    attrName.map((attr): FilterNode => ({ kind: 'present', path: { attr } })),
    fc.record({ attr: attrName, op: compareOp, value: literal }).map(({ attr, op, value }): FilterNode => ({ kind: 'compare', op, path: { attr }, value })),
    tie('inner').map((filter): FilterNode => ({ kind: 'not', filter })),
    fc
      .record({ kind: fc.constantFrom('and', 'or' as const), filters: fc.array(tie('inner'), { minLength: 2, maxLength: 3 }) })
      .map(({ kind, filters }): FilterNode => ({ kind, filters })),
  ),
}));

const outerPath: fc.Arbitrary<AttrPath> = fc
  .record({
    uri: fc.option(uri, { nil: undefined }),
    attr: attrName,
    filter: fc.option(inner, { nil: undefined }),
    sub: fc.option(attrName, { nil: undefined }),
  })
  .map(({ uri: u, attr, filter, sub }) => withOptional<AttrPath>({ attr }, { uri: u, filter, sub }));

const { node } = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    outerPath.map((path): FilterNode => ({ kind: 'present', path })),
    fc.record({ path: outerPath, op: compareOp, value: literal }).map(({ path, op, value }): FilterNode => ({ kind: 'compare', op, path, value })),
    fc
      .record({ uri: fc.option(uri, { nil: undefined }), attr: attrName, filter: inner })
      .map(({ uri: u, attr, filter }): FilterNode => ({ kind: 'valuePath', path: withOptional({ attr, filter }, { uri: u }) })),
    tie('node').map((filter): FilterNode => ({ kind: 'not', filter })),
    fc
      .record({ kind: fc.constantFrom('and', 'or' as const), filters: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) })
      .map(({ kind, filters }): FilterNode => ({ kind, filters })),
  ),
}));

const vocabulary = fc.constantFrom(
  'userName',
  'emails',
  'emails.value',
  'emails.type',
  'meta.lastModified',
  'active',
  'name.givenName',
  'members',
  'displayName',
  'externalId',
  'password',
  `${ENTERPRISE_USER_SCHEMA}:department`,
  `${USER_SCHEMA}:userName`,
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
  'pr',
  'and',
  'or',
  'not',
  'AND',
  'Not',
  '(',
  ')',
  '[',
  ']',
  '].value',
  '"x"',
  '"2024-05-13T04:42:34Z"',
  '"True"',
  '"\\u00e9"',
  '"\\"',
  '42',
  '-1.5e3',
  'true',
  'false',
  'null',
  '.',
);
const tokenSoup = fc.array(vocabulary, { maxLength: 14 }).map((ts) => ts.join(' '));
const tightSoup = fc.array(vocabulary, { maxLength: 14 }).map((ts) => ts.join(''));

const anyResource = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      userName: fc.oneof(fc.string(), fc.jsonValue()),
      active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False'), fc.jsonValue()),
      emails: fc.oneof(
        fc.array(fc.record({ value: fc.string(), type: fc.constantFrom('work', 'home'), primary: fc.boolean() }, { requiredKeys: [] })),
        fc.jsonValue(),
      ),
      meta: fc.oneof(fc.record({ lastModified: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) }), fc.jsonValue()),
      [ENTERPRISE_USER_SCHEMA]: fc.oneof(fc.record({ department: fc.string() }), fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
);

function onlyScimErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ScimError)) throw err;
    assert.equal(err.status, 400);
  }
}

describe('filter properties', () => {
  it('random strings make the parser return or throw ScimError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), tokenSoup, tightSoup), (text) => {
        onlyScimErrors(() => parseFilter(text));
        onlyScimErrors(() => parsePath(text));
        onlyScimErrors(() => compileFilter(text, USER_RESOURCE));
      }),
      { numRuns: 3000 },
    );
  });

  it('parse(print(ast)) gives back the AST', () => {
    fc.assert(
      fc.property(node, (ast) => {
        assert.deepStrictEqual(parseFilter(printFilter(ast)), ast);
      }),
      { numRuns: 2000 },
    );
  });

  it('a compiled filter evaluates any resource to a boolean without throwing', () => {
    fc.assert(
      fc.property(tokenSoup, fc.array(anyResource, { maxLength: 4 }), (text, resources) => {
        let f;
        try {
          f = compileFilter(text, USER_RESOURCE);
        } catch (err) {
          assert.ok(err instanceof ScimError);
          return;
        }
        for (const r of resources) assert.equal(typeof f.matches(r), 'boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('a filter and its negation never both match', () => {
    const simple = fc.constantFrom(
      'userName eq "bjensen@example.com"',
      'emails[type eq "work"].value co "@"',
      'active eq true',
      'meta.lastModified gt "2024-01-01T00:00:00Z"',
      'displayName pr',
      `${ENTERPRISE_USER_SCHEMA}:department sw "t"`,
      'emails.value ne "x"',
    );
    fc.assert(
      fc.property(simple, anyResource, (text, r) => {
        const yes = compileFilter(text, USER_RESOURCE).matches(r);
        const no = compileFilter(`not (${text})`, USER_RESOURCE).matches(r);
        assert.equal(yes && no, false);
        if (r !== null && typeof r === 'object' && !Array.isArray(r)) assert.equal(yes || no, true);
      }),
      { numRuns: 1000 },
    );
  });
});
