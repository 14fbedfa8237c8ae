/** Timestamps are ISO 8601 UTC strings with milliseconds everywhere (they sort as text). */
export const nowIso = (): string => new Date().toISOString();
