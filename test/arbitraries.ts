/** fast-check arbitraries shared by the property tests (issue 9, point 12). */
import fc from 'fast-check';

/** Any UTF-16 text, lone surrogates included (what JSON's \u escapes can carry). */
export const utf16 = (maxLength = 40) => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });

/** Text of every kind: ASCII, any code point, raw UTF-16 units, and a few hostile shapes. */
export const anyText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    utf16(maxLength),
    fc.constantFrom('', ' ', '\u0000', ':', '@', '\ud800', 'Basic ', 'Bearer ', 'null', '__proto__', 'constructor', '%', '%ZZ', '[]'),
  );

/** A JSON value `levels` arrays deep (built without recursion). */
export function nestedArrays(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}
