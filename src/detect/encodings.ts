import { foldCase } from "./value-matcher.js";

// The forms a tracked value takes on its way out: the patterns to look for, and the decoded views of a text.

/** Base64 alphabets: standard and URL-safe (RFC 4648 §4 and §5). */
const URL_SAFE = { "+": "-", "/": "_" } as const;

/**
 * The case-folded patterns that reveal `value`: itself, its hex, and its base64 and base64url at each of
 * the three byte alignments it can have inside a longer encoded text (only the characters that depend
 * on the value alone, so a match does not depend on what surrounds it). Patterns shorter than
 * `minLength` are left out. URL-encoding and JSON escaping are undone on the text instead
 * (`forEachDecodedView`), since encoders disagree on which characters to escape.
 */
export function encodedForms(value: string, minLength: number): { form: string; pattern: string }[] {
  const bytes = Buffer.from(value, "utf8");
  const out: { form: string; pattern: string }[] = [{ form: "plain", pattern: foldCase(value) }];
  out.push({ form: "hex", pattern: bytes.toString("hex") });
  for (let align = 0; align < 3; align++) {
    const padded = Buffer.concat([Buffer.alloc(align), bytes]);
    const encoded = padded.toString("base64").replace(/=+$/, "");
    // Leading characters that mix in the `align` unknown bytes, and a trailing one holding partial bits.
    const skip = [0, 2, 3][align]!;
    const end = padded.length % 3 === 0 ? encoded.length : encoded.length - 1;
    const core = encoded.slice(skip, end);
    if (core.length < minLength) continue;
    out.push({ form: "base64", pattern: foldCase(core) });
    const urlSafe = core.replace(/[+/]/g, (c) => URL_SAFE[c as "+" | "/"]);
    if (urlSafe !== core) out.push({ form: "base64url", pattern: foldCase(urlSafe) });
  }
  return out.filter((p) => p.pattern.length >= minLength);
}

/** Whether a text holds anything `escapedViews` undoes: most texts do not, and cost these checks only. */
function mayBeEscaped(text: string): boolean {
  return text.includes("%") || text.includes("+") || text.includes("\\") || !isAscii(text);
}

/** How a text a pattern was found in had been written. */
export type TextForm = "plain" | "url" | "json" | "unicode" | "base64" | "hex";
type Encoding = Exclude<TextForm, "plain">;
/** A decoded view's form: one encoding, or two when one was wrapped in another (`base64+url`). */
export type DecodedForm = Encoding | `${Encoding}+${Encoding}`;
type Visit = (form: DecodedForm, text: string) => void;

/** The form a value found as `pattern` (an `encodedForms` form) had, inside a decoded view of form `view`. */
export function formWithin(view: DecodedForm | null, pattern: string): string {
  if (view === null) return pattern;
  return pattern === "plain" ? view : `${view}+${pattern}`;
}

/**
 * Calls `visit` with each view a scan reads of a text besides the text itself: URL-decoded (`%xx`, `+`
 * as space), JSON-unescaped when it holds such escapes, NFKC-folded without invisible characters when it
 * is not ASCII, and in the text and each of them every run of base64 (either alphabet) or hex long
 * enough to hide a credential, decoded, when it decodes to text; and the same again inside each of those
 * views, since an encoding wrapped in another (base64 of a URL-encoded or base64 text) hides as well.
 * Called on every argument string of every call, so it allocates nothing for plain text.
 */
export function forEachDecodedView(text: string, visit: Visit): void {
  viewsOf(text, MAX_VIEWS, null, visit);
}

/** Visits the views of `text` (inside a view of form `outer`, when not null); returns the budget left. */
function viewsOf(text: string, budget: number, outer: Encoding | null, visit: Visit): number {
  if (budget <= 0) return budget;
  budget = visitRuns(text, budget, outer, visit);
  if (!mayBeEscaped(text)) return budget;
  for (const view of escapedViews(text)) {
    if (view.form === "plain" || budget <= 0) continue;
    budget = emit(outer, view.form, view.text, budget, visit);
  }
  return budget;
}

/** Visits one decoded view and, when it is the first decoding, the views inside it. */
function emit(outer: Encoding | null, form: Encoding, text: string, budget: number, visit: Visit): number {
  if (outer !== null) {
    visit(`${outer}+${form}`, text);
    return budget - 1;
  }
  visit(form, text);
  return viewsOf(text, budget - 1, form, visit);
}

function escapedViews(text: string): { form: TextForm; text: string }[] {
  const views: { form: TextForm; text: string }[] = [{ form: "plain", text }];
  if (text.includes("%") || text.includes("+")) {
    const decoded = percentDecode(text);
    if (decoded !== text) views.push({ form: "url", text: decoded });
  }
  if (text.includes("\\")) {
    const unescaped = jsonUnescape(text);
    if (unescaped !== text) views.push({ form: "json", text: unescaped });
  }
  if (!isAscii(text)) {
    // Full-width letters, ligatures and invisible characters spliced into a value do not hide it.
    const folded = text.normalize("NFKC").replace(INVISIBLE, "");
    if (folded !== text) views.push({ form: "unicode", text: folded });
  }
  return views;
}

/** UTF-8 takes one byte per character exactly when every character is ASCII (faster than a regex). */
function isAscii(text: string): boolean {
  return Buffer.byteLength(text, "utf8") === text.length;
}
/** Zero-width spaces and joiners, word joiner, byte-order mark, soft hyphen. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff\u00ad]/g;

/** Shorter encoded runs hold nothing a pattern finds (the shortest, 9 characters, takes 12 in base64). */
const MIN_RUN = 12;
/** Views per text at most, so a text of many short runs cannot multiply the scan without bound. */
const MAX_VIEWS = 64;

// Character classes for the run scan: base64 and base64url characters, hex digits, and the line breaks
// MIME puts inside base64. One pass over the text: a regex for runs restarts at every character of a word.
const BASE64 = 1;
const HEX = 2;
const BREAK = 4;
const HEX_RUN = /[0-9a-fA-F]{12,}/g;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] =
    (/[A-Za-z0-9+/_-]/.test(ch) ? BASE64 : 0) |
    (/[0-9a-fA-F]/.test(ch) ? HEX : 0) |
    (ch === "\r" || ch === "\n" ? BREAK : 0);
}

/** Visits up to `budget` decoded runs of `text`, in order; returns the budget left. */
function visitRuns(text: string, budget: number, outer: Encoding | null, visit: Visit): number {
  forEachEncodedRun(text, (run) => {
    budget = emit(outer, run.form, run.decoded, budget, visit);
    return budget > 0;
  });
  return budget;
}

/** A run of base64 or hex in a text that decodes to text: where it is, `text.slice(start, end)`. */
export interface EncodedRun {
  start: number;
  end: number;
  form: "base64" | "hex";
  decoded: string;
}

/**
 * Calls `visit` with each run of base64 (either alphabet, MIME line breaks allowed) or hex in `text`
 * long enough to hide a credential that decodes to text, in order, until it returns false. A hex run
 * lies inside a base64 one: both are visited.
 */
export function forEachEncodedRun(text: string, visit: (run: EncodedRun) => boolean): void {
  // A run of MIN_RUN characters covers every MIN_RUN-th position: only those are looked at first, so
  // ordinary text (words shorter than a run, between spaces) costs one look per MIN_RUN characters.
  let after = 0;
  for (let i = MIN_RUN - 1; i < text.length; ) {
    if (!inRun(text, i)) {
      i += MIN_RUN;
      continue;
    }
    let start = i;
    while (start > after && inRun(text, start - 1)) start--;
    let end = i + 1;
    while (end < text.length && inRun(text, end)) end++;
    if (end - start >= MIN_RUN) {
      const run = text.slice(start, end);
      const decoded = decodeBase64Run(run.replace(/[\r\n]/g, ""));
      // Its padding belongs to it (the scan's classes leave `=` out: it ends a run).
      let padded = end;
      while (padded < text.length && padded - end < 2 && text[padded] === "=") padded++;
      if (decoded !== null && !visit({ start, end: padded, form: "base64", decoded })) return;
      for (const hex of run.matchAll(HEX_RUN)) {
        const bytes = decodeHexRun(hex[0]);
        const at = start + hex.index;
        if (bytes !== null && !visit({ start: at, end: at + hex[0].length, form: "hex", decoded: bytes })) {
          return;
        }
      }
    }
    after = end;
    i = end + MIN_RUN;
  }
}

function inRun(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code < 128 && (CLASS[code]! & (BASE64 | BREAK)) !== 0;
}

function decodeBase64Run(run: string): string | null {
  // Hex is read as hex; base64 of text mixes letter cases (an id like INV-2024-11-0042 does not).
  if (run.length < MIN_RUN || !/[a-z]/.test(run) || !/[A-Z]/.test(run) || /^[0-9a-fA-F]+$/.test(run)) {
    return null;
  }
  // The run may start inside the encoded text (a word glued before it): one of four starts is aligned.
  for (let start = 0; start < 4 && run.length - start >= MIN_RUN; start++) {
    const decoded = asText(Buffer.from(run.slice(start), "base64"));
    if (decoded !== null) return decoded;
  }
  return null;
}

function decodeHexRun(run: string): string | null {
  for (let start = 0; start < 2; start++) {
    const decoded = asText(Buffer.from(run.slice(start, start + ((run.length - start) & ~1)), "hex"));
    if (decoded !== null) return decoded;
  }
  return null;
}

/**
 * Decoded bytes as text, or null when they are not text (a hash, an image, a misaligned decode): at
 * least 9 of every 10 characters printable. Binary data never gets a pattern scan it could only fool.
 */
function asText(bytes: Buffer): string | null {
  if (bytes.length < 9) return null;
  const text = bytes.toString("utf8");
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c !== 0x7f && c !== 0xfffd) || c === 0x09 || c === 0x0a || c === 0x0d) printable++;
  }
  return printable * 10 >= text.length * 9 ? text : null;
}

const JSON_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

function jsonUnescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/gs, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return JSON_ESCAPES[e] ?? e;
  });
}

/** Lenient percent-decoding: valid `%xx` runs become their UTF-8 text, anything else stays as written. */
function percentDecode(text: string): string {
  const plus = text.replace(/\+/g, " ");
  return plus.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ""), "hex");
    return bytes.toString("utf8");
  });
}
