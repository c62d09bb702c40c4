// Loads tree-sitter's Python grammar (WASM, no native build) once, on first use.

import { createRequire } from "node:module";
import { Language, type Node, Parser } from "web-tree-sitter";

export type { Node as PyNode };

let ready: Promise<Parser> | undefined;

/** A shared parser for Python; WASM initialisation happens once per process. */
export function pythonParser(): Promise<Parser> {
  ready ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return ready;
}

/** The first ERROR or MISSING node under `node`, for locating a syntax error. */
export function firstError(node: Node): Node {
  for (const child of node.children) {
    if (!child) continue;
    if (child.type === "ERROR" || child.isMissing) return child;
    if (child.hasError) return firstError(child);
  }
  return node;
}
