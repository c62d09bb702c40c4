// The records reference in docs/architecture.md, written from the schemas so the doc cannot drift from them.
import { z } from "zod";
import { RECORD_KINDS, RECORD_SCHEMAS_V1, RECORD_VERSION } from "./index.js";
import { principal } from "./parts.js";

type Schema = {
  title?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: unknown;
};

/** Where the generated lines sit in docs/architecture.md. */
export const REFERENCE_BEGIN =
  "<!-- records reference: generated from src/ledger/records (npm run docs:records) -->";
export const REFERENCE_END = "<!-- end of records reference -->";

/** Markdown lines, one per record kind, each field with its type; `?` marks a field a record may lack. */
export function recordsReference(): string {
  const lines = [`Record format version ${RECORD_VERSION}, \`data\` by \`kind\`:`, ""];
  for (const kind of RECORD_KINDS) {
    const schema = z.toJSONSchema(RECORD_SCHEMAS_V1[kind], { unrepresentable: "any", io: "input" }) as Schema;
    const variants = schema.oneOf ?? schema.anyOf ?? [schema];
    lines.push(`- \`${kind}\`: ${variants.map((v) => fields(v, true)).join(", or ")}`);
  }
  const p = z.toJSONSchema(principal, { unrepresentable: "any", io: "input" }) as Schema;
  lines.push(`- where Principal is ${render({ ...p, title: undefined })}`);
  return lines.join("\n");
}

function fields(s: Schema, top: boolean): string {
  const required = new Set(s.required ?? []);
  const parts = Object.entries(s.properties ?? {}).map(
    ([name, f]) => `${top ? `\`${name}\`` : name}${required.has(name) ? "" : "?"}: ${render(f)}`,
  );
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) parts.push("…");
  return `{${parts.join(", ")}}`;
}

function render(s: Schema): string {
  if (s.title) return s.title;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(" | ");
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map(render).join(" | ");
  if (Array.isArray(s.type)) return s.type.join(" | ");
  if (s.type === "array") {
    const item = s.items ? render(s.items) : "JSON";
    return item.includes(" ") && !item.startsWith("{") ? `(${item})[]` : `${item}[]`;
  }
  if (s.type === "object") return s.properties ? fields(s, false) : "object";
  return s.type ?? "JSON";
}
