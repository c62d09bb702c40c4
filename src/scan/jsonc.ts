// JSON with comments and trailing commas (VS Code's mcp.json allows both), parsed without moving offsets.

import { parseDocument } from "yaml";
import { LineIndex } from "./location.js";
import type { FileError } from "./types.js";

/** Blanks out comments and trailing commas with spaces, so positions in the result match the input. */
export function stripJsonc(text: string): string {
  const out = text.split("");
  let i = 0;
  let lastSignificant = -1;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      lastSignificant = start;
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") out[i++] = " ";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) if (text[i] !== "\n") out[i] = " ";
    } else {
      if ((c === "}" || c === "]") && lastSignificant >= 0 && out[lastSignificant] === ",")
        out[lastSignificant] = " ";
      if (c !== undefined && !/\s/.test(c)) lastSignificant = i;
      i++;
    }
  }
  return out.join("");
}

export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text));
}

/** Parses JSON (or JSONC) and turns a syntax error into a located FileError. */
export function parseJsonLocated(
  rel: string,
  text: string,
  comments = false,
): { ok: true; value: unknown } | { ok: false; error: FileError } {
  try {
    return { ok: true, value: comments ? parseJsonc(text) : JSON.parse(text) };
  } catch (e) {
    const message = (e as Error).message;
    // V8 gives an offset for some errors only; YAML (a JSON superset) locates the rest.
    const stated = /position (\d+)/.exec(message)?.[1];
    const offset = stated
      ? Number(stated)
      : (parseDocument(comments ? stripJsonc(text) : text).errors[0]?.pos[0] ?? 0);
    return { ok: false, error: { file: rel, ...new LineIndex(text).at(offset), kind: "parse", message } };
  }
}
