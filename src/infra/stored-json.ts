/**
 * JSON documents kept in text columns (custom attributes, limits, feature flags). Read back with
 * their shape checked: a value that is not what it should be (a hand-edited row) reads as empty
 * rather than breaking every response that includes it.
 */
function parse(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function storedObject(text: string | null): Record<string, unknown> {
  const v = parse(text);
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function storedStrings(text: string | null): string[] {
  const v = parse(text);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
