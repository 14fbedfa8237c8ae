// SCIM /Bulk (RFC 7644 §3.7): up to SCIM_LIMITS.maxBulkOperations operations in one request, each run
// as its own request would (its own transaction, its own events); not atomic, as the RFC has it.
// - `bulkId`: a POST names what it creates; "bulkId:<id>" anywhere in a later operation's path or
//   data stands for the created resource's id. An operation that refers to one defined further on
//   waits for it; references that can never resolve (circular) answer 409; one to an undefined or
//   failed bulkId answers 400 invalidValue.
// - `failOnErrors`: stop after that many errors; what did not run is not in the answer.
// - `version`: the operation's If-Match.

import { invalidSyntax, invalidValue, payloadTooLarge, ScimError, scimErrorBody, type ScimErrorBody } from './errors.js';
import { SCIM_LIMITS } from './limits.js';
import { getCI, isObject, type JsonObject } from './schema.js';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type BulkEndpoint = 'Users' | 'Groups';

export interface BulkOperation {
  readonly index: number;
  readonly method: BulkMethod;
  readonly bulkId?: string;
  readonly version?: string;
  readonly path: string;
  readonly data?: unknown;
}

export interface BulkRequest {
  readonly failOnErrors?: number;
  readonly operations: readonly BulkOperation[];
}

/** What the operations run against (the services, bound to the caller's company). */
export interface BulkTarget {
  create(endpoint: BulkEndpoint, data: unknown): Promise<JsonObject>;
  replace(endpoint: BulkEndpoint, id: string, data: unknown, ifMatch: string | undefined): Promise<JsonObject>;
  patch(endpoint: BulkEndpoint, id: string, data: unknown, ifMatch: string | undefined): Promise<JsonObject>;
  delete(endpoint: BulkEndpoint, id: string, ifMatch: string | undefined): Promise<void>;
}

export interface BulkOperationResult {
  method: BulkMethod;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: ScimErrorBody;
}

export interface BulkResponse {
  schemas: [typeof BULK_RESPONSE_SCHEMA];
  Operations: BulkOperationResult[];
}

const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const BULK_REF = /^bulkId:(.+)$/;

export interface BulkLimits {
  readonly maxOperations: number;
}

/** Checks a BulkRequest body. Throws ScimError (413 past maxOperations). */
export function parseBulkRequest(body: unknown, limits: BulkLimits = { maxOperations: SCIM_LIMITS.maxBulkOperations }): BulkRequest {
  if (!isObject(body)) throw invalidSyntax('a Bulk body must be a JSON object');
  const schemas = getCI(body, 'schemas');
  if (schemas !== undefined) {
    const ok = Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase());
    if (!ok) throw invalidSyntax(`a Bulk body's schemas must be ["${BULK_REQUEST_SCHEMA}"]`);
  }
  const raw = getCI(body, 'Operations');
  if (!Array.isArray(raw)) throw invalidSyntax('a Bulk body needs an "Operations" array');
  if (raw.length === 0) throw invalidValue('"Operations" is empty');
  if (raw.length > limits.maxOperations) throw payloadTooLarge(`at most ${limits.maxOperations} operations per Bulk request`);
  const failRaw = getCI(body, 'failOnErrors');
  let failOnErrors: number | undefined;
  if (failRaw !== undefined && failRaw !== null) {
    if (typeof failRaw !== 'number' || !Number.isInteger(failRaw) || failRaw < 1) throw invalidValue('"failOnErrors" must be a whole number, 1 or more');
    failOnErrors = failRaw;
  }
  const seen = new Set<string>();
  const operations = raw.map((op, index): BulkOperation => {
    const n = index + 1;
    if (!isObject(op)) throw invalidSyntax(`operation ${n} is not an object`);
    const m = getCI(op, 'method');
    const method = typeof m === 'string' ? (m.toUpperCase() as BulkMethod) : undefined;
    if (!method || !METHODS.includes(method)) throw invalidSyntax(`operation ${n}: "method" must be POST, PUT, PATCH or DELETE`);
    const path = getCI(op, 'path');
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > 1000) throw invalidSyntax(`operation ${n}: "path" must be a path such as /Users`);
    const bulkId = getCI(op, 'bulkId');
    if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '' || bulkId.length > 200)) {
      throw invalidSyntax(`operation ${n}: "bulkId" must be a string of 1-200 characters`);
    }
    if (method === 'POST' && bulkId === undefined) throw invalidSyntax(`operation ${n}: a POST needs a "bulkId"`);
    if (typeof bulkId === 'string' && method === 'POST') {
      if (seen.has(bulkId)) throw invalidValue(`operation ${n}: bulkId ${JSON.stringify(bulkId)} is used twice`);
      seen.add(bulkId);
    }
    const version = getCI(op, 'version');
    if (version !== undefined && typeof version !== 'string') throw invalidSyntax(`operation ${n}: "version" must be a string`);
    const data = getCI(op, 'data');
    if (method !== 'DELETE' && data === undefined) throw invalidSyntax(`operation ${n}: ${method} needs "data"`);
    const out: { index: number; method: BulkMethod; bulkId?: string; version?: string; path: string; data?: unknown } = { index, method, path };
    if (typeof bulkId === 'string') out.bulkId = bulkId;
    if (typeof version === 'string') out.version = version;
    if (data !== undefined) out.data = data;
    return out;
  });
  return failOnErrors === undefined ? { operations } : { failOnErrors, operations };
}

/** The bulkIds an operation refers to (in its path or anywhere in its data). */
function references(op: BulkOperation): Set<string> {
  const refs = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 64) return;
    if (typeof v === 'string') {
      const m = BULK_REF.exec(v);
      if (m) refs.add(m[1] as string);
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
    } else if (isObject(v)) {
      for (const x of Object.values(v)) visit(x, depth + 1);
    }
  };
  for (const segment of op.path.split('/')) visit(decodeSegment(segment), 0);
  visit(op.data, 0);
  return refs;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The value with every "bulkId:<id>" string replaced by the id it stands for. */
function substitute(v: unknown, ids: ReadonlyMap<string, string>, depth = 0): unknown {
  if (depth > 64) return v;
  if (typeof v === 'string') {
    const m = BULK_REF.exec(v);
    return m ? (ids.get(m[1] as string) ?? v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, ids, depth + 1));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, ids, depth + 1)]));
  return v;
}

/** The endpoint and id a path names, a "bulkId:<id>" id replaced by the id it stands for. */
function parsePath(path: string, method: BulkMethod, ids: ReadonlyMap<string, string>): { endpoint: BulkEndpoint; id?: string } {
  const m = /^\/(Users|Groups)(?:\/([^/]+))?$/i.exec(path);
  if (!m) throw invalidValue(`"${path.slice(0, 100)}" is not /Users, /Groups or a resource under them`);
  const endpoint = (m[1] as string).toLowerCase() === 'users' ? 'Users' : 'Groups';
  const id = m[2] === undefined ? undefined : (substitute(decodeSegment(m[2]), ids) as string);
  if (method === 'POST' && id !== undefined) throw invalidValue('a POST goes to /Users or /Groups');
  if (method !== 'POST' && id === undefined) throw invalidValue(`a ${method} goes to /${endpoint}/{id}`);
  return id === undefined ? { endpoint } : { endpoint, id };
}

const metaOf = (r: JsonObject) => (isObject(r.meta) ? r.meta : {});

async function runOne(op: BulkOperation, ids: ReadonlyMap<string, string>, target: BulkTarget): Promise<{ result: BulkOperationResult; createdId?: string }> {
  const base: BulkOperationResult = { method: op.method, status: '' };
  if (op.bulkId !== undefined) base.bulkId = op.bulkId;
  try {
    const { endpoint, id } = parsePath(op.path, op.method, ids);
    const data = substitute(op.data, ids);
    let resource: JsonObject | undefined;
    switch (op.method) {
      case 'POST':
        resource = await target.create(endpoint, data);
        break;
      case 'PUT':
        resource = await target.replace(endpoint, id as string, data, op.version);
        break;
      case 'PATCH':
        resource = await target.patch(endpoint, id as string, data, op.version);
        break;
      case 'DELETE':
        await target.delete(endpoint, id as string, op.version);
        break;
    }
    if (!resource) return { result: { ...base, status: '204' } };
    const meta = metaOf(resource);
    const result: BulkOperationResult = { ...base, status: op.method === 'POST' ? '201' : '200' };
    if (typeof meta.location === 'string') result.location = meta.location;
    if (typeof meta.version === 'string') result.version = meta.version;
    return typeof resource.id === 'string' ? { result, createdId: resource.id } : { result };
  } catch (err) {
    if (!(err instanceof ScimError)) throw err;
    return { result: { ...base, status: String(err.status), response: scimErrorBody(err) } };
  }
}

function failure(op: BulkOperation, err: ScimError): BulkOperationResult {
  const out: BulkOperationResult = { method: op.method, status: String(err.status), response: scimErrorBody(err) };
  if (op.bulkId !== undefined) out.bulkId = op.bulkId;
  return out;
}

/** Runs the operations and answers the BulkResponse, in the request's order. */
export async function runBulk(request: BulkRequest, target: BulkTarget): Promise<BulkResponse> {
  const defined = new Set(request.operations.filter((o) => o.method === 'POST' && o.bulkId !== undefined).map((o) => o.bulkId as string));
  const created = new Map<string, string>();
  const failed = new Set<string>();
  const results = new Map<number, BulkOperationResult>();
  let errors = 0;
  let pending = [...request.operations];
  const limitReached = () => request.failOnErrors !== undefined && errors >= request.failOnErrors;
  const record = (op: BulkOperation, result: BulkOperationResult, createdId?: string) => {
    results.set(op.index, result);
    if (result.status.startsWith('2')) {
      if (op.method === 'POST' && op.bulkId !== undefined && createdId !== undefined) created.set(op.bulkId, createdId);
    } else {
      errors++;
      if (op.method === 'POST' && op.bulkId !== undefined) failed.add(op.bulkId);
    }
  };

  run: while (pending.length > 0) {
    const waiting: BulkOperation[] = [];
    let progressed = false;
    for (const op of pending) {
      if (limitReached()) break run;
      const refs = [...references(op)];
      const undefinedRef = refs.find((r) => !defined.has(r));
      const failedRef = refs.find((r) => failed.has(r));
      if (undefinedRef !== undefined) {
        record(op, failure(op, invalidValue(`bulkId ${JSON.stringify(undefinedRef.slice(0, 100))} is not defined by a POST of this request`)));
      } else if (failedRef !== undefined) {
        record(op, failure(op, invalidValue(`the operation with bulkId ${JSON.stringify(failedRef.slice(0, 100))} failed`)));
      } else if (refs.every((r) => created.has(r))) {
        const { result, createdId } = await runOne(op, created, target);
        record(op, result, createdId);
      } else {
        waiting.push(op);
        continue;
      }
      progressed = true;
    }
    if (!progressed) {
      // What still waits refers, in a circle, to what waits too.
      for (const op of waiting) {
        if (limitReached()) break run;
        record(op, failure(op, new ScimError(409, 'circular bulkId references cannot be resolved')));
      }
      break;
    }
    pending = waiting;
  }
  return {
    schemas: [BULK_RESPONSE_SCHEMA],
    Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, r]) => r),
  };
}
