// Answers a SCIM list or search (RFC 7644 §3.4.2) over one company's resources, the same way for
// Users and Groups:
// - no filter and no sortBy: a count and one page in id order, straight from the database;
// - a filter with an equality an index serves (userName, externalId, emails.value, id, members.value,
//   alone or as one operand of an `and`): the few candidate rows it names, then the whole filter;
// - anything else: a scan of the company's rows in pages, evaluating the filter on each resource,
//   bounded by SCIM_LIMITS.maxFilterScan (past it: 400 tooMany, never a silently partial answer).
// Matches are sorted (sortBy, then id) and only the requested page is loaded in full.

import { ScimError, tooMany } from './errors.js';
import { compileFilter, foldCase, indexableEquality, parseDateTime, toBoolean, type FilterNode, type IndexableEquality } from './filter.js';
import { SCIM_LIMITS } from './limits.js';
import type { AttributeRef, ListQuery } from './list.js';
import { findSubAttribute, findTopAttribute, getCI, isObject, type JsonObject, type ResourceTypeDef } from './schema.js';

/** Where a resource type's rows come from, for one company. */
export interface SearchSource<Row extends { id: number }> {
  readonly rt: ResourceTypeDef;
  /** The rows an indexed equality names (a superset of its matches), or undefined when no index serves it. */
  lookup(eq: IndexableEquality): Promise<Row[] | undefined>;
  /** The next rows after `afterId`, in id order. */
  scan(afterId: number, limit: number): Promise<Row[]>;
  count(): Promise<number>;
  /** Rows in id order, `offset` skipped. */
  page(offset: number, limit: number): Promise<Row[]>;
  byIds(ids: readonly number[]): Promise<Row[]>;
  /** The rows as resources; `withMembers` loads what is costly (a Group's members). */
  resources(rows: readonly Row[], withMembers: boolean): Promise<JsonObject[]>;
}

export interface SearchResult {
  totalResults: number;
  /** The page, in order, unprojected. */
  resources: JsonObject[];
}

/**
 * The indexed equalities every match of `node` satisfies: the filter itself, or the operands of its
 * top `and`, in order.
 */
export function indexableConjuncts(node: FilterNode): IndexableEquality[] {
  const operands = node.kind === 'and' ? node.filters : [node];
  return operands.map(indexableEquality).filter((e): e is IndexableEquality => e !== undefined);
}

/** Whether a filter reads a top-level attribute (by name, case-insensitively). */
export function filterMentions(node: FilterNode, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.filters.some((f) => filterMentions(f, attribute));
    case 'not':
      return filterMentions(node.filter, attribute);
    default:
      return node.path.attr.toLowerCase() === lower;
  }
}

type SortValue = string | number | undefined;

/** The value a resource sorts by: a multi-valued attribute sorts by its primary (else first) value. */
export function sortValue(resource: JsonObject, ref: AttributeRef, rt: ResourceTypeDef): SortValue {
  if (ref.attribute === undefined) return undefined;
  const top = findTopAttribute(rt, ref.schema, ref.attribute);
  if (!top) return undefined;
  const container = ref.extension ? getCI(resource, ref.schema) : resource;
  if (!isObject(container)) return undefined;
  let value = getCI(container, top.attribute.name);
  let def = top.attribute;
  if (def.multiValued) {
    const list = Array.isArray(value) ? (value as unknown[]) : value === undefined || value === null ? [] : [value];
    value = list.find((el) => isObject(el) && toBoolean(getCI(el, 'primary')) === true) ?? list[0];
  }
  if (def.type === 'complex') {
    const sub = findSubAttribute(def, ref.sub ?? 'value');
    if (!sub) return undefined;
    value = isObject(value) ? getCI(value, sub.name) : undefined;
    def = sub;
  }
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return typeof value === 'string' ? (def.caseExact ? value : foldCase(value)) : undefined;
    case 'dateTime':
      return parseDateTime(value);
    case 'boolean': {
      const b = toBoolean(value);
      return b === undefined ? undefined : b ? 1 : 0;
    }
    case 'integer':
    case 'decimal':
      return typeof value === 'number' ? value : undefined;
    case 'complex':
      return undefined;
  }
}

interface Match {
  id: number;
  key: SortValue;
}

/** Missing values last, whatever the order; ties by id. */
function compareMatches(a: Match, b: Match, descending: boolean): number {
  if (a.key !== b.key) {
    if (a.key === undefined) return 1;
    if (b.key === undefined) return -1;
    const c = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    if (c !== 0) return descending ? -c : c;
  }
  return a.id - b.id;
}

/**
 * One page of the resources that match `query`. `withMembers`: whether the page's resources need
 * their costly attributes (a Group's members). Throws ScimError (invalidFilter, tooMany).
 */
export async function search<Row extends { id: number }>(src: SearchSource<Row>, query: ListQuery, withMembers: boolean): Promise<SearchResult> {
  const offset = query.startIndex - 1;
  if (query.filter === undefined && query.sortBy === undefined) {
    const totalResults = await src.count();
    if (query.count === 0 || offset >= totalResults) return { totalResults, resources: [] };
    return { totalResults, resources: await src.resources(await src.page(offset, query.count), withMembers) };
  }

  const filter = query.filter === undefined ? undefined : compileFilter(query.filter, src.rt);
  const filterNeedsMembers = filter !== undefined && filterMentions(filter.ast, 'members');
  const sortBy = query.sortBy;
  const matches: Match[] = [];
  const consider = async (rows: readonly Row[]) => {
    const resources = await src.resources(rows, filterNeedsMembers);
    resources.forEach((r, i) => {
      if (filter && !filter.matches(r)) return;
      matches.push({ id: (rows[i] as Row).id, key: sortBy ? sortValue(r, sortBy, src.rt) : undefined });
    });
  };

  // The first of the filter's indexed equalities that this source has an index for.
  let candidates: Row[] | undefined;
  for (const eq of filter ? indexableConjuncts(filter.ast) : []) {
    candidates = await src.lookup(eq);
    if (candidates) break;
  }
  if (candidates) {
    await consider(candidates);
  } else {
    let after = 0;
    let scanned = 0;
    for (;;) {
      const rows = await src.scan(after, SCIM_LIMITS.scanPageSize);
      if (rows.length === 0) break;
      scanned += rows.length;
      if (scanned > SCIM_LIMITS.maxFilterScan) {
        throw tooMany(
          `this filter or sortBy would read more than ${SCIM_LIMITS.maxFilterScan} resources: filter on userName, externalId or emails.value instead`,
        );
      }
      await consider(rows);
      after = (rows[rows.length - 1] as Row).id;
      if (rows.length < SCIM_LIMITS.scanPageSize) break;
    }
  }

  matches.sort((a, b) => compareMatches(a, b, query.sortOrder === 'descending'));
  const pageIds = matches.slice(offset, offset + query.count).map((m) => m.id);
  if (pageIds.length === 0) return { totalResults: matches.length, resources: [] };
  const byId = new Map((await src.byIds(pageIds)).map((r) => [r.id, r]));
  // A row deleted since it matched is left out of the page.
  const rows = pageIds.map((id) => byId.get(id)).filter((r): r is Row => r !== undefined);
  return { totalResults: matches.length, resources: await src.resources(rows, withMembers) };
}

/** One resource type's part of a search across types (POST /.search at the root). */
export interface TypedSearch {
  /** The query as read for this type (attributes resolve against its schema). */
  readonly query: ListQuery;
  run(query: ListQuery): Promise<SearchResult>;
}

/**
 * A search across resource types, in the order given: a filter applies to each type it is valid for
 * (an attribute only one type has matches nothing in the other); sortBy sorts within each type; one
 * page is cut across them. An invalid filter is an error only when no type can read it.
 */
export async function searchAcrossTypes(
  parts: readonly TypedSearch[],
  startIndex: number,
  count: number,
): Promise<{ totalResults: number; pages: SearchResult[] }> {
  // Totals first (count 0 reads no page), then the page across the concatenation.
  const totals: (number | undefined)[] = [];
  let firstError: ScimError | undefined;
  for (const part of parts) {
    try {
      totals.push((await part.run({ ...part.query, startIndex: 1, count: 0 })).totalResults);
    } catch (err) {
      if (!(err instanceof ScimError) || err.scimType !== 'invalidFilter') throw err;
      firstError ??= err;
      totals.push(undefined);
    }
  }
  if (firstError && totals.every((t) => t === undefined)) throw firstError;
  const pages: SearchResult[] = [];
  let skip = startIndex - 1;
  let room = count;
  for (const [i, part] of parts.entries()) {
    const total = totals[i];
    if (total === undefined || total === 0) {
      pages.push({ totalResults: 0, resources: [] });
      continue;
    }
    if (skip >= total || room === 0) {
      skip = Math.max(0, skip - total);
      pages.push({ totalResults: total, resources: [] });
      continue;
    }
    const page = await part.run({ ...part.query, startIndex: skip + 1, count: room });
    pages.push(page);
    room -= page.resources.length;
    skip = 0;
  }
  return { totalResults: totals.reduce<number>((a, t) => a + (t ?? 0), 0), pages };
}
