// Reading records back: a stored record's data is parsed against its kind's schema, never cast.
import { MalformedRecordError } from "../../errors.js";
import type { LedgerRecord } from "../types.js";
import { checkRecordData, type RecordKind, type TypedRecord } from "./index.js";

export type ParsedRecord<K extends RecordKind> =
  | { ok: true; record: TypedRecord<K> }
  | { ok: false; error: MalformedRecordError };

/**
 * `record` with its data checked against the schema of `kind` (and of its format version). Not ok: the
 * record is of another kind, or its data is malformed; the error names chain, seq and the bad field.
 *
 * @example
 * const read = parseRecord(record, "session.end");
 * const reason = read.ok ? read.record.data.reason : null;
 */
export function parseRecord<K extends RecordKind>(record: LedgerRecord, kind: K): ParsedRecord<K> {
  const where = { chain: record.chain, seq: record.seq, kind: record.kind };
  if (record.kind !== kind) {
    return {
      ok: false,
      error: new MalformedRecordError(where, { path: "", message: `not a ${kind} record` }),
    };
  }
  const checked = checkRecordData(record.v, kind, record.data);
  if (!checked.ok) return { ok: false, error: new MalformedRecordError(where, checked.problem) };
  // checkRecordData parsed it with the schema of `kind`, so the data has that kind's type.
  return { ok: true, record: { ...record, kind, data: checked.data } as TypedRecord<K> };
}

/** A checked record of any kind: narrowing on `kind` gives that kind's data. */
export type AnyTypedRecord = { [K in RecordKind]: TypedRecord<K> }[RecordKind];

/** `record` checked against the schema of its own kind; for readers that show records of every kind. */
export function parseAnyRecord(
  record: LedgerRecord,
): { ok: true; record: AnyTypedRecord } | { ok: false; error: MalformedRecordError } {
  // parseRecord checked the data against the schema of `record.kind`, which is what the union pairs it with.
  return parseRecord(record, record.kind) as
    | { ok: true; record: AnyTypedRecord }
    | { ok: false; error: MalformedRecordError };
}

/** As parseRecord, but throws the MalformedRecordError (code LEDGER_RECORD_MALFORMED). */
export function readRecord<K extends RecordKind>(record: LedgerRecord, kind: K): TypedRecord<K> {
  const read = parseRecord(record, kind);
  if (!read.ok) throw read.error;
  return read.record;
}
