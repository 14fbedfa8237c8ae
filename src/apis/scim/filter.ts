// SCIM filters (RFC 7644 §3.4.2.2): a small recursive-descent parser into a typed AST, a printer,
// a checker against roster's schema and an evaluator over SCIM resource objects. The same parser
// reads PATCH paths (RFC 7644 §3.5.2: attrPath / valuePath [subAttr]).
//
// Every malformed or unsupported filter throws ScimError invalidFilter (paths: invalidPath); an
// unknown attribute is an error, never a silently empty result.

import { invalidFilter, invalidPath, ScimError } from './errors.js';
import { SCIM_LIMITS } from './limits.js';
import {
  findSubAttribute,
  findTopAttribute,
  getCI,
  GROUP_SCHEMA,
  isObject,
  USER_SCHEMA,
  type AttributeDef,
  type JsonObject,
  type ResourceTypeDef,
  type TopAttribute,
} from './schema.js';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

/**
 * An attribute path as written: `[uri:]attr[.sub]`, or a value path `[uri:]attr[filter][.sub]`.
 * Names keep the client's casing; resolution against the schema is case-insensitive.
 */
export interface AttrPath {
  readonly uri?: string;
  readonly attr: string;
  readonly filter?: FilterNode;
  readonly sub?: string;
}

export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly filters: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly filter: FilterNode }
  | { readonly kind: 'present'; readonly path: AttrPath }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly path: AttrPath; readonly value: Literal }
  /** `emails[type eq "work"]` on its own: true when some value matches. */
  | { readonly kind: 'valuePath'; readonly path: AttrPath & { readonly filter: FilterNode } };

const COMPARE_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const ATTR_NAME = /^\$?[A-Za-z][A-Za-z0-9_-]*$/;
const URN = /^urn(?::[A-Za-z0-9._-]+)+$/i;

// ---------------------------------------------------------------- tokenizer

type TokenKind = 'word' | 'string' | 'number' | '(' | ')' | '[' | ']' | 'eof';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly value?: string | number;
}

type Fail = (detail: string) => ScimError;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WORD = /[A-Za-z0-9_$.:-]+/y;

function isWordStart(c: string): boolean {
  return /[A-Za-z_$.]/.test(c);
}

function tokenize(text: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: c, text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      const end = scanString(text, i, fail);
      const raw = text.slice(i, end);
      // The scan admits only what JSON admits, so JSON.parse cannot fail here.
      tokens.push({ kind: 'string', text: raw, start: i, end, value: JSON.parse(raw) as string });
      i = end;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) throw fail(`invalid number at position ${i}`);
      const end = i + m[0].length;
      if (end < text.length && /[A-Za-z0-9_$.:-]/.test(text[end] as string)) {
        throw fail(`invalid number at position ${i}`);
      }
      const value = Number(m[0]);
      if (!Number.isFinite(value)) throw fail(`number out of range at position ${i}`);
      tokens.push({ kind: 'number', text: m[0], start: i, end, value });
      i = end;
      continue;
    }
    if (isWordStart(c)) {
      WORD.lastIndex = i;
      const m = WORD.exec(text) as RegExpExecArray; // at least the start character matches
      tokens.push({ kind: 'word', text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
      continue;
    }
    throw fail(`unexpected character ${JSON.stringify(c)} at position ${i}`);
  }
  tokens.push({ kind: 'eof', text: '', start: text.length, end: text.length });
  return tokens;
}

/** Returns the index just past the closing quote of the JSON string starting at `start`. */
function scanString(text: string, start: number, fail: Fail): number {
  let i = start + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) throw fail(`control character in string at position ${i}`);
    if (code === 0x5c) {
      const e = text[i + 1];
      if (e === undefined) break;
      if (e === 'u') {
        if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) throw fail(`invalid \\u escape at position ${i}`);
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(e)) throw fail(`invalid escape at position ${i}`);
      i += 2;
      continue;
    }
    i++;
  }
  throw fail(`unterminated string starting at position ${start}`);
}

// ---------------------------------------------------------------- parser

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly fail: Fail,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private expect(kind: TokenKind): Token {
    const t = this.next();
    if (t.kind !== kind) throw this.fail(`expected '${kind}' ${describe(t)}`);
    return t;
  }

  private enter(): void {
    if (++this.depth > SCIM_LIMITS.maxFilterDepth) {
      throw this.fail(`filter nested deeper than ${SCIM_LIMITS.maxFilterDepth} levels`);
    }
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === word;
  }

  end(): void {
    const t = this.peek();
    if (t.kind !== 'eof') throw this.fail(`unexpected ${describe(t)}`);
  }

  /** filter = orExp; `inValue` is true inside `[...]`, where paths are plain sub-attribute names. */
  filter(inValue: boolean): FilterNode {
    return this.logical('or', () => this.logical('and', () => this.unary(inValue)));
  }

  private logical(kind: 'and' | 'or', operand: () => FilterNode): FilterNode {
    const first = operand();
    if (!this.isKeyword(this.peek(), kind)) return first;
    const filters = [first];
    while (this.isKeyword(this.peek(), kind)) {
      this.next();
      filters.push(operand());
    }
    return { kind, filters };
  }

  private unary(inValue: boolean): FilterNode {
    const t = this.peek();
    if (t.kind === '(') {
      this.next();
      this.enter();
      const inner = this.filter(inValue);
      this.expect(')');
      this.depth--;
      return inner;
    }
    if (this.isKeyword(t, 'not') && this.peek(1).kind === '(') {
      this.next();
      this.next();
      this.enter();
      const inner = this.filter(inValue);
      this.expect(')');
      this.depth--;
      return { kind: 'not', filter: inner };
    }
    return this.attrExp(inValue);
  }

  private attrExp(inValue: boolean): FilterNode {
    const path = this.path(inValue);
    const opToken = this.peek();
    const op = opToken.kind === 'word' ? opToken.text.toLowerCase() : '';
    if (op === 'pr') {
      this.next();
      return { kind: 'present', path };
    }
    if (COMPARE_OPS.has(op)) {
      this.next();
      return { kind: 'compare', op: op as CompareOp, path, value: this.literal() };
    }
    if (path.filter !== undefined && path.sub === undefined) {
      return { kind: 'valuePath', path: path as AttrPath & { filter: FilterNode } };
    }
    throw this.fail(`expected an operator after '${printPath(path)}' ${describe(opToken)}`);
  }

  /** attrPath, or valuePath [subAttr]. */
  path(inValue: boolean): AttrPath {
    const t = this.next();
    if (t.kind !== 'word') throw this.fail(`expected an attribute name ${describe(t)}`);
    const base = splitAttrPath(t.text, this.fail);
    if (this.peek().kind !== '[' || this.peek().start !== t.end) {
      if (inValue && (base.uri !== undefined || base.sub !== undefined)) {
        throw this.fail(`'${t.text}' inside a value filter must be a sub-attribute name`);
      }
      return base;
    }
    if (inValue) throw this.fail('value filters cannot be nested');
    if (base.sub !== undefined) throw this.fail(`a value filter must follow an attribute, not '${t.text}'`);
    this.next(); // '['
    this.enter();
    const filter = this.filter(true);
    const close = this.expect(']');
    this.depth--;
    const after = this.peek();
    const path: { uri?: string; attr: string; filter: FilterNode; sub?: string } = { attr: base.attr, filter };
    if (base.uri !== undefined) path.uri = base.uri;
    if (after.kind === 'word' && after.start === close.end && after.text.startsWith('.')) {
      this.next();
      const sub = after.text.slice(1);
      if (!ATTR_NAME.test(sub)) throw this.fail(`invalid sub-attribute '${after.text}'`);
      path.sub = sub;
    }
    return path;
  }

  private literal(): Literal {
    const t = this.next();
    if (t.kind === 'string' || t.kind === 'number') return t.value as string | number;
    if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
    }
    throw this.fail(`expected a value (string, number, true, false or null) ${describe(t)}`);
  }
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'at the end' : `but found '${t.text.slice(0, 40)}' at position ${t.start}`;
}

function splitAttrPath(word: string, fail: Fail): { uri?: string; attr: string; sub?: string } {
  const colon = word.lastIndexOf(':');
  const rest = colon >= 0 ? word.slice(colon + 1) : word;
  const parts = rest.split('.');
  const [attr, sub, extra] = parts;
  if (attr === undefined || !ATTR_NAME.test(attr) || extra !== undefined || (sub !== undefined && !ATTR_NAME.test(sub))) {
    throw fail(`invalid attribute path '${word.slice(0, 200)}'`);
  }
  const out: { uri?: string; attr: string; sub?: string } = { attr };
  if (colon >= 0) {
    const uri = word.slice(0, colon);
    if (!URN.test(uri)) throw fail(`invalid schema URI in '${word.slice(0, 200)}'`);
    out.uri = uri;
  }
  if (sub !== undefined) out.sub = sub;
  return out;
}

function checkLength(text: unknown, what: string, fail: Fail): string {
  if (typeof text !== 'string') throw fail(`${what} must be a string`);
  if (text.length > SCIM_LIMITS.maxFilterLength) throw fail(`${what} longer than ${SCIM_LIMITS.maxFilterLength} characters`);
  if (text.trim() === '') throw fail(`${what} is empty`);
  return text;
}

/** Parses a filter (syntax only). Throws ScimError invalidFilter. */
export function parseFilter(text: unknown): FilterNode {
  const source = checkLength(text, 'filter', invalidFilter);
  const parser = new Parser(tokenize(source, invalidFilter), invalidFilter);
  const node = parser.filter(false);
  parser.end();
  return node;
}

/** Parses a PATCH path: `attrPath` or `valuePath [subAttr]`. Throws ScimError invalidPath. */
export function parsePath(text: unknown): AttrPath {
  const source = checkLength(text, 'path', invalidPath);
  const parser = new Parser(tokenize(source, invalidPath), invalidPath);
  const path = parser.path(false);
  parser.end();
  return path;
}

// ---------------------------------------------------------------- printer

function printLiteral(v: Literal): string {
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return JSON.stringify(v);
}

export function printPath(p: AttrPath): string {
  const uri = p.uri !== undefined ? `${p.uri}:` : '';
  const filter = p.filter !== undefined ? `[${printFilter(p.filter)}]` : '';
  const sub = p.sub !== undefined ? `.${p.sub}` : '';
  return `${uri}${p.attr}${filter}${sub}`;
}

/** Prints a filter that parseFilter reads back to the same AST. */
export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.filters.map((f) => (f.kind === 'and' || f.kind === 'or' ? `(${printFilter(f)})` : printFilter(f))).join(` ${node.kind} `);
    case 'not':
      return `not (${printFilter(node.filter)})`;
    case 'present':
      return `${printPath(node.path)} pr`;
    case 'compare':
      return `${printPath(node.path)} ${node.op} ${printLiteral(node.value)}`;
    case 'valuePath':
      return printPath(node.path);
  }
}

// ---------------------------------------------------------------- checking against the schema

/** Where paths resolve: the resource's attributes, or the sub-attributes of one multi-valued value. */
type Scope = { readonly kind: 'resource'; readonly rt: ResourceTypeDef } | { readonly kind: 'element'; readonly parent: AttributeDef };

interface Resolved {
  readonly top?: TopAttribute; // absent inside a value filter
  readonly attribute: AttributeDef; // the attribute the path names (top-level, or the element's sub-attribute)
  readonly sub?: AttributeDef;
}

function resolve(path: AttrPath, scope: Scope, fail: Fail): Resolved {
  if (scope.kind === 'element') {
    if (path.uri !== undefined || path.sub !== undefined || path.filter !== undefined) {
      throw fail(`'${printPath(path)}' inside a value filter must be a sub-attribute name`);
    }
    const attribute = findSubAttribute(scope.parent, path.attr);
    if (!attribute) throw fail(`'${path.attr}' is not a sub-attribute of '${scope.parent.name}'`);
    return { attribute };
  }
  const top = findTopAttribute(scope.rt, path.uri, path.attr);
  if (!top) throw fail(`unknown attribute '${printPath({ ...path, filter: undefined, sub: undefined })}'`);
  const attribute = top.attribute;
  if (path.filter !== undefined && !(attribute.multiValued && attribute.type === 'complex')) {
    throw fail(`'${attribute.name}' is not a multi-valued complex attribute and takes no value filter`);
  }
  if (path.sub === undefined) return { top, attribute };
  const sub = findSubAttribute(attribute, path.sub);
  if (!sub) throw fail(`'${path.sub}' is not a sub-attribute of '${attribute.name}'`);
  return { top, attribute, sub };
}

/** The definition whose values a comparison reads (the `value` sub-attribute for a bare complex). */
function comparedDef(r: Resolved): AttributeDef | undefined {
  if (r.sub) return r.sub;
  if (r.attribute.type !== 'complex') return r.attribute;
  return findSubAttribute(r.attribute, 'value');
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?$/i;

/** An xsd:dateTime as epoch milliseconds (no offset means UTC), or undefined. */
export function parseDateTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || !ISO_DATE_TIME.test(v)) return undefined;
  const withZone = /(?:Z|[+-]\d{2}:\d{2})$/i.test(v) ? v : `${v}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : undefined;
}

function checkNode(node: FilterNode, scope: Scope, fail: Fail): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      for (const f of node.filters) checkNode(f, scope, fail);
      return;
    case 'not':
      checkNode(node.filter, scope, fail);
      return;
    case 'valuePath': {
      const r = resolve(node.path, scope, fail);
      checkReadable(r, fail);
      checkNode(node.path.filter, { kind: 'element', parent: r.attribute }, fail);
      return;
    }
    case 'present': {
      const r = resolve(node.path, scope, fail);
      checkReadable(r, fail);
      if (node.path.filter) checkNode(node.path.filter, { kind: 'element', parent: r.attribute }, fail);
      return;
    }
    case 'compare': {
      const r = resolve(node.path, scope, fail);
      checkReadable(r, fail);
      if (node.path.filter) checkNode(node.path.filter, { kind: 'element', parent: r.attribute }, fail);
      const def = comparedDef(r);
      if (!def || def.type === 'complex') throw fail(`'${printPath(node.path)}' is complex: name a sub-attribute`);
      checkComparison(def, node.op, node.value, printPath(node.path), fail);
      return;
    }
  }
}

function checkReadable(r: Resolved, fail: Fail): void {
  for (const d of [r.attribute, r.sub]) {
    if (d && (d.returned === 'never' || d.mutability === 'writeOnly')) throw fail(`'${d.name}' cannot be filtered on`);
  }
}

function checkComparison(def: AttributeDef, op: CompareOp, value: Literal, where: string, fail: Fail): void {
  const ordering = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
  const substring = op === 'co' || op === 'sw' || op === 'ew';
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw fail(`'${op}' cannot compare '${where}' with null`);
    return;
  }
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') throw fail(`'${where}' is a string: compare it with a string`);
      if (def.type === 'binary' && (ordering || substring)) throw fail(`'${op}' is not supported on binary '${where}'`);
      return;
    case 'boolean':
      if (ordering || substring) throw fail(`'${op}' is not supported on boolean '${where}'`);
      if (toBoolean(value) === undefined) throw fail(`'${where}' is a boolean: compare it with true or false`);
      return;
    case 'dateTime':
      if (substring) throw fail(`'${op}' is not supported on dateTime '${where}'`);
      if (parseDateTime(value) === undefined) throw fail(`'${where}' is a dateTime: compare it with an ISO 8601 date-time string`);
      return;
    case 'integer':
    case 'decimal':
      if (substring) throw fail(`'${op}' is not supported on number '${where}'`);
      if (typeof value !== 'number' || (def.type === 'integer' && !Number.isInteger(value))) {
        throw fail(`'${where}' is a number: compare it with a number`);
      }
      return;
    case 'complex':
      throw fail(`'${where}' is complex: name a sub-attribute`);
  }
}

/** Booleans, and the strings "true"/"false" in any case (Microsoft Entra sends "True"/"False"). */
export function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return undefined;
}

/** Checks a parsed filter against a resource type. Throws ScimError invalidFilter. */
export function checkFilter(node: FilterNode, rt: ResourceTypeDef): void {
  checkNode(node, { kind: 'resource', rt }, invalidFilter);
}

/**
 * Checks a value filter (the `[...]` of a PATCH path) against the multi-valued attribute it selects
 * from, with the error code the caller names.
 */
export function checkValueFilter(node: FilterNode, parent: AttributeDef, fail: Fail): void {
  checkNode(node, { kind: 'element', parent }, fail);
}

// ---------------------------------------------------------------- evaluation

function toArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function isPresent(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.some(isPresent);
  if (isObject(v)) return Object.values(v).some(isPresent);
  return true;
}

/** The values an attribute path denotes in `target` (a resource, or one value of a multi-valued attribute). */
function valuesAt(target: JsonObject, path: AttrPath, r: Resolved): unknown[] {
  let container: unknown = target;
  if (r.top?.extension) container = getCI(target, r.top.schema.id);
  if (!isObject(container)) return [];
  const raw = getCI(container, r.attribute.name);
  let items = r.attribute.multiValued ? toArray(raw) : raw === undefined || raw === null ? [] : [raw];
  if (path.filter) {
    const filter = path.filter;
    const scope: Scope = { kind: 'element', parent: r.attribute };
    items = items.filter((el) => isObject(el) && evaluate(filter, el, scope));
  }
  if (r.sub) {
    const sub = r.sub;
    return items.flatMap((el) => (isObject(el) ? toArray(getCI(el, sub.name)) : []));
  }
  return items;
}

/**
 * How strings of attributes that are not caseExact compare: lower-cased and in Unicode NFC, so
 * "é" as one code point and as "e" plus a combining accent are the same (as stored keys are:
 * identity/email.ts, resources.ts userNameKey).
 */
export const foldCase = (s: string): string => s.toLowerCase().normalize('NFC');

function compareOne(def: AttributeDef, op: CompareOp, actual: unknown, expected: Exclude<Literal, null>): boolean {
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      const a = def.caseExact ? actual : foldCase(actual);
      const e = def.caseExact ? expected : foldCase(expected);
      return ordered(op, a, e) ?? (op === 'co' ? a.includes(e) : op === 'sw' ? a.startsWith(e) : a.endsWith(e));
    }
    case 'boolean': {
      const a = toBoolean(actual);
      const e = toBoolean(expected);
      return a !== undefined && a === e;
    }
    case 'dateTime': {
      const a = parseDateTime(actual);
      const e = parseDateTime(expected);
      if (a === undefined || e === undefined) return false;
      return ordered(op, a, e) ?? false;
    }
    case 'integer':
    case 'decimal':
      if (typeof actual !== 'number' || typeof expected !== 'number') return false;
      return ordered(op, actual, expected) ?? false;
    case 'complex':
      return false;
  }
}

function ordered<T extends string | number>(op: CompareOp, a: T, e: T): boolean | undefined {
  switch (op) {
    case 'eq':
      return a === e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return undefined;
  }
}

function evaluate(node: FilterNode, target: JsonObject, scope: Scope): boolean {
  switch (node.kind) {
    case 'and':
      return node.filters.every((f) => evaluate(f, target, scope));
    case 'or':
      return node.filters.some((f) => evaluate(f, target, scope));
    case 'not':
      return !evaluate(node.filter, target, scope);
    case 'valuePath':
    case 'present': {
      const r = resolve(node.path, scope, invalidFilter);
      return valuesAt(target, node.path, r).some(isPresent);
    }
    case 'compare': {
      const r = resolve(node.path, scope, invalidFilter);
      let values = valuesAt(target, node.path, r);
      if (!r.sub && r.attribute.type === 'complex') {
        values = values.flatMap((el) => (isObject(el) ? toArray(getCI(el, 'value')) : []));
      }
      const def = comparedDef(r);
      if (!def) return false;
      if (node.value === null) {
        const any = values.some(isPresent);
        return node.op === 'eq' ? !any : any;
      }
      const expected = node.value;
      // `ne` is the negation of `eq`: an absent attribute is "not equal" to anything.
      if (node.op === 'ne') return !values.some((v) => compareOne(def, 'eq', v, expected));
      return values.some((v) => compareOne(def, node.op, v, expected));
    }
  }
}

/** True when `target`, one value of the multi-valued attribute `parent`, matches a checked value filter. */
export function matchesValueFilter(node: FilterNode, target: unknown, parent: AttributeDef): boolean {
  return isObject(target) && evaluate(node, target, { kind: 'element', parent });
}

export interface CompiledFilter {
  readonly ast: FilterNode;
  /** True when the resource matches. Never throws. */
  matches(resource: unknown): boolean;
}

/** Parses and checks a filter for a resource type. Throws ScimError invalidFilter. */
export function compileFilter(text: unknown, rt: ResourceTypeDef): CompiledFilter {
  const ast = parseFilter(text);
  checkFilter(ast, rt);
  const scope: Scope = { kind: 'resource', rt };
  return { ast, matches: (resource) => isObject(resource) && evaluate(ast, resource, scope) };
}

// ---------------------------------------------------------------- index lookups

export type IndexableAttribute = 'id' | 'userName' | 'externalId' | 'displayName' | 'emails.value' | 'members.value';

export interface IndexableEquality {
  readonly attribute: IndexableAttribute;
  readonly value: string;
  /** False where the attribute compares case-insensitively (userName, emails.value, displayName). */
  readonly caseExact: boolean;
}

const TOP_INDEXED: Readonly<Record<string, { attribute: IndexableAttribute; caseExact: boolean }>> = {
  id: { attribute: 'id', caseExact: true },
  username: { attribute: 'userName', caseExact: false },
  externalid: { attribute: 'externalId', caseExact: true },
  displayname: { attribute: 'displayName', caseExact: false },
};
const VALUE_INDEXED: Readonly<Record<string, { attribute: IndexableAttribute; caseExact: boolean }>> = {
  emails: { attribute: 'emails.value', caseExact: false },
  members: { attribute: 'members.value', caseExact: true },
};

function coreUri(uri: string | undefined): boolean {
  if (uri === undefined) return true;
  const l = uri.toLowerCase();
  return l === USER_SCHEMA.toLowerCase() || l === GROUP_SCHEMA.toLowerCase();
}

/**
 * Recognises a filter that is one equality on an indexed attribute (`userName eq "x"`,
 * `emails.value eq "x"`, `emails[value eq "x"]`, ...), so a caller can answer it with an index
 * lookup instead of a scan. Returns undefined for anything else. The caller still checks that the
 * attribute belongs to the resource type it queries.
 */
export function indexableEquality(node: FilterNode): IndexableEquality | undefined {
  if (node.kind === 'compare') {
    if (node.op !== 'eq' || typeof node.value !== 'string' || !coreUri(node.path.uri) || node.path.filter) return undefined;
    const attr = node.path.attr.toLowerCase();
    if (node.path.sub === undefined) {
      const hit = TOP_INDEXED[attr];
      return hit && { ...hit, value: node.value };
    }
    const hit = VALUE_INDEXED[attr];
    return hit && node.path.sub.toLowerCase() === 'value' ? { ...hit, value: node.value } : undefined;
  }
  if (node.kind === 'valuePath') {
    const hit = VALUE_INDEXED[node.path.attr.toLowerCase()];
    const inner = node.path.filter;
    if (!hit || !coreUri(node.path.uri) || inner.kind !== 'compare') return undefined;
    if (inner.op !== 'eq' || typeof inner.value !== 'string') return undefined;
    if (inner.path.attr.toLowerCase() !== 'value' || inner.path.uri || inner.path.sub || inner.path.filter) return undefined;
    return { ...hit, value: inner.value };
  }
  return undefined;
}
