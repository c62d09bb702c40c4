// TOML files of a Python project (pyproject.toml, Pipfile, uv.lock, poetry.lock) read with smol-toml.

import { parse as parseToml, TomlError } from "smol-toml";
import type { FileError } from "../types.js";

export type Table = Record<string, unknown>;

/** Parses TOML or returns a located parse error. */
export function readToml(
  rel: string,
  text: string,
): { ok: true; data: Table } | { ok: false; error: FileError } {
  try {
    return { ok: true, data: parseToml(text) as Table };
  } catch (e) {
    const line = e instanceof TomlError ? e.line : 1;
    const column = e instanceof TomlError ? e.column : 1;
    const message = (e as Error).message.split("\n")[0] ?? "invalid TOML";
    return { ok: false, error: { file: rel, line, column, kind: "parse", message } };
  }
}
