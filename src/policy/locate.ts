// Parses policy text as YAML (JSON is YAML) and maps document paths back to 1-based line:column.
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { PolicyIssue } from "../errors.js";

export type DocPath = readonly (string | number)[];

/** An issue before it is located: `atKey` points at the key of the last path step rather than its value. */
export interface RawIssue {
  path: DocPath;
  message: string;
  atKey?: boolean;
  /** A warning is reported but does not make the policy invalid. */
  severity?: "warning";
}

export interface ParsedText {
  /** The plain JS value, or undefined when the YAML itself is broken. */
  value: unknown;
  issues: PolicyIssue[];
  locate(issue: RawIssue): PolicyIssue;
}

export function parseText(text: string, source: string): ParsedText {
  const lineCounter = new LineCounter();
  // uniqueKeys (the default) makes a repeated key an error; prettyErrors off keeps messages one line.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(1, line), column: Math.max(1, col) };
  };
  const locate = (issue: RawIssue): PolicyIssue => ({
    file: source,
    ...at(offsetOf(doc, issue.path, issue.atKey === true)),
    path: [...issue.path],
    message: issue.message,
    ...(issue.severity === undefined ? {} : { severity: issue.severity }),
  });
  const issues = doc.errors.map((err) => ({
    file: source,
    ...at(err.pos[0]),
    path: [],
    message: err.message,
  }));
  if (issues.length > 0) return { value: undefined, issues, locate };
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); toJS throws when it is passed.
    return { value: doc.toJS({ maxAliasCount: 100 }), issues, locate };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { value: undefined, issues: [{ file: source, line: 1, column: 1, path: [], message }], locate };
  }
}

/** Source offset of the node at `path`, or of its deepest existing ancestor. */
function offsetOf(doc: Document, path: DocPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const step = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(step));
      if (pair === undefined) return offset;
      const keyStart = rangeStart(pair.key);
      if (last && atKey && keyStart !== undefined) return keyStart;
      // `when:` with no value has no value node; the key is the best place to point at.
      node = pair.value;
      offset = rangeStart(node) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof step === "number") {
      node = node.items[step];
      if (node === undefined) return offset;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
