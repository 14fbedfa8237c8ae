// SCIM list parameters (RFC 7644 §3.4.2.3-§3.4.2.4, §3.4.3, §3.9) and attribute projection:
// startIndex/count bounded, sortBy/sortOrder checked, attributes/excludedAttributes resolved against the
// schema, and a resource cut down to what a client asked for (id, schemas and meta always; attributes
// with `returned: never`, such as password, never).

import { invalidValue, ScimError } from './errors.js';
import { parsePath } from './filter.js';
import { SCIM_LIMITS } from './limits.js';
import { findExtension, findSubAttribute, findTopAttribute, getCI, isObject, type AttributeDef, type JsonObject, type ResourceTypeDef } from './schema.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export interface ListResponse<T> {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

export function listResponse<T>(resources: T[], page: { totalResults: number; startIndex: number }): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: page.totalResults,
    startIndex: page.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** An attribute named in sortBy, attributes or excludedAttributes, resolved to canonical names. */
export interface AttributeRef {
  /** The URN of the schema that defines it (the core schema for core and common attributes). */
  readonly schema: string;
  /** True when it lives in an extension object (`resource[schema]`). */
  readonly extension: boolean;
  /** Canonical attribute name; undefined when the whole extension is named. */
  readonly attribute?: string;
  /** Canonical sub-attribute name. */
  readonly sub?: string;
  /** Canonical text: `name.familyName`, `urn:...:enterprise:2.0:User:department`. */
  readonly path: string;
}

export interface AttributeSelection {
  readonly attributes?: readonly AttributeRef[];
  readonly excludedAttributes?: readonly AttributeRef[];
}

export interface ListQuery extends AttributeSelection {
  readonly filter?: string;
  /** 1-based. */
  readonly startIndex: number;
  readonly count: number;
  readonly sortBy?: AttributeRef;
  readonly sortOrder: 'ascending' | 'descending';
}

export interface ListQueryOptions {
  readonly maxCount?: number;
  readonly defaultCount?: number;
}

function single(input: JsonObject, name: string): unknown {
  const v = getCI(input, name);
  if (Array.isArray(v)) {
    if (v.length > 1) throw invalidValue(`'${name}' given more than once`);
    return v[0];
  }
  return v;
}

function integer(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d{1,400}\s*$/.test(v)) return Number(v);
  throw invalidValue(`'${name}' must be an integer`);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(Math.max(n, lo), hi);
}

/** Resolves `name.givenName`, `urn:...:User:department` or a whole extension URN; undefined if unknown. */
export function resolveAttributeRef(text: string, rt: ResourceTypeDef): AttributeRef | undefined {
  let path;
  try {
    path = parsePath(text.trim());
  } catch (err) {
    if (err instanceof ScimError) throw invalidValue(`invalid attribute name '${text.slice(0, 200)}'`);
    throw err;
  }
  if (path.filter !== undefined) throw invalidValue(`'${text.slice(0, 200)}': attribute names take no filter`);
  if (path.sub === undefined) {
    const ext = findExtension(rt, path.uri !== undefined ? `${path.uri}:${path.attr}` : path.attr);
    if (ext) return { schema: ext.id, extension: true, path: ext.id };
  }
  const top = findTopAttribute(rt, path.uri, path.attr);
  if (!top) return undefined;
  const attribute = top.attribute.name;
  let sub: string | undefined;
  if (path.sub !== undefined) {
    sub = findSubAttribute(top.attribute, path.sub)?.name;
    if (sub === undefined) return undefined;
  }
  const local = sub === undefined ? attribute : `${attribute}.${sub}`;
  const ref: { schema: string; extension: boolean; attribute: string; sub?: string; path: string } = {
    schema: top.schema.id,
    extension: top.extension,
    attribute,
    path: top.extension ? `${top.schema.id}:${local}` : local,
  };
  if (sub !== undefined) ref.sub = sub;
  return ref;
}

function attributeList(v: unknown, name: string, rt: ResourceTypeDef): AttributeRef[] | undefined {
  if (v === undefined || v === null) return undefined;
  const items = Array.isArray(v) ? v : [v];
  const names: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw invalidValue(`'${name}' must be a comma-separated list of attribute names`);
    names.push(
      ...item
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
    if (names.length > SCIM_LIMITS.maxAttributeNames) throw invalidValue(`'${name}' names more than ${SCIM_LIMITS.maxAttributeNames} attributes`);
  }
  // Names the schema does not define are ignored, as most clients expect.
  const refs = names.map((n) => resolveAttributeRef(n, rt)).filter((r): r is AttributeRef => r !== undefined);
  return names.length === 0 ? undefined : refs;
}

/**
 * Reads list parameters from a query string object (GET) or a SearchRequest body (POST /.search).
 * Parameter names are matched case-insensitively. Throws ScimError invalidValue.
 */
export function parseListQuery(input: unknown, rt: ResourceTypeDef, options: ListQueryOptions = {}): ListQuery {
  const params: JsonObject = isObject(input) ? input : {};
  const maxCount = options.maxCount ?? SCIM_LIMITS.maxCount;
  const defaultCount = Math.min(options.defaultCount ?? SCIM_LIMITS.defaultCount, maxCount);

  const startIndex = clamp(integer(single(params, 'startIndex'), 'startIndex') ?? 1, 1, SCIM_LIMITS.maxStartIndex);
  const count = clamp(integer(single(params, 'count'), 'count') ?? defaultCount, 0, maxCount);

  const orderRaw = single(params, 'sortOrder');
  let sortOrder: 'ascending' | 'descending' = 'ascending';
  if (orderRaw !== undefined && orderRaw !== null && orderRaw !== '') {
    const o = typeof orderRaw === 'string' ? orderRaw.toLowerCase() : '';
    if (o !== 'ascending' && o !== 'descending') throw invalidValue("'sortOrder' must be ascending or descending");
    sortOrder = o;
  }

  const query: {
    filter?: string;
    startIndex: number;
    count: number;
    sortBy?: AttributeRef;
    sortOrder: 'ascending' | 'descending';
    attributes?: AttributeRef[];
    excludedAttributes?: AttributeRef[];
  } = { startIndex, count, sortOrder };

  const filter = single(params, 'filter');
  if (filter !== undefined && filter !== null && filter !== '') {
    if (typeof filter !== 'string') throw invalidValue("'filter' must be a string");
    query.filter = filter;
  }

  const sortRaw = single(params, 'sortBy');
  if (sortRaw !== undefined && sortRaw !== null && sortRaw !== '') {
    if (typeof sortRaw !== 'string') throw invalidValue("'sortBy' must be an attribute name");
    const ref = resolveAttributeRef(sortRaw, rt);
    if (!ref || ref.attribute === undefined) throw invalidValue(`cannot sort by '${sortRaw.slice(0, 200)}'`);
    const top = findTopAttribute(rt, ref.schema, ref.attribute);
    const def = ref.sub !== undefined && top ? findSubAttribute(top.attribute, ref.sub) : top?.attribute;
    if (!def || def.returned === 'never' || (def.type === 'complex' && !def.multiValued)) {
      throw invalidValue(`cannot sort by '${sortRaw.slice(0, 200)}'`);
    }
    query.sortBy = ref;
  }

  const attributes = attributeList(getCI(params, 'attributes'), 'attributes', rt);
  if (attributes !== undefined) query.attributes = attributes;
  const excluded = attributeList(getCI(params, 'excludedAttributes'), 'excludedAttributes', rt);
  if (excluded !== undefined) query.excludedAttributes = excluded;
  return query;
}

// ---------------------------------------------------------------- projection

function refsFor(refs: readonly AttributeRef[] | undefined, schema: string, def: AttributeDef): AttributeRef[] {
  if (!refs) return [];
  return refs.filter((r) => r.schema === schema && (r.attribute === undefined || r.attribute === def.name));
}

function pickSubs(value: unknown, keep: (sub: string) => boolean): unknown {
  const cut = (obj: JsonObject): JsonObject => Object.fromEntries(Object.entries(obj).filter(([k]) => keep(k)));
  if (Array.isArray(value)) {
    return (value as unknown[]).map((el) => (isObject(el) ? cut(el) : el)).filter((el) => !isObject(el) || Object.keys(el).length > 0);
  }
  if (isObject(value)) return cut(value);
  return value;
}

function projectAttribute(def: AttributeDef, schema: string, value: unknown, sel: AttributeSelection): unknown {
  if (def.returned === 'never') return undefined;
  let out = value;
  if (def.subAttributes) {
    const hidden = new Set(def.subAttributes.filter((s) => s.returned === 'never').map((s) => s.name.toLowerCase()));
    if (hidden.size > 0) out = pickSubs(out, (k) => !hidden.has(k.toLowerCase()));
  }
  if (def.returned === 'always') return out;
  if (sel.attributes && sel.attributes.length > 0) {
    const asked = refsFor(sel.attributes, schema, def);
    if (asked.length === 0) return undefined;
    if (!asked.some((r) => r.sub === undefined)) {
      const subs = new Set(asked.map((r) => (r.sub as string).toLowerCase()));
      const always = new Set((def.subAttributes ?? []).filter((s) => s.returned === 'always').map((s) => s.name.toLowerCase()));
      out = pickSubs(out, (k) => subs.has(k.toLowerCase()) || always.has(k.toLowerCase()));
    }
  } else if (def.returned === 'request') {
    return undefined;
  }
  const excluded = refsFor(sel.excludedAttributes, schema, def);
  if (excluded.some((r) => r.sub === undefined)) return undefined;
  if (excluded.length > 0) {
    const subs = new Set(excluded.map((r) => (r.sub as string).toLowerCase()));
    out = pickSubs(out, (k) => !subs.has(k.toLowerCase()));
  }
  return out;
}

function isAssigned(v: unknown): boolean {
  return !(v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0));
}

/**
 * The resource as a client asked for it. `schemas`, `id` and `meta` are always kept, `returned: never`
 * attributes always dropped. Without `attributes`, keys the schema does not know are kept as they are.
 */
export function projectResource(resource: JsonObject, rt: ResourceTypeDef, sel: AttributeSelection = {}): JsonObject {
  const out: JsonObject = {};
  const onlyAsked = sel.attributes !== undefined && sel.attributes.length > 0;
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas' || lower === 'id' || lower === 'meta') {
      out[key] = value;
      continue;
    }
    const ext = findExtension(rt, key);
    if (ext) {
      if (!isObject(value)) continue;
      const inner: JsonObject = {};
      for (const [k, v] of Object.entries(value)) {
        const def = ext.attributes.find((a) => a.name.toLowerCase() === k.toLowerCase());
        if (!def) {
          if (!onlyAsked) inner[k] = v;
          continue;
        }
        const projected = projectAttribute(def, ext.id, v, sel);
        if (isAssigned(projected)) inner[k] = projected;
      }
      if (Object.keys(inner).length > 0) out[key] = inner;
      continue;
    }
    const top = findTopAttribute(rt, rt.schema.id, key);
    if (!top) {
      if (!onlyAsked) out[key] = value;
      continue;
    }
    const projected = projectAttribute(top.attribute, rt.schema.id, value, sel);
    if (isAssigned(projected)) out[key] = projected;
  }
  return out;
}

/**
 * Whether a top-level attribute would be returned under a selection, so a caller can skip loading it
 * (`excludedAttributes=members`). `name` may be URN-qualified.
 */
export function attributeRequested(rt: ResourceTypeDef, sel: AttributeSelection, name: string): boolean {
  const lower = name.toLowerCase();
  if (lower === 'id' || lower === 'meta' || lower === 'schemas') return true;
  const ref = resolveAttributeRef(name, rt);
  if (!ref || ref.attribute === undefined) return false;
  const top = findTopAttribute(rt, ref.schema, ref.attribute);
  if (!top) return false;
  return projectAttribute(top.attribute, top.schema.id, true, sel) !== undefined;
}
