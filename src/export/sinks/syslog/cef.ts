// ArcSight Common Event Format (CEF:0) lines, escaped per the CEF specification.
import { createHash } from "node:crypto";
import type { JsonValue } from "../../../json.js";
import { type Severity, severityOf } from "../../severity.js";
import type { ExportEvent } from "../../types.js";

const VERSION = "0.1.0";

/** Header fields: backslash and pipe are escaped; a newline would end the event, so it becomes a space. */
export function cefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ");
}

/** Extension values: backslash and equals are escaped, newlines written as \n and \r. */
export function cefValue(value: string): string {
  return value
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r\n|\n/g, "\\n")
    .replace(/\r/g, "\\r");
}

/**
 * Longest value, in characters, the CEF extension dictionary allows for each string key Warden writes
 * (act and outcome 63, reason, cat, msg, suser, flexString1 and the labels 1023, flexString1Label 128,
 * cs1–cs6 4000); a longer value is cut there rather than left to the receiver. Header: Name 512.
 * externalId (40) is never cut: see cefExternalId.
 */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  flexString1: 1023,
  flexString1Label: 128,
  act: 63,
  outcome: 63,
  reason: 1023,
  cat: 1023,
  msg: 1023,
  suser: 1023,
  cs1: 4000,
  cs2: 4000,
  cs3: 4000,
  cs4: 4000,
  cs5: 4000,
  cs6: 4000,
};
const MAX_LABEL = 1023;
const MAX_NAME = 512;
const MAX_EXTERNAL_ID = 40;

/** The first `max` UTF-16 units of `value`, without splitting a surrogate pair. */
function cefTruncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const last = value.charCodeAt(max - 1);
  // A high surrogate there would be left without its pair.
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function limitOf(key: string): number | undefined {
  return MAX_LENGTH[key] ?? (key.endsWith("Label") ? MAX_LABEL : undefined);
}

/**
 * The event id as CEF's externalId, which holds at most 40 characters: the id itself when it fits
 * (`main:42`), else the first 40 hex digits of its SHA-256 (a chain name may have 128 characters). That
 * is the same on every retry, unique in practice (160 bits), and never equal to an id that fits, which
 * always has a ":". flexString1 (label eventId) carries the whole id either way.
 *
 * @example
 * cefExternalId("main:42"); // "main:42"
 * cefExternalId(`${"c".repeat(128)}:42`).length; // 40
 */
export function cefExternalId(id: string): string {
  if (id.length <= MAX_EXTERNAL_ID) return id;
  return createHash("sha256").update(id).digest("hex").slice(0, MAX_EXTERNAL_ID);
}

const CEF_SEVERITY: Record<Severity, number> = { info: 3, low: 3, medium: 5, high: 8, critical: 10 };

/** CEF severity 0–10 (3 low, 5 medium, 8 high, 10 very high), from the event's severity. */
export function cefSeverity(e: ExportEvent): number {
  return CEF_SEVERITY[severityOf(e)];
}

/**
 * `CEF:0|Warden|agent-warden|0.1.0|<kind>|<name>|<severity>|<extension>`. Custom string fields carry
 * their labels (cs1Label=session …) as the spec asks.
 */
export function toCef(e: ExportEvent): string {
  const decision = decisionOf(e);
  const tool = typeof e.data.tool === "string" ? e.data.tool : null;
  const name = tool ? `${e.type} ${tool}` : e.type;
  const ext: [string, string | number | null][] = [
    ["rt", Date.parse(e.ts)],
    ["externalId", cefExternalId(e.id)],
    ["flexString1Label", "eventId"],
    ["flexString1", e.id],
    ["act", decision ? String(decision.enforced ?? decision.effect ?? "") : null],
    ["reason", decision && typeof decision.reason === "string" ? decision.reason : null],
    ["outcome", typeof e.data.status === "string" ? e.data.status : null],
    // An alert says what it is and why: its type (detect:canary, export.dead_letter, …) and message.
    ["cat", e.type === "alert" && typeof e.data.type === "string" ? e.data.type : null],
    ["msg", e.type === "alert" && typeof e.data.message === "string" ? e.data.message : null],
    ["suser", userOf(e)],
    ["cs1Label", "session"],
    ["cs1", e.session],
    ["cs2Label", "agent"],
    ["cs2", e.agent],
    ["cs3Label", "tool"],
    ["cs3", tool],
    ["cs4Label", "callId"],
    ["cs4", e.callId],
    ["cs5Label", "chain"],
    ["cs5", e.chain],
    ["cs6Label", "hash"],
    ["cs6", e.hash],
    ["cn1Label", "seq"],
    ["cn1", e.seq],
  ];
  const extension = ext
    .filter(([k, v]) => v !== null && !(k.endsWith("Label") && valueAfter(ext, k) === null))
    .map(([k, v]) => {
      const limit = limitOf(k);
      const text = String(v);
      return `${k}=${cefValue(limit === undefined ? text : cefTruncate(text, limit))}`;
    })
    .join(" ");
  const header = [
    "Warden",
    "agent-warden",
    VERSION,
    e.type,
    cefTruncate(name, MAX_NAME),
    String(cefSeverity(e)),
  ].map(cefHeader);
  return `CEF:0|${header.join("|")}|${extension}`;
}

function valueAfter(ext: [string, string | number | null][], label: string): string | number | null {
  const key = label.slice(0, -"Label".length);
  return ext.find(([k]) => k === key)?.[1] ?? null;
}

function decisionOf(e: ExportEvent): { [k: string]: JsonValue } | null {
  const d = e.data.decision;
  return d !== null && typeof d === "object" && !Array.isArray(d) ? d : null;
}

function userOf(e: ExportEvent): string | null {
  if (typeof e.data.onBehalfOf === "string") return e.data.onBehalfOf;
  const principal = Array.isArray(e.data.principal) ? e.data.principal : [];
  for (const p of principal) {
    if (p && typeof p === "object" && !Array.isArray(p) && p.kind === "user" && typeof p.id === "string")
      return p.id;
  }
  return null;
}
