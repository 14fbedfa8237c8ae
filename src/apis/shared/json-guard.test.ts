import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nestedArrays, utf16 } from '../../../test/fixtures/arbitraries.js';
import { checkFreeForm, findDeepNesting, findJsonProblem, isExactNumber, jsonDepth, MAX_BODY_DEPTH } from './json-guard.js';

/** The obvious recursive depth, for values shallow enough to recurse on. */
function refDepth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(refDepth));
}

/** The value at `path` inside `root`. */
function at(root: unknown, path: Array<string | number>): unknown {
  let v = root;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}

/** JSON values, with ill-formed strings and keys, and non-finite and unsafe numbers mixed in. */
const hostileJson = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(utf16(8), fc.double(), fc.constantFrom(Infinity, -Infinity, 2 ** 64, 2 ** 53 + 2, 0.1, -0), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(utf16(4), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('the JSON guard, property-based (issue 9, point 12)', () => {
  it('measures depth as the recursive definition does, and never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (v) => {
        assert.equal(jsonDepth(v), refDepth(v));
        const stop = refDepth(v) - 1;
        if (stop >= 0) assert.ok(jsonDepth(v, stop) > stop, 'stopping early still says too deep');
      }),
      { numRuns: 1000 },
    );
  });
  it('reports too_deep exactly when a value nests past the limit, at a path that leads there', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), fc.integer({ min: 0, max: 10 }), (v, max) => {
        const problem = findJsonProblem(v, max);
        const tooDeep = refDepth(v) > max;
        assert.equal(problem?.kind === 'too_deep', tooDeep);
        if (problem) {
          const found = at(v, problem.path);
          assert.ok(found !== null && typeof found === 'object');
          assert.equal(problem.path.length, max, 'the first container past the limit');
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('finds every ill-formed string or key and every non-finite number, and nothing else, without throwing', () => {
    fc.assert(
      fc.property(hostileJson, (v) => {
        const problem = findJsonProblem(v, 64);
        const text = JSON.stringify(v);
        const bad = (x: unknown): boolean =>
          typeof x === 'string'
            ? !x.isWellFormed()
            : typeof x === 'number'
              ? !Number.isFinite(x)
              : x !== null && typeof x === 'object'
                ? (Array.isArray(x) ? x : Object.entries(x).flat()).some(bad)
                : false;
        assert.equal(problem !== undefined, bad(v), text);
        if (!problem) return;
        if (problem.kind === 'ill_formed_text') {
          const last = problem.path.at(-1);
          const parent = at(v, problem.path.slice(0, -1));
          const isKey = typeof last === 'string' && !last.isWellFormed() && parent !== null && typeof parent === 'object';
          assert.ok(isKey || !(at(v, problem.path) as string).isWellFormed());
        } else {
          assert.equal(problem.kind, 'inexact_number');
          assert.ok(!Number.isFinite(at(v, problem.path)));
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('takes any depth without overflowing the stack, and what it passes JSON.stringify can print', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), (levels) => {
        const v = nestedArrays(levels);
        assert.equal(jsonDepth(v, MAX_BODY_DEPTH), Math.min(levels, MAX_BODY_DEPTH + 1));
        const problem = findJsonProblem(v);
        assert.equal(problem?.kind === 'too_deep', levels > MAX_BODY_DEPTH);
        if (!problem) JSON.stringify(v);
      }),
      { numRuns: 50 },
    );
  });
  it('finds deep nesting from the text exactly where the parsed value is too deep, naming the same top-level member', () => {
    fc.assert(
      fc.property(hostileJson, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 3 }), (v, maxDepth, pad) => {
        const text = ' '.repeat(pad) + JSON.stringify(v);
        const found = findDeepNesting(text, maxDepth);
        assert.equal(found !== undefined, refDepth(v) > maxDepth, text);
        if (found === undefined || v === null || typeof v !== 'object') return;
        // The first top-level member (in text order) that takes the value past the limit.
        const members: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
        const first = members.find(([, x]) => 1 + refDepth(x) > maxDepth);
        assert.deepEqual(found, first === undefined ? [] : [first[0]], text);
      }),
      { numRuns: 3000 },
    );
    // Brackets and quotes inside strings are text, and malformed text is left to the parser.
    assert.equal(findDeepNesting(JSON.stringify({ a: '[[[[[[{{{{{{\\"' }), 2), undefined);
    assert.equal(findDeepNesting('{"a":[1,2', 2), undefined);
    assert.equal(findDeepNesting('{"a":"[[[[', 2), undefined);
    // A quote after an even run of backslashes closes the string.
    assert.deepEqual(findDeepNesting('{"a":"x\\\\","b":[[[1]]]}', 3), ['b']);
    assert.equal(findDeepNesting('{"a":"x\\"[[[[","b":1}', 3), undefined);
    assert.deepEqual(findDeepNesting('{"x":1,"k\\u0041":{"b":[[', 3), ['kA']);
    assert.deepEqual(findDeepNesting('[' + '1,'.repeat(5) + '[[[1]]]]', 3), [5]);
    assert.deepEqual(findDeepNesting('['.repeat(200_000), MAX_BODY_DEPTH), [0]);
  });
  it('bounds free-form fields by depth, exact numbers, then size', () => {
    const limits = { maxDepth: 4, maxBytes: 200 };
    fc.assert(
      fc.property(
        hostileJson.filter((v) => findJsonProblem(v, 64) === undefined),
        (v) => {
          const r = checkFreeForm(v, limits);
          const exact = (x: unknown): boolean =>
            typeof x === 'number' ? isExactNumber(x) : x !== null && typeof x === 'object' ? Object.values(x).every(exact) : true;
          if (refDepth(v) > limits.maxDepth) assert.equal(r, 'too_deep');
          else if (!exact(v)) assert.equal(r, 'inexact_number');
          else assert.equal(r === 'too_large', Buffer.byteLength(JSON.stringify(v) ?? '') > limits.maxBytes);
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('calls a number exact when it is finite and, if whole, safe', () => {
    fc.assert(
      fc.property(fc.double(), (n) => {
        assert.equal(isExactNumber(n), Number.isFinite(n) && (!Number.isInteger(n) || Math.abs(n) <= Number.MAX_SAFE_INTEGER));
      }),
    );
  });
});
