// Takes handed-out secret values back out of what tools return: raw, JSON-escaped, URL-encoded, hex, base64,
// base32, reversed and spelled-out forms.
import { escapeRegExp } from "../config/index.js";
import { WardenError } from "../errors.js";
import type { JsonValue } from "../json.js";
import { mapStrings } from "./credentials.js";

/** Shorter values are refused: redacting every "abc" in every result would destroy it. */
export const MIN_SECRET_LENGTH = 4;
/** A base64 fragment shorter than this is too likely to occur by chance. */
const MIN_FRAGMENT = 8;
const NAME = /^[A-Za-z0-9_.:/@-]{1,128}$/;
/** Replacement passes before a string is masked whole (a value that re-forms around its own marker). */
const MAX_PASSES = 8;
/** Values this long are also found spelled out or reversed; shorter ones would match text by chance. */
const MIN_SPREAD = 8;
/** What a value may be spelled out with between its characters: spaces, line breaks, punctuation. */
const SPREAD_SEPARATORS = [..." \t\r\n-_.,:;|/\\'\"`+*"];

interface Registration {
  name: string;
  value: string;
}

interface Matcher {
  re: RegExp;
  /** Name by form (case-folded when the matcher ignores case). */
  names: Map<string, string>;
  values: Registration[];
  fold: (form: string) => string;
  /** Per value, a pattern of all its percent-encodings (see percentPattern). */
  percent: { name: string; re: RegExp }[];
  /** Per value of MIN_SPREAD characters or more, it spelled out or reversed (see spreadPattern). */
  spread: { name: string; re: RegExp }[];
}

/**
 * Remembers the secret values handed out per session and replaces every occurrence, in any string or
 * object key of a JSON value, with `[secret:NAME]`. Besides the raw value it finds its JSON-escaped
 * form (once and twice, and Go's `\u003c` escaping), its HTML escaping, its percent-encodings, hex,
 * base64 / base64url and base32, also as a fragment of a larger base64 or base32 text (a Basic auth
 * header, an encoded config) at any byte alignment, also when that text is broken into lines (masked
 * across the break), the value reversed, and (8 characters or more) spelled out with spaces, line
 * breaks or punctuation; each in any letter case unless asked otherwise.
 *
 * @example
 * const redactor = new SecretRedactor();
 * redactor.register("ses_1", "db", "s3cr3t-pa55");
 * redactor.redact({ rows: ["password=s3cr3t-pa55"] }); // { rows: ["password=[secret:db]"] }
 */
export class SecretRedactor {
  readonly #sessions = new Map<string, Registration[]>();
  readonly #matchers = new Map<string, Matcher | null>();

  /** Registers `value` (handed out as secret `name`) for `session`. */
  register(session: string, name: string, value: string): void {
    if (!NAME.test(name))
      throw new WardenError("INVALID_REQUEST", "a secret name must match [A-Za-z0-9_.:/@-]{1,128}");
    if (value.length < MIN_SECRET_LENGTH) {
      throw new WardenError(
        "INVALID_REQUEST",
        `secret ${name}: a value shorter than ${MIN_SECRET_LENGTH} characters cannot be redacted`,
        {
          secret: name,
        },
      );
    }
    const list = this.#sessions.get(session) ?? [];
    if (list.some((r) => r.value === value && r.name === name)) return;
    list.push({ name, value });
    this.#sessions.set(session, list);
    this.#matchers.clear();
  }

  /** Forgets the values of `session` (at its end). */
  forget(session: string): void {
    if (this.#sessions.delete(session)) this.#matchers.clear();
  }

  /** How many values are registered (for `session`, or in all). */
  size(session?: string): number {
    if (session !== undefined) return this.#sessions.get(session)?.length ?? 0;
    let n = 0;
    for (const list of this.#sessions.values()) n += list.length;
    return n;
  }

  /**
   * `value` with every registered value of `session` (of every session when omitted) replaced, in any
   * letter case: a tool printing a value upper-cased (a hex token) shows it whole, and a folded
   * password or base64 text leaves only a few case combinations to try.
   */
  redact(value: JsonValue, session?: string): JsonValue {
    const matcher = this.#matcher(session, true);
    return matcher === null ? value : mapStrings(value, (text) => redactText(text, matcher));
  }

  /** One string, as redact() treats each string (`ignoreCase: false`: the exact letter case only). */
  redactText(text: string, session?: string, options: { ignoreCase?: boolean } = {}): string {
    const matcher = this.#matcher(session, options.ignoreCase !== false);
    return matcher === null ? text : redactText(text, matcher);
  }

  #matcher(session: string | undefined, ignoreCase: boolean): Matcher | null {
    const key = `${ignoreCase ? "i" : ""}${session === undefined ? "\0all" : `s:${session}`}`;
    if (this.#matchers.has(key)) return this.#matchers.get(key) ?? null;
    const values =
      session === undefined ? [...this.#sessions.values()].flat() : (this.#sessions.get(session) ?? []);
    const matcher = values.length === 0 ? null : buildMatcher(values, ignoreCase);
    this.#matchers.set(key, matcher);
    return matcher;
  }
}

function buildMatcher(values: Registration[], ignoreCase: boolean): Matcher {
  const names = new Map<string, string>();
  const fold = (form: string) => (ignoreCase ? form.toLowerCase() : form);
  for (const { name, value } of values) {
    for (const form of formsOf(value)) if (!names.has(fold(form))) names.set(fold(form), name);
  }
  // Longest first, so a value wins over a shorter one it contains.
  const forms = [...names.keys()].sort((a, b) => b.length - a.length);
  const flags = ignoreCase ? "gi" : "g";
  const re = new RegExp(forms.map(escapeRegExp).join("|"), flags);
  const percent = values.map(({ name, value }) => ({ name, re: new RegExp(percentPattern(value), flags) }));
  // Longest first here too, and after the exact forms: a longer value is not cut by a shorter one's pattern.
  const spread = values
    .filter(({ value }) => [...value].length >= MIN_SPREAD)
    .sort((a, b) => b.value.length - a.value.length)
    .map(({ name, value }) => ({ name, re: new RegExp(spreadPattern(value), flags) }));
  return { re, names, values, fold, percent, spread };
}

/** A run of base64 / base64url / base32 / hex characters broken into lines (MIME, PEM, `base64` output). */
const WRAPPED_RUN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]+(?:\r?\n[A-Za-z0-9+/=_-]+)+/g;

function redactText(text: string, matcher: Matcher): string {
  let out = text.includes("\n") ? unwrapped(text, matcher) : text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const before = out;
    // Percent-encoded, however the encoder chose what to escape (only texts that can hold an escape).
    if (out.includes("%") || out.includes("+")) {
      for (const { name, re } of matcher.percent) out = out.replace(re, `[secret:${name}]`);
    }
    matcher.re.lastIndex = 0;
    out = out.replace(matcher.re, (form) => `[secret:${matcher.names.get(matcher.fold(form)) ?? "?"}]`);
    for (const { name, re } of matcher.spread) out = out.replace(re, `[secret:${name}]`);
    if (out === before) return out;
  }
  // Still changing after MAX_PASSES: the value keeps re-forming around its markers; hide the whole string.
  const found = (re: RegExp) => {
    re.lastIndex = 0;
    return re.test(out);
  };
  const left = found(matcher.re) || matcher.spread.some(({ re }) => found(re));
  return left ? `[secret:${matcher.values.map((v) => v.name).join(",")}]` : out;
}

/**
 * `text` with each encoded value a line wrap cut in two (found in a wrapped run once its breaks are taken
 * out) replaced, across the break, by that value's marker. A value whole on one line is left to the
 * passes after this one, which mask it where it stands and leave the lines around it as they are.
 */
function unwrapped(text: string, matcher: Matcher): string {
  return text.replace(WRAPPED_RUN, (run) => {
    // Where each character of the joined text stands in the run.
    const at: number[] = [];
    for (let i = 0; i < run.length; i++) if (run[i] !== "\r" && run[i] !== "\n") at.push(i);
    const joined = at.map((i) => run[i]).join("");
    let out = "";
    let last = 0;
    matcher.re.lastIndex = 0;
    for (let m = matcher.re.exec(joined); m !== null; m = matcher.re.exec(joined)) {
      const start = at[m.index]!;
      const end = at[m.index + m[0].length - 1]! + 1;
      if (!/[\r\n]/.test(run.slice(start, end))) continue;
      out += `${run.slice(last, start)}[secret:${matcher.names.get(matcher.fold(m[0])) ?? "?"}]`;
      last = end;
    }
    matcher.re.lastIndex = 0;
    return last === 0 ? run : out + run.slice(last);
  });
}

/** HTML's escapes of the characters it escapes in text and attributes. */
const HTML_ENTITIES: Record<string, string> = {
  "<": "&lt;",
  ">": "&gt;",
  "&": "&amp;",
  '"': "&quot;",
  "'": "&#39;",
};

/** The encodings of `value` that a tool's output may carry. */
export function formsOf(value: string): Set<string> {
  const forms = new Set<string>([value]);
  const once = JSON.stringify(value).slice(1, -1);
  forms.add(once);
  forms.add(JSON.stringify(once).slice(1, -1));
  // Go's encoding/json writes <, > and & as \u003c, \u003e, \u0026; HTML writes them as entities.
  forms.add(once.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`));
  forms.add(value.replace(/[<>&"']/g, (c) => HTML_ENTITIES[c] ?? c));
  try {
    forms.add(encodeURIComponent(value));
  } catch {}
  const bytes = Buffer.from(value, "utf8");
  forms.add(bytes.toString("hex"));
  forms.add(bytes.toString("hex").toUpperCase());
  for (const b64 of [
    bytes.toString("base64"),
    bytes.toString("base64").replace(/=+$/, ""),
    bytes.toString("base64url"),
  ]) {
    if (b64.length >= MIN_SECRET_LENGTH) forms.add(b64);
  }
  // Inside a longer base64 text the value starts at byte offset 0, 1 or 2 of a 3-byte group: keep the
  // characters that depend on the value's bytes alone.
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString("base64");
    const core = enc.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (core.length >= MIN_FRAGMENT) {
      forms.add(core);
      forms.add(core.replaceAll("+", "-").replaceAll("/", "_"));
    }
  }
  if (value.length >= MIN_SECRET_LENGTH) forms.add([...value].reverse().join(""));
  const b32 = base32(bytes);
  for (const form of [b32, b32.replace(/=+$/, "")]) {
    forms.add(form);
    forms.add(form.toLowerCase());
  }
  // Inside a longer base32 text the value starts at byte offset 0–4 of a 5-byte group (as for base64).
  for (let k = 0; k < 5; k++) {
    const enc = base32(Buffer.concat([Buffer.alloc(k), bytes]));
    const core = enc.slice(Math.ceil((8 * k) / 5), Math.floor((8 * (k + bytes.length)) / 5));
    if (core.length >= MIN_FRAGMENT) {
      forms.add(core);
      forms.add(core.toLowerCase());
    }
  }
  forms.delete("");
  return forms;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, padded. */
function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let buffer = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

/**
 * `value` spelled out (up to three spaces, line breaks or punctuation marks between its characters), and
 * reversed, spelled out or not. A separator the value holds itself is left out, so the pattern has one
 * way to match a text and its time stays linear.
 */
function spreadPattern(value: string): string {
  const own = new Set(value);
  const separators = SPREAD_SEPARATORS.filter((c) => !own.has(c));
  const gap = separators.length === 0 ? "" : `[${separators.map(escapeClass).join("")}]{0,3}`;
  const chars = [...value];
  const spelled = (list: string[]) => list.map(escapeRegExp).join(gap);
  return `${spelled(chars)}|${spelled(chars.toReversed())}`;
}

function escapeClass(c: string): string {
  return /[\\\]^-]/.test(c) ? `\\${c}` : c;
}

/**
 * Every percent-encoding of `value`: encoders disagree on which characters to escape (JavaScript's
 * encodeURIComponent, Python's quote leaving `/`, form encoding with `+` for a space) and on the case
 * of the hex digits, so each character may appear as itself or as its UTF-8 bytes in `%XX`.
 */
function percentPattern(value: string): string {
  let out = "";
  for (const ch of value) {
    const escaped = [...Buffer.from(ch, "utf8")]
      .map((b) => {
        const [hi, lo] = b.toString(16).toUpperCase().padStart(2, "0");
        return `%[${hi}${hi!.toLowerCase()}][${lo}${lo!.toLowerCase()}]`;
      })
      .join("");
    out += ch === " " ? `(?: |\\+|${escaped})` : `(?:${escapeRegExp(ch)}|${escaped})`;
  }
  return out;
}
