// YAML lockfiles (pnpm-lock.yaml, Yarn Berry's yarn.lock) read with `yaml`: documents, and map entries with their lines.

import { type Document, isMap, isScalar, LineCounter, parseAllDocuments } from "yaml";
import type { Position } from "../location.js";
import type { FileError } from "../types.js";

export interface YamlEntry {
  key: string;
  value: unknown;
  at: Position;
}

export interface YamlLockDocs {
  docs: Document.Parsed[];
  /** The entries of the top-level map `key` of a document, or of the document itself for null (none when not a map). */
  entries: (doc: Document.Parsed, key: string | null) => YamlEntry[];
  /** Where a top-level key of a document is, or line 1. */
  keyAt: (doc: Document.Parsed, key: string) => Position;
}

/**
 * Parses every YAML document of a lockfile, or returns the first syntax error with its position. Duplicate
 * keys are errors, and so are more aliases than a lockfile needs (none): `toJS` refuses an alias bomb.
 */
export function readYamlDocs(rel: string, text: string): YamlLockDocs | { error: FileError } {
  const lines = new LineCounter();
  const position = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const fail = (offset: number, message: string) => ({
    error: { file: rel, ...position(offset), kind: "parse" as const, message },
  });
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(parsed) || parsed.length === 0) return fail(0, "empty lockfile: no YAML document");
  for (const doc of parsed) {
    const problem = doc.errors[0];
    if (problem) return fail(problem.pos[0], problem.message);
  }
  const topMap = (doc: Document.Parsed, key: string | null) => {
    const node = key === null ? doc.contents : isMap(doc.contents) ? doc.contents.get(key, true) : undefined;
    return isMap(node) ? node : undefined;
  };
  return {
    docs: parsed,
    entries: (doc, key) => {
      const map = topMap(doc, key);
      if (!map) return [];
      return map.items.map((pair) => {
        const keyNode = pair.key;
        const value = pair.value as { toJS?: (doc: Document) => unknown } | null;
        return {
          key: isScalar(keyNode) ? String(keyNode.value) : String(keyNode),
          value: value?.toJS ? value.toJS(doc) : value,
          at: position(isScalar(keyNode) ? (keyNode.range?.[0] ?? 0) : 0),
        };
      });
    },
    keyAt: (doc, key) => {
      if (!isMap(doc.contents)) return { line: 1, column: 1 };
      const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
      return position(isScalar(pair?.key) ? (pair.key.range?.[0] ?? 0) : 0);
    },
  };
}
