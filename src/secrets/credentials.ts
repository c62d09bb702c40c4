// Credential formats in free text (AWS key ids, PEM private keys, JWTs, bearer tokens, GitHub/Slack tokens, …), found and masked.

import { forEachEncodedRun, GROUP_KIND, SECRETS } from "../detect/index.js";
import type { JsonValue } from "../json.js";

/** Where a credential is in a text: `text.slice(start, end)`; the finding never carries the value. */
export interface CredentialFinding {
  kind: string;
  start: number;
  end: number;
}

/** Texts longer than this are scanned up to it only, and the rest masked whole (bounded work per string). */
export const MAX_SCAN_CHARS = 1_000_000;

// Our own instance of DLP's pattern: a global RegExp carries lastIndex, which must not be shared.
const PATTERN = new RegExp(SECRETS.source, SECRETS.flags);
const PEM_END = /-----END (?:[A-Z]+ )?PRIVATE KEY-----/g;
/** The body of a PEM block whose END line is missing (cut off): base64, whitespace, escaped newlines. */
const PEM_BODY = /(?:[A-Za-z0-9+/=\s]|\\[nr])*/y;

/**
 * Every credential the DLP patterns know in `text`, in order, without overlaps: as written, or inside a
 * run of base64 or hex (the whole run is the finding). A private key covers its whole PEM block (to its
 * END line, or to the end of its base64 body when that is missing).
 *
 * @example
 * scanCredentials("key AKIAABCDEFGHIJKLMNOP here"); // [{ kind: "aws-access-key", start: 4, end: 24 }]
 */
export function scanCredentials(text: string): CredentialFinding[] {
  const scanned = text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text;
  return withEncoded(scanned, scanWritten(scanned));
}

/** The credentials written as they are in `scanned` (at most MAX_SCAN_CHARS long). */
function scanWritten(scanned: string): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  PATTERN.lastIndex = 0;
  let last = 0;
  for (let m = PATTERN.exec(scanned); m !== null; m = PATTERN.exec(scanned)) {
    if (m[0].length === 0) {
      PATTERN.lastIndex++;
      continue;
    }
    const group = Object.entries(m.groups ?? {}).find(([, v]) => v !== undefined)?.[0] ?? "credential";
    const kind = GROUP_KIND[group] ?? group;
    let end = m.index + m[0].length;
    if (kind === "private-key") end = pemEnd(scanned, end);
    if (m.index < last) continue;
    findings.push({ kind, start: m.index, end });
    last = end;
    PATTERN.lastIndex = Math.max(PATTERN.lastIndex, end);
  }
  PATTERN.lastIndex = 0;
  return findings;
}

function pemEnd(text: string, from: number): number {
  PEM_END.lastIndex = from;
  const end = PEM_END.exec(text);
  PEM_END.lastIndex = 0;
  if (end) return end.index + end[0].length;
  PEM_BODY.lastIndex = from;
  PEM_BODY.exec(text);
  return Math.max(from, PEM_BODY.lastIndex);
}

/**
 * `value` with every credential found by scanCredentials replaced by `[credential:KIND]`, in every
 * string and object key. A string longer than MAX_SCAN_CHARS is scanned up to it and the rest masked.
 *
 * @example
 * redactCredentials({ auth: "Bearer abcdefghijklmnopqrstuvwxyz" }); // { auth: "[credential:bearer-token]" }
 */
export function redactCredentials(text: string): string;
export function redactCredentials(value: JsonValue): JsonValue;
export function redactCredentials(value: JsonValue): JsonValue {
  return mapStrings(value, maskText);
}

function maskText(text: string): string {
  const findings = scanCredentials(text);
  let out = "";
  let at = 0;
  for (const f of findings) {
    out += `${text.slice(at, f.start)}[credential:${f.kind}]`;
    at = f.end;
  }
  if (text.length > MAX_SCAN_CHARS) return `${out}${text.slice(at, MAX_SCAN_CHARS)}[credential:unscanned]`;
  return findings.length === 0 ? text : out + text.slice(at);
}

/**
 * `findings` and, between them, each base64 or hex run of `scanned` whose decoded text holds a credential (a
 * Kubernetes secret's data, a Basic auth header, an encoded config): the whole run is masked, as the
 * kind found in it.
 */
function withEncoded(scanned: string, findings: CredentialFinding[]): CredentialFinding[] {
  const encoded: CredentialFinding[] = [];
  forEachEncodedRun(scanned, (run) => {
    const overlaps = (f: CredentialFinding) => f.start < run.end && run.start < f.end;
    if (findings.some(overlaps) || encoded.some(overlaps)) return true;
    const [inside] = scanWritten(run.decoded);
    if (inside) encoded.push({ kind: inside.kind, start: run.start, end: run.end });
    return true;
  });
  if (encoded.length === 0) return findings;
  return [...findings, ...encoded].sort((a, b) => a.start - b.start);
}

/**
 * A copy of `value` with `fn` applied to every string and object key, and to every number's JSON text
 * (a numeric PIN or account number is a secret too): a number `fn` changes becomes the string it returns.
 */
export function mapStrings(value: JsonValue, fn: (text: string) => string): JsonValue {
  if (typeof value === "string") return fn(value);
  if (typeof value === "number") {
    const text = JSON.stringify(value);
    const mapped = fn(text);
    return mapped === text ? value : mapped;
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(value)) {
    let key = fn(k);
    // Two keys masked alike must both survive; defineProperty, because "__proto__" is a key like any other.
    for (let n = 2; Object.hasOwn(out, key); n++) key = `${fn(k)}#${n}`;
    Object.defineProperty(out, key, {
      value: mapStrings(v, fn),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
