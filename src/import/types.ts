/** Shapes shared by the import's reader, row checks and summary. */

/**
 * One reason a row of the file is not imported: the line it starts on, the field (the column or
 * JSON key) at fault or null when the row as a whole is (bad CSV, not JSON, invalid UTF-8), and a
 * message that reads after the field's name ("email" "is required"), or after "line N" when the
 * field is null ("line 9" "is not valid UTF-8").
 */
export interface RowError {
  line: number;
  field: string | null;
  message: string;
}

/** A record as the file gave it: CSV values are strings, JSON lines values any JSON value. */
export type RawRecord = Record<string, unknown>;

/** What the reader yields: a record, or the reason the line(s) starting at `line` are not one. */
export type ReadItem = { line: number; record: RawRecord; error?: never } | { line: number; error: RowError; record?: never };
