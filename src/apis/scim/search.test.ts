import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidFilter, ScimError } from './errors.js';
import { parseFilter } from './filter.js';
import { SCIM_LIMITS } from './limits.js';
import { parseListQuery } from './list.js';
import { USER_RESOURCE, USER_SCHEMA, type JsonObject } from './schema.js';
import { filterMentions, indexableConjuncts, search, searchAcrossTypes, sortValue, type SearchSource } from './search.js';

interface Row {
  id: number;
  userName: string;
  displayName?: string;
}

/** An in-memory source that counts what it was asked. */
function source(rows: Row[]) {
  const asked = { lookups: 0, scanned: 0, pages: 0, resources: 0 };
  const src: SearchSource<Row> = {
    rt: USER_RESOURCE,
    lookup: async (eq) => {
      if (eq.attribute !== 'userName') return undefined;
      asked.lookups++;
      return rows.filter((r) => r.userName.toLowerCase() === eq.value.toLowerCase());
    },
    scan: async (after, limit) => {
      const page = rows.filter((r) => r.id > after).slice(0, limit);
      asked.scanned += page.length;
      return page;
    },
    count: async () => rows.length,
    page: async (offset, limit) => {
      asked.pages++;
      return rows.slice(offset, offset + limit);
    },
    byIds: async (ids) => rows.filter((r) => ids.includes(r.id)),
    resources: async (rs) => {
      asked.resources += rs.length;
      return rs.map((r): JsonObject => ({
        schemas: [USER_SCHEMA],
        id: String(r.id),
        userName: r.userName,
        ...(r.displayName !== undefined && { displayName: r.displayName }),
      }));
    },
  };
  return { src, asked };
}

const rows: Row[] = [
  { id: 1, userName: 'carol', displayName: 'Carol' },
  { id: 2, userName: 'alice', displayName: 'alice' },
  { id: 3, userName: 'bob' },
  { id: 4, userName: 'dave', displayName: 'Dave' },
];
const q = (params: Record<string, unknown>) => parseListQuery(params, USER_RESOURCE);
const ids = (r: { resources: JsonObject[] }) => r.resources.map((x) => x.id);

describe('search', () => {
  it('without filter or sortBy: a count and one page, nothing scanned', async () => {
    const { src, asked } = source(rows);
    const r = await search(src, q({ startIndex: 2, count: 2 }), false);
    assert.equal(r.totalResults, 4);
    assert.deepEqual(ids(r), ['2', '3']);
    assert.equal(asked.scanned, 0);
    assert.equal(asked.resources, 2);
  });

  it('serves an indexed equality, alone or in an `and`, from the lookup, then applies the whole filter', async () => {
    const { src, asked } = source(rows);
    assert.deepEqual(ids(await search(src, q({ filter: 'userName eq "ALICE"' }), false)), ['2']);
    assert.deepEqual(ids(await search(src, q({ filter: 'displayName eq "x" and userName eq "alice"' }), false)), []);
    assert.equal(asked.lookups, 2);
    assert.equal(asked.scanned, 0);
  });

  it('scans for anything else, sorts missing values last in either order, and pages the matches', async () => {
    const { src, asked } = source(rows);
    const asc = await search(src, q({ filter: 'userName ne "zed"', sortBy: 'displayName' }), false);
    assert.deepEqual(ids(asc), ['2', '1', '4', '3']);
    assert.equal(asked.scanned, 4);
    const desc = await search(src, q({ filter: 'userName ne "zed"', sortBy: 'displayName', sortOrder: 'descending', startIndex: 2, count: 2 }), false);
    assert.equal(desc.totalResults, 4);
    assert.deepEqual(ids(desc), ['1', '2']);
    const sortedOnly = await search(src, q({ sortBy: 'userName' }), false);
    assert.deepEqual(ids(sortedOnly), ['2', '3', '1', '4']);
  });

  it('refuses (400 tooMany) a scan past maxFilterScan rather than answering part of it', async () => {
    const many = Array.from({ length: SCIM_LIMITS.maxFilterScan + 1 }, (_, i) => ({ id: i + 1, userName: `u${i}` }));
    const { src } = source(many);
    await assert.rejects(search(src, q({ filter: 'userName sw "u1"' }), false), (e: unknown) => e instanceof ScimError && e.scimType === 'tooMany');
    // An indexed lookup is not a scan.
    assert.deepEqual(ids(await search(src, q({ filter: 'userName eq "u7"' }), false)), ['8']);
  });
});

describe('filter helpers', () => {
  it('indexableConjuncts finds the indexed equalities at the top or among the operands of a top `and`', () => {
    assert.deepEqual(indexableConjuncts(parseFilter('userName eq "a"')), [{ attribute: 'userName', caseExact: false, value: 'a' }]);
    assert.deepEqual(
      indexableConjuncts(parseFilter('displayName eq "d" and active eq true and externalId eq "x"')).map((e) => e.attribute),
      ['displayName', 'externalId'],
    );
    assert.deepEqual(indexableConjuncts(parseFilter('userName eq "a" or externalId eq "x"')), []);
    assert.deepEqual(indexableConjuncts(parseFilter('not (userName eq "a")')), []);
  });

  it('filterMentions sees an attribute anywhere in a filter', () => {
    assert.equal(filterMentions(parseFilter('displayName eq "x" or not (members[value eq "1"])'), 'MEMBERS'), true);
    assert.equal(filterMentions(parseFilter('displayName eq "x"'), 'members'), false);
  });

  it('sortValue reads the primary value of a multi-valued attribute and the case rules of the schema', () => {
    const ref = (name: string) => parseListQuery({ sortBy: name }, USER_RESOURCE).sortBy!;
    const u = {
      userName: 'MiXed',
      emails: [
        { value: 'B@x.com', type: 'home' },
        { value: 'A@x.com', primary: true },
      ],
      meta: { lastModified: '2026-01-01T00:00:00Z' },
    };
    assert.equal(sortValue(u, ref('userName'), USER_RESOURCE), 'mixed');
    assert.equal(sortValue(u, ref('emails'), USER_RESOURCE), 'a@x.com');
    assert.equal(sortValue(u, ref('emails.type'), USER_RESOURCE), undefined);
    assert.equal(sortValue(u, ref('meta.lastModified'), USER_RESOURCE), Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(sortValue(u, ref('name.givenName'), USER_RESOURCE), undefined);
  });
});

describe('searchAcrossTypes', () => {
  const part = (n: number, prefix: string, error?: ScimError) => ({
    query: q({}),
    run: async (query: { startIndex: number; count: number }) => {
      if (error) throw error;
      const all = Array.from({ length: n }, (_, i): JsonObject => ({ id: `${prefix}${i + 1}` }));
      return { totalResults: n, resources: all.slice(query.startIndex - 1, query.startIndex - 1 + query.count) };
    },
  });

  it('cuts one page across the types, in order, with the sum as totalResults', async () => {
    const page = async (startIndex: number, count: number) => {
      const r = await searchAcrossTypes([part(3, 'u'), part(2, 'g')], startIndex, count);
      return [r.totalResults, r.pages.flatMap((p) => p.resources.map((x) => x.id))];
    };
    assert.deepEqual(await page(1, 10), [5, ['u1', 'u2', 'u3', 'g1', 'g2']]);
    assert.deepEqual(await page(3, 2), [5, ['u3', 'g1']]);
    assert.deepEqual(await page(5, 2), [5, ['g2']]);
    assert.deepEqual(await page(6, 2), [5, []]);
    assert.deepEqual(await page(1, 0), [5, []]);
  });

  it('skips a type the filter cannot apply to, and fails only when none can', async () => {
    const r = await searchAcrossTypes([part(2, 'u'), part(0, 'g', invalidFilter('no such attribute'))], 1, 10);
    assert.equal(r.totalResults, 2);
    await assert.rejects(
      searchAcrossTypes([part(1, 'u', invalidFilter('a')), part(1, 'g', invalidFilter('b'))], 1, 10),
      (e: unknown) => e instanceof ScimError && e.detail === 'a',
    );
    await assert.rejects(
      searchAcrossTypes([part(1, 'u', new ScimError(400, 'x', 'tooMany'))], 1, 10),
      (e: unknown) => e instanceof ScimError && e.scimType === 'tooMany',
    );
  });
});
