// Loads and validates `.warden-scan.yaml` (excludes, registry, suppressions); errors carry file:line:column.

import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { ScanError } from "./errors.js";
import { RULES } from "./explain.js";
import { readText } from "./read-text.js";

const ruleIds = RULES.map((r) => r.id) as [string, ...string[]];

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD (quote it if YAML reads it as something else)")
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(s).toISOString().startsWith(s), {
    message: "not a real calendar date",
  });

const SuppressionSchema = z
  .strictObject({
    rule: z.enum(ruleIds, { error: (i) => `unknown rule id ${JSON.stringify(i.input)}` }),
    path: z.string().min(1).optional(),
    package: z.string().min(1).optional(),
    reason: z.string().trim().min(1, "a suppression needs a reason"),
    expires: isoDate,
  })
  .refine((s) => s.path !== undefined || s.package !== undefined, {
    message: "a suppression needs a `path` (glob) or a `package`",
  });

const ConfigSchema = z.strictObject({
  version: z.literal(1).optional(),
  registry: z.url().optional(),
  exclude: z.array(z.string().min(1)).default([]),
  suppressions: z.array(SuppressionSchema).default([]),
});

export type Suppression = z.infer<typeof SuppressionSchema> & { line: number };

export interface ScanConfig {
  file: string | undefined;
  registry: string | undefined;
  exclude: string[];
  suppressions: Suppression[];
}

export const EMPTY_CONFIG: ScanConfig = {
  file: undefined,
  registry: undefined,
  exclude: [],
  suppressions: [],
};

function nodeAt(root: Node | null, path: readonly PropertyKey[]): Node | null {
  let node = root;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      const next = pair?.value as Node | null | undefined;
      if (!next) return (pair?.key as Node | undefined) ?? node;
      node = next;
    } else if (isSeq(node) && typeof key === "number") {
      const next = node.items[key] as Node | undefined;
      if (!next) return node;
      node = next;
    } else return node;
  }
  return node;
}

/** Parses config text; `file` is the name used in messages. Throws ScanError("SCAN_CONFIG"). */
export function parseConfig(text: string, file: string): ScanConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = lines.linePos(yamlError.pos[0]);
    throw new ScanError(
      "SCAN_CONFIG",
      yamlError.message.split("\n")[0] ?? "YAML error",
      `${file}:${pos.line}:${pos.col}`,
    );
  }
  const where = (path: readonly PropertyKey[]): { line: number; col: number } => {
    const node = nodeAt(doc.contents, path);
    return lines.linePos(node?.range?.[0] ?? 0);
  };
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (e) {
    // e.g. an alias (*name) with no anchor: YAML parses it, but it has no value.
    throw new ScanError("SCAN_CONFIG", (e as Error).message, `${file}:1:1`);
  }
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const pos = where(issue.path);
    const at = issue.path.length > 0 ? ` (at ${issue.path.join(".")})` : "";
    throw new ScanError("SCAN_CONFIG", `${issue.message}${at}`, `${file}:${pos.line}:${pos.col}`);
  }
  const cfg = parsed.data;
  return {
    file,
    registry: cfg.registry,
    exclude: cfg.exclude,
    suppressions: cfg.suppressions.map((s, i) => ({ ...s, line: where(["suppressions", i]).line })),
  };
}

/** Reads the config file; a missing default file is an empty config, a missing explicit one an error. */
export async function loadConfig(path: string, rel: string, explicit: boolean): Promise<ScanConfig> {
  let text: string;
  try {
    text = await readText(path);
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_CONFIG;
    throw new ScanError("SCAN_CONFIG", `cannot read config: ${(e as Error).message}`, rel);
  }
  return parseConfig(text, rel);
}
