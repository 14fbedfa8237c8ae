/**
 * Checks on parsed JSON that every API shares. Pure functions that never throw and never recurse
 * (a body a thousand levels deep is walked with an explicit stack), so no input can overflow the
 * call stack here or later, in JSON.stringify.
 */

/** How deep a request body may nest (the body itself is level 1). No documented body needs more than 4. */
export const MAX_BODY_DEPTH = 32;

export type JsonProblemKind = 'too_deep' | 'ill_formed_text' | 'inexact_number';

/**
 * A number JSON carried that roster can keep exactly: finite (JSON.parse reads 1e309 as Infinity,
 * which JSON.stringify writes as null) and, when whole, a safe integer (18446744073709551616 would
 * be kept as 18446744073709552000). Every body must have finite numbers; where a number is kept as
 * sent (free-form JSON, an id stored as text), it must be exact.
 */
export const isExactNumber = (n: number): boolean => Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n));

/** The first number in a parsed JSON value that is not exact (see isExactNumber), as a path; undefined when none. */
export function findInexactNumber(value: unknown): Array<string | number> | undefined {
  const problem = findJsonProblem(value, Number.MAX_SAFE_INTEGER, isExactNumber);
  return problem?.kind === 'inexact_number' ? problem.path : undefined;
}

export interface JsonProblem {
  kind: JsonProblemKind;
  /** Keys and indexes from the top of the value to where the problem is. */
  path: Array<string | number>;
}

interface Frame {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Frame | undefined;
}

function pathOf(frame: Frame): Array<string | number> {
  const path: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f && f.key !== undefined; f = f.parent) path.push(f.key);
  return path.reverse();
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/**
 * The first problem found in a parsed JSON value (depth first), or undefined: an object or array
 * nested deeper than `maxDepth` levels (the value itself, when it is one, is level 1), or a string
 * or key that is not well-formed Unicode (a lone surrogate, which JSON's \ud800 escapes can carry:
 * SQLite would store it as invalid UTF-8, PostgreSQL as U+FFFD, so two texts would become one),
 * or a number that `numberOk` refuses (by default one that is not finite; isExactNumber is stricter).
 */
export function findJsonProblem(value: unknown, maxDepth = MAX_BODY_DEPTH, numberOk: (n: number) => boolean = Number.isFinite): JsonProblem | undefined {
  const stack: Frame[] = [{ value, depth: isContainer(value) ? 1 : 0, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return { kind: 'ill_formed_text', path: pathOf(frame) };
      continue;
    }
    if (typeof v === 'number') {
      if (!numberOk(v)) return { kind: 'inexact_number', path: pathOf(frame) };
      continue;
    }
    if (!isContainer(v)) continue;
    if (frame.depth > maxDepth) return { kind: 'too_deep', path: pathOf(frame) };
    const depth = frame.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i] as unknown, depth, key: i, parent: frame });
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!key.isWellFormed()) return { kind: 'ill_formed_text', path: [...pathOf(frame), key] };
        stack.push({ value: (v as Record<string, unknown>)[key], depth, key, parent: frame });
      }
    }
  }
  return undefined;
}

/**
 * How many levels of objects and arrays `value` nests (0 for a scalar, 1 for a flat object),
 * counting no further than `stopAbove + 1`: enough to tell that it is too deep.
 */
export function jsonDepth(value: unknown, stopAbove = Number.MAX_SAFE_INTEGER): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (!isContainer(v)) continue;
    if (depth > max) max = depth;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? (v as unknown[]) : Object.values(v)) {
      if (isContainer(child)) stack.push([child, depth + 1]);
    }
  }
  return max;
}

export interface FreeFormLimits {
  /** Levels of objects and arrays, the field's own object included. */
  maxDepth: number;
  /** Bytes of the field serialized as JSON (UTF-8). */
  maxBytes: number;
}

/**
 * A free-form JSON field (custom attributes and the like), stored as sent, within its limits:
 * 'too_deep', 'inexact_number' (kept as sent, so exact: see isExactNumber), 'too_large', or
 * undefined when it fits.
 */
export function checkFreeForm(value: unknown, limits: FreeFormLimits): 'too_deep' | 'too_large' | 'inexact_number' | undefined {
  if (jsonDepth(value, limits.maxDepth) > limits.maxDepth) return 'too_deep';
  if (findInexactNumber(value)) return 'inexact_number';
  // Safe now: the depth is bounded, so JSON.stringify cannot run out of stack.
  const text = JSON.stringify(value) ?? '';
  // A cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (text.length * 3 <= limits.maxBytes) return undefined;
  return Buffer.byteLength(text, 'utf8') > limits.maxBytes ? 'too_large' : undefined;
}

/**
 * Bodies at least this long are scanned for depth before they are parsed: a shorter one cannot
 * nest deep enough to cost anything, and the walk after parsing still checks it.
 */
export const PRESCAN_MIN_LENGTH = 1024;

/**
 * Where JSON text nests deeper than `maxDepth` levels, read from the text before it is parsed: the
 * path of the top-level member (key or index) that holds the deep part ([] when the top level
 * itself is too deep), or undefined when it is not too deep. One pass over the characters, no
 * recursion and no allocation per level, so a 1 MiB body of brackets is refused without building
 * the million nested values JSON.parse would (about 30 MB of heap). The text need not be valid
 * JSON: malformed text that is not too deep is left for the parser to refuse.
 */
export function findDeepNesting(text: string, maxDepth = MAX_BODY_DEPTH): Array<string | number> | undefined {
  let depth = 0;
  let topIsArray = false;
  let index = 0;
  let lastString = '';
  let key: string | undefined;
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case 0x22: {
        // A string: jump to its closing quote (one not escaped by an odd run of backslashes).
        const start = i + 1;
        let end = text.indexOf('"', start);
        while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
        if (end < 0) return undefined; // unterminated: the parser refuses it
        if (depth === 1 && !topIsArray) lastString = text.slice(start, end);
        i = end;
        break;
      }
      case 0x7b: // {
      case 0x5b: // [
        depth++;
        if (depth === 1) topIsArray = text.charCodeAt(i) === 0x5b;
        if (depth > maxDepth) {
          if (depth === 1) return [];
          return topIsArray ? [index] : key === undefined ? [] : [decodeKey(key)];
        }
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        break;
      case 0x3a: // :
        if (depth === 1 && !topIsArray) key = lastString;
        break;
      case 0x2c: // ,
        if (depth === 1 && topIsArray) index++;
        break;
    }
  }
  return undefined;
}

/** True when the character at `at` follows an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && text.charCodeAt(j) === 0x5c; j--) n++;
  return n % 2 === 1;
}

/** A key's raw text (between its quotes) as JSON reads it; the raw text when its escapes are not valid. */
function decodeKey(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
