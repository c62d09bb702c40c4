// Reads a project file as text the way editors do: a leading UTF-8 byte-order mark is not content.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** Windows tools write package.json and requirements.txt with a BOM; JSON.parse and TOML refuse it. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function readTextSync(path: string): string {
  return withoutBom(readFileSync(path, "utf8"));
}

export async function readText(path: string): Promise<string> {
  return withoutBom(await readFile(path, "utf8"));
}
