// SCIM PATCH (RFC 7644 §3.5.2) over a SCIM resource held as a plain JSON object, as Okta and
// Microsoft Entra ID actually send it:
// - op names in any case ("Replace"); `Operations` and other message keys in any case;
// - a `value` object without `path`, whose keys may be attribute paths (`name.givenName`), URN-qualified
//   attributes (`urn:...:enterprise:2.0:User:department`) or whole extension objects;
// - booleans as the strings "True"/"False"; a complex attribute with a `value` sub-attribute given as a
//   bare string (Entra's `manager`);
// - member removal by filter (`members[value eq "id"]`) and, as Entra does, by `path: "members"` with a
//   `value` list naming the members to remove;
// - add/replace on a filtered path with a sub-attribute (`emails[type eq "work"].value`) creates the
//   value from the filter's equalities when none matches (Entra sends this for a user who has no work
//   email yet; RFC 7644 would answer noTarget for replace).
// Attribute names are matched case-insensitively and written in the resource's (canonical) casing.
// The input resource is never modified. Every failure is a ScimError with status 400.

import { isDeepStrictEqual } from 'node:util';
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from './errors.js';
import { checkValueFilter, foldCase, matchesValueFilter, parseDateTime, parsePath, printFilter, toBoolean, type AttrPath, type FilterNode } from './filter.js';
import { SCIM_LIMITS } from './limits.js';
import {
  findExtension,
  findKey,
  findSubAttribute,
  findTopAttribute,
  getCI,
  isObject,
  type AttributeDef,
  type JsonObject,
  type ResourceTypeDef,
  type SchemaDef,
} from './schema.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  readonly op: PatchOpName;
  readonly path?: string;
  readonly value?: unknown;
}

export interface PatchOptions {
  /** Most operations one request may carry (default SCIM_LIMITS.maxPatchOperations). */
  readonly maxOperations?: number;
  /**
   * Skip attributes and sub-attributes the schema does not define instead of answering invalidPath /
   * invalidValue (Entra's default mappings send title, phoneNumbers, addresses, ...). Default false.
   */
  readonly ignoreUnknownAttributes?: boolean;
}

export interface PatchResult {
  readonly resource: JsonObject;
  /** False when the operations left the resource as it was (deep equality). */
  readonly changed: boolean;
}

/** Validates a PatchOp request body and returns its operations. Throws ScimError. */
export function parsePatchRequest(body: unknown, options: PatchOptions = {}): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('a PATCH body must be a JSON object');
  const schemas = getCI(body, 'schemas');
  if (schemas !== undefined) {
    const ok = Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase());
    if (!ok) throw invalidSyntax(`a PATCH body's schemas must be ["${PATCH_OP_SCHEMA}"]`);
  }
  const operations = getCI(body, 'Operations');
  if (!Array.isArray(operations)) throw invalidSyntax('a PATCH body needs an "Operations" array');
  if (operations.length === 0) throw invalidValue('"Operations" is empty');
  const max = options.maxOperations ?? SCIM_LIMITS.maxPatchOperations;
  if (operations.length > max) throw invalidValue(`at most ${max} operations per PATCH request`);
  return operations.map((raw, i): PatchOperation => {
    const n = i + 1;
    if (!isObject(raw)) throw invalidSyntax(`operation ${n} is not an object`);
    const op = getCI(raw, 'op');
    const name = typeof op === 'string' ? op.toLowerCase() : undefined;
    if (name !== 'add' && name !== 'remove' && name !== 'replace') {
      throw invalidSyntax(`operation ${n}: "op" must be add, remove or replace`);
    }
    const path = getCI(raw, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') throw invalidPath(`operation ${n}: "path" must be a string`);
    const value = getCI(raw, 'value');
    if (name === 'remove' && (path === undefined || path === null || path === '')) {
      throw noTarget(`operation ${n}: remove needs a "path"`);
    }
    if (name !== 'remove' && value === undefined) throw invalidValue(`operation ${n}: ${name} needs a "value"`);
    const out: { op: PatchOpName; path?: string; value?: unknown } = { op: name };
    if (typeof path === 'string' && path !== '') out.path = path;
    if (value !== undefined) out.value = value;
    return out;
  });
}

/** parsePatchRequest, then applyPatchOperations. */
export function applyPatch(resource: JsonObject, body: unknown, rt: ResourceTypeDef, options: PatchOptions = {}): PatchResult {
  return applyPatchOperations(resource, parsePatchRequest(body, options), rt, options);
}

/** Applies operations in order, all or nothing, to a copy of `resource`. Throws ScimError. */
export function applyPatchOperations(
  resource: JsonObject,
  operations: readonly PatchOperation[],
  rt: ResourceTypeDef,
  options: PatchOptions = {},
): PatchResult {
  // Two plain copies: one to change, one to compare with (whatever prototypes the input has).
  let original: JsonObject;
  let res: JsonObject;
  try {
    original = structuredClone(resource);
    res = structuredClone(resource);
  } catch {
    throw invalidValue('the resource is not a JSON object');
  }
  if (!isObject(res)) throw invalidValue('the resource is not a JSON object');
  const applier = new Applier(rt, options.ignoreUnknownAttributes ?? false);
  for (const op of operations) applier.operation(res, op);
  syncSchemas(original, res, rt);
  return { resource: res, changed: !isDeepStrictEqual(original, res) };
}

// ---------------------------------------------------------------- helpers

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

/** Writes `v` under `key`, or deletes the key when `v` is unassigned (null, [], {}). */
function setOrDelete(container: JsonObject, key: string, v: unknown): void {
  if (isEmpty(v)) delete container[key];
  else container[key] = v;
}

function existingArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v.slice() : [];
}

function checkMutability(def: AttributeDef, before: unknown, after: unknown, where: string): void {
  if (isDeepStrictEqual(before, after)) return;
  if (def.mutability === 'readOnly') throw mutability(`'${where}' is readOnly`);
  if (def.mutability === 'immutable' && before !== undefined) throw mutability(`'${where}' is immutable once set`);
}

/** Keys two values of a multi-valued attribute as "the same value": by `value`, else by content. */
function identity(def: AttributeDef, el: unknown): string {
  const valueDef = def.type === 'complex' ? findSubAttribute(def, 'value') : def;
  const raw = def.type === 'complex' ? (isObject(el) && valueDef ? getCI(el, 'value') : undefined) : el;
  if (valueDef && typeof raw === 'string') return `v:${valueDef.caseExact ? raw : foldCase(raw)}`;
  if (valueDef && raw !== undefined && raw !== null) return `v:${JSON.stringify(raw)}`;
  return `j:${JSON.stringify(el) ?? ''}`;
}

class Applier {
  constructor(
    private readonly rt: ResourceTypeDef,
    private readonly ignoreUnknown: boolean,
  ) {}

  operation(res: JsonObject, op: PatchOperation): void {
    if (op.path === undefined) {
      if (op.op === 'remove') throw noTarget('remove needs a "path"');
      this.valueObject(res, op.op, op.value, undefined);
      return;
    }
    this.atPath(res, op.op, parsePath(op.path), op.value);
  }

  /** add/replace with no path: every key of the value object is a path, relative to `schemaUri`. */
  private valueObject(res: JsonObject, op: 'add' | 'replace', value: unknown, schemaUri: string | undefined): void {
    if (!isObject(value)) throw invalidValue(`${op} without a "path" needs an object "value"`);
    for (const [key, v] of Object.entries(value)) {
      if (schemaUri === undefined) {
        if (key.toLowerCase() === 'schemas') continue; // roster keeps `schemas` in step with the extensions
        const ext = findExtension(this.rt, key);
        if (ext) {
          this.extensionObject(res, op, ext, v);
          continue;
        }
        if (key.toLowerCase() === this.rt.schema.id.toLowerCase()) {
          this.valueObject(res, op, v, this.rt.schema.id);
          continue;
        }
      }
      if (v === null && op === 'add') continue;
      this.atPath(res, op, parsePath(schemaUri === undefined ? key : `${schemaUri}:${key}`), v);
    }
  }

  private extensionObject(res: JsonObject, op: PatchOpName, ext: SchemaDef, value: unknown): void {
    if (op === 'remove' || (op === 'replace' && value === null)) {
      const key = findKey(res, ext.id);
      if (key !== undefined) delete res[key];
      return;
    }
    if (value === null) return;
    if (!isObject(value)) throw invalidValue(`'${ext.id}' takes an object`);
    this.valueObject(res, op, value, ext.id);
  }

  private atPath(res: JsonObject, op: PatchOpName, path: AttrPath, value: unknown): void {
    if (path.filter === undefined && path.sub === undefined) {
      const ext = findExtension(this.rt, path.uri !== undefined ? `${path.uri}:${path.attr}` : path.attr);
      if (ext) {
        this.extensionObject(res, op, ext, value);
        return;
      }
    }
    const top = findTopAttribute(this.rt, path.uri, path.attr);
    if (!top) {
      if (this.ignoreUnknown) return;
      throw invalidPath(`unknown attribute '${path.uri !== undefined ? `${path.uri}:` : ''}${path.attr}'`);
    }
    const attribute = top.attribute;
    if (path.filter !== undefined) {
      if (!(attribute.multiValued && attribute.type === 'complex')) {
        throw invalidPath(`'${attribute.name}' is not a multi-valued complex attribute and takes no value filter`);
      }
      checkValueFilter(path.filter, attribute, invalidPath);
    }
    let sub: AttributeDef | undefined;
    if (path.sub !== undefined) {
      if (attribute.type !== 'complex') throw invalidPath(`'${attribute.name}' has no sub-attributes`);
      sub = findSubAttribute(attribute, path.sub);
      if (!sub) {
        if (this.ignoreUnknown) return;
        throw invalidPath(`'${path.sub}' is not a sub-attribute of '${attribute.name}'`);
      }
    }

    let container: JsonObject = res;
    if (top.extension) {
      const extKey = findKey(res, top.schema.id);
      const existing = extKey === undefined ? undefined : res[extKey];
      if (isObject(existing)) container = existing;
      else if (op === 'remove') return;
      else {
        container = {};
        res[extKey ?? top.schema.id] = container;
      }
    }
    const key = findKey(container, attribute.name) ?? attribute.name;
    const guarded = attribute.mutability === 'readOnly' || attribute.mutability === 'immutable' || attribute.required;
    const before = guarded ? structuredClone(container[key]) : undefined;

    if (path.filter !== undefined) this.filtered(container, key, attribute, path.filter, sub, op, value);
    else if (sub && attribute.multiValued) this.everyElementSub(container, key, attribute, sub, op, value);
    else if (sub) this.sub(container, key, attribute, sub, op, value);
    else this.whole(container, key, attribute, op, value);

    if (guarded) {
      const after = container[key];
      checkMutability(attribute, before, after, attribute.name);
      if (attribute.required && isEmpty(after) && !isEmpty(before)) {
        throw mutability(`'${attribute.name}' is required and cannot be removed`);
      }
    }
  }

  // ---- coercion of client values to the schema's types

  private simple(def: AttributeDef, v: unknown, where: string): unknown {
    switch (def.type) {
      case 'string':
      case 'reference':
      case 'binary':
        if (typeof v === 'string') return v;
        break;
      case 'boolean': {
        const b = toBoolean(v);
        if (b !== undefined) return b;
        break;
      }
      case 'dateTime':
        if (parseDateTime(v) !== undefined) return v;
        break;
      case 'integer':
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        break;
      case 'decimal':
        if (typeof v === 'number' && Number.isFinite(v)) return v;
        break;
      case 'complex':
        return this.complex(def, v, where);
    }
    throw invalidValue(`'${where}' must be a ${def.type}`);
  }

  /** A complex value: known, writable sub-attributes in canonical casing; readOnly ones are ignored. */
  private complex(def: AttributeDef, v: unknown, where: string): JsonObject {
    if (!isObject(v)) {
      const valueDef = findSubAttribute(def, 'value');
      if (valueDef && v !== null && typeof v !== 'object') return { [valueDef.name]: this.simple(valueDef, v, `${where}.value`) };
      throw invalidValue(`'${where}' must be an object`);
    }
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const sub = findSubAttribute(def, k);
      if (!sub) {
        if (this.ignoreUnknown) continue;
        throw invalidValue(`'${k}' is not a sub-attribute of '${where}'`);
      }
      if (sub.mutability === 'readOnly' || x === null || x === undefined) continue;
      if (sub.type === 'complex') throw invalidValue(`'${where}.${sub.name}' is not supported`);
      out[sub.name] = this.simple(sub, x, `${where}.${sub.name}`);
    }
    return out;
  }

  /** The values given for a multi-valued attribute (one value or an array), assigned ones only. */
  private elements(def: AttributeDef, v: unknown): unknown[] {
    const list = Array.isArray(v) ? v : [v];
    return list
      .filter((x) => x !== null && x !== undefined)
      .map((x) => (def.type === 'complex' ? this.complex(def, x, def.name) : this.simple({ ...def, multiValued: false }, x, def.name)))
      .filter((x) => !isEmpty(x));
  }

  // ---- the operations

  /** `attr` (no filter, no sub-attribute). */
  private whole(container: JsonObject, key: string, def: AttributeDef, op: PatchOpName, value: unknown): void {
    const current = container[key];
    if (op === 'remove') {
      if (def.multiValued && value !== undefined && value !== null) {
        // Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes those members only.
        const gone = new Set(this.elements(def, value).map((el) => identity(def, el)));
        setOrDelete(
          container,
          key,
          existingArray(current).filter((el) => !gone.has(identity(def, el))),
        );
      } else {
        delete container[key];
      }
      return;
    }
    if (value === null) {
      if (op === 'replace') delete container[key];
      return;
    }
    if (def.multiValued) {
      const incoming = this.elements(def, value);
      const start = op === 'add' ? existingArray(current) : [];
      const { values, touched } = this.merge(def, start, incoming);
      enforceSinglePrimary(def, values, touched);
      setOrDelete(container, key, values);
      return;
    }
    if (def.type === 'complex') {
      const incoming = this.complex(def, value, def.name);
      // RFC 7644 §3.5.2.1/3: sub-attributes not given are left unchanged, for add and replace alike.
      setOrDelete(container, key, mergeComplex(def, isObject(current) ? current : {}, incoming));
      return;
    }
    container[key] = this.simple(def, value, def.name);
  }

  /** Adds values to a multi-valued attribute; a value already there (same `value`) is updated in place. */
  private merge(def: AttributeDef, start: unknown[], incoming: unknown[]): { values: unknown[]; touched: number[] } {
    const values = start;
    const index = new Map<string, number>();
    values.forEach((el, i) => {
      const id = identity(def, el);
      if (!index.has(id)) index.set(id, i);
    });
    const touched: number[] = [];
    for (const el of incoming) {
      const id = identity(def, el);
      const at = index.get(id);
      if (at === undefined) {
        values.push(el);
        index.set(id, values.length - 1);
        touched.push(values.length - 1);
      } else {
        const old = values[at];
        values[at] = isObject(old) && isObject(el) ? mergeComplex(def, old, el) : el;
        touched.push(at);
      }
    }
    return { values, touched };
  }

  /** `attr.sub` on a single-valued complex attribute (`name.givenName`, `manager.value`). */
  private sub(container: JsonObject, key: string, def: AttributeDef, sub: AttributeDef, op: PatchOpName, value: unknown): void {
    const current = container[key];
    const obj: JsonObject = isObject(current) ? { ...current } : {};
    const subKey = findKey(obj, sub.name) ?? sub.name;
    const before = obj[subKey];
    if (op === 'remove' || value === null) {
      if (op === 'add') return;
      delete obj[subKey];
    } else {
      obj[subKey] = this.simple(sub, value, `${def.name}.${sub.name}`);
    }
    checkMutability(sub, before, obj[subKey], `${def.name}.${sub.name}`);
    if (isObject(current) || !isEmpty(obj)) setOrDelete(container, key, obj);
  }

  /** `attr.sub` on a multi-valued attribute with no filter: every value's sub-attribute. */
  private everyElementSub(container: JsonObject, key: string, def: AttributeDef, sub: AttributeDef, op: PatchOpName, value: unknown): void {
    const values = existingArray(container[key]);
    if ((op === 'add' || op === 'replace') && value !== null) {
      const v = this.simple(sub, value, `${def.name}.${sub.name}`);
      if (values.length === 0) {
        container[key] = [{ [sub.name]: v }];
        return;
      }
      container[key] = values.map((el) => (isObject(el) ? setSub(el, sub, v, `${def.name}.${sub.name}`) : el));
      return;
    }
    if (op === 'add') return; // add null: nothing to add
    if (!Array.isArray(container[key])) return;
    setOrDelete(
      container,
      key,
      values.map((el) => (isObject(el) ? setSub(el, sub, undefined, `${def.name}.${sub.name}`) : el)).filter((el) => !isEmpty(el)),
    );
  }

  /** `attr[filter]` and `attr[filter].sub`. */
  private filtered(
    container: JsonObject,
    key: string,
    def: AttributeDef,
    filter: FilterNode,
    sub: AttributeDef | undefined,
    op: PatchOpName,
    value: unknown,
  ): void {
    const values = existingArray(container[key]);
    const matched = values.map((el) => matchesValueFilter(filter, el, def));
    const where = sub ? `${def.name}.${sub.name}` : def.name;

    if (op === 'remove' || (op === 'replace' && value === null)) {
      if (!matched.includes(true)) return; // removing what is not there changes nothing
      const kept = sub
        ? values.map((el, i) => (matched[i] && isObject(el) ? setSub(el, sub, undefined, where) : el)).filter((el) => !isEmpty(el))
        : values.filter((_, i) => !matched[i]);
      setOrDelete(container, key, kept);
      return;
    }
    if (value === null) return; // add null

    if (!matched.includes(true)) {
      const template = equalityTemplate(filter, def);
      if (!template) throw noTarget(`no value of '${def.name}' matches [${printFilter(filter)}]`);
      const element = sub ? { ...template, [sub.name]: this.simple(sub, value, where) } : mergeComplex(def, template, this.complex(def, value, where));
      const { values: out, touched } = this.merge(def, values, [element]);
      enforceSinglePrimary(def, out, touched);
      container[key] = out;
      return;
    }

    const touched: number[] = [];
    const incoming = sub ? this.simple(sub, value, where) : this.complex(def, value, where);
    const out = values.map((el, i) => {
      if (!matched[i] || !isObject(el)) return el;
      touched.push(i);
      if (sub) return setSub(el, sub, incoming, where);
      const next = incoming as JsonObject;
      if (op === 'add') return mergeComplex(def, el, next);
      // replace: the matched value becomes the given one; readOnly sub-attributes are kept and
      // immutable ones must not change.
      const replaced: JsonObject = { ...next };
      for (const s of def.subAttributes ?? []) {
        const old = getCI(el, s.name);
        if (s.mutability === 'readOnly') {
          if (old !== undefined) replaced[s.name] = old;
        } else {
          checkMutability(s, old, replaced[s.name], `${def.name}.${s.name}`);
        }
      }
      return replaced;
    });
    enforceSinglePrimary(def, out, touched);
    setOrDelete(
      container,
      key,
      out.filter((el) => !isEmpty(el)),
    );
  }
}

/** Sets (or with `v` undefined, removes) one sub-attribute of a complex value, honouring mutability. */
function setSub(el: JsonObject, sub: AttributeDef, v: unknown, where: string): JsonObject {
  const out = { ...el };
  const k = findKey(out, sub.name) ?? sub.name;
  checkMutability(sub, out[k], v, where);
  if (v === undefined) delete out[k];
  else out[k] = v;
  return out;
}

/** Merges sub-attributes into a complex value, keeping its key casing and honouring mutability. */
function mergeComplex(def: AttributeDef, base: JsonObject, incoming: JsonObject): JsonObject {
  let out = { ...base };
  for (const [k, v] of Object.entries(incoming)) {
    const sub = findSubAttribute(def, k);
    if (sub) out = setSub(out, sub, v, `${def.name}.${sub.name}`);
  }
  return out;
}

/** The value a filter such as `type eq "work" and primary eq true` describes, to create when none matches. */
function equalityTemplate(filter: FilterNode, def: AttributeDef): JsonObject | undefined {
  const out: JsonObject = {};
  const collect = (node: FilterNode): boolean => {
    if (node.kind === 'and') return node.filters.every(collect);
    if (node.kind !== 'compare' || node.op !== 'eq' || node.value === null) return false;
    const sub = findSubAttribute(def, node.path.attr);
    if (!sub || sub.mutability === 'readOnly') return false;
    const v = sub.type === 'boolean' ? toBoolean(node.value) : node.value;
    if (v === undefined) return false;
    out[sub.name] = v;
    return true;
  };
  return collect(filter) ? out : undefined;
}

/** RFC 7643 §2.4: at most one value has `primary: true`; the one just written wins. */
function enforceSinglePrimary(def: AttributeDef, values: unknown[], touched: readonly number[]): void {
  const primaryDef = def.type === 'complex' ? findSubAttribute(def, 'primary') : undefined;
  if (!primaryDef) return;
  const isPrimary = (el: unknown): boolean => isObject(el) && toBoolean(getCI(el, primaryDef.name)) === true;
  const primaries = values.map((el, i) => (isPrimary(el) ? i : -1)).filter((i) => i >= 0);
  if (primaries.length < 2) return;
  const winner = [...touched].reverse().find((i) => isPrimary(values[i])) ?? primaries[0];
  for (const i of primaries) {
    if (i === winner) continue;
    const el = values[i] as JsonObject;
    values[i] = { ...el, [findKey(el, primaryDef.name) ?? primaryDef.name]: false };
  }
}

/** Keeps `schemas` listing exactly the extensions the PATCH added or removed. */
function syncSchemas(before: JsonObject, after: JsonObject, rt: ResourceTypeDef): void {
  const schemasKey = findKey(after, 'schemas');
  let schemas: unknown = schemasKey === undefined ? undefined : after[schemasKey];
  for (const { schema } of rt.schemaExtensions) {
    const old = getCI(before, schema.id);
    const key = findKey(after, schema.id);
    if (key !== undefined && isEmpty(after[key]) && !isDeepStrictEqual(after[key], old)) delete after[key];
    const had = isObject(old) && !isEmpty(old);
    const has = isObject(getCI(after, schema.id)) && !isEmpty(getCI(after, schema.id));
    const lower = schema.id.toLowerCase();
    const listed = Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === lower);
    if (has && !had && !listed) {
      schemas = [...(Array.isArray(schemas) ? (schemas as unknown[]) : [rt.schema.id]), schema.id];
    } else if (!has && had && listed && Array.isArray(schemas)) {
      schemas = (schemas as unknown[]).filter((s) => !(typeof s === 'string' && s.toLowerCase() === lower));
    }
  }
  if (schemas !== undefined) after[schemasKey ?? 'schemas'] = schemas;
}
