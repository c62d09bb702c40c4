import { foldCase } from "./value-matcher.js";

// The forms a tracked value takes on its way out: the patterns to look for, and the decoded views of a text.

/** Base64 alphabets: standard and URL-safe (RFC 4648 §4 and §5). */
const URL_SAFE = { "+": "-", "/": "_" } as const;

/**
 * The case-folded patterns that reveal `value`: itself, its hex, and its base64 and base64url at each of
 * the three byte alignments it can have inside a longer encoded text (only the characters that depend
 * on the value alone, so a match does not depend on what surrounds it). Patterns shorter than
 * `minLength` are left out. URL-encoding and JSON escaping are undone on the text instead
 * (`decodedViews`), since encoders disagree on which characters to escape.
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

/**
 * A text as a value could appear in it: as written (the scan ignores letter case), and also URL-decoded (`%xx`, `+` as space),
 * JSON-unescaped when it holds such escapes, and NFKC-folded without invisible characters when it is not ASCII.
 */
export function decodedViews(text: string): string[] {
  return escapedViews(text).map((v) => v.text);
}

/** How a text a pattern was found in had been written. */
export type TextForm = "plain" | "url" | "json" | "unicode" | "base64" | "hex";

/**
 * The views a pattern scan (DLP) reads of a text: `decodedViews`, and in each of them every run of
 * base64 (either alphabet) or hex long enough to hide a credential, decoded, when it decodes to text.
 * A pattern cannot be searched for encoded as a tracked value can: it is found in the decoded text.
 */
export function scanViews(text: string): { form: TextForm; text: string }[] {
  const views = escapedViews(text);
  for (const view of [...views]) {
    if (view.text.length < MIN_RUN) continue;
    for (const decoded of decodedRuns(view.text, MAX_VIEWS - views.length)) {
      if (views.length >= MAX_VIEWS) return views;
      views.push(decoded);
    }
  }
  return views;
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
  if (NON_ASCII.test(text)) {
    // Full-width letters, ligatures and invisible characters spliced into a value do not hide it.
    const folded = text.normalize("NFKC").replace(INVISIBLE, "");
    if (folded !== text) views.push({ form: "unicode", text: folded });
  }
  return views;
}

const NON_ASCII = /[\u0080-\uffff]/;
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
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] =
    (/[A-Za-z0-9+/_-]/.test(ch) ? BASE64 : 0) |
    (/[0-9a-fA-F]/.test(ch) ? HEX : 0) |
    (ch === "\r" || ch === "\n" ? BREAK : 0);
}

/** Up to `max` decoded runs of `text`, in order. */
function decodedRuns(text: string, max: number): { form: TextForm; text: string }[] {
  const out: { form: TextForm; text: string }[] = [];
  const take = (decoded: { form: TextForm; text: string } | null) => {
    if (decoded !== null && out.length < max) out.push(decoded);
  };
  let b64Start = -1;
  let hexStart = -1;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0;
    const cls = code < 128 ? CLASS[code]! : 0;
    if (cls & (BASE64 | BREAK)) {
      if (b64Start < 0 && cls & BASE64) b64Start = i;
    } else if (b64Start >= 0) {
      if (i - b64Start >= MIN_RUN) {
        take(decodeBase64Run(text.slice(b64Start, i).replace(/[\r\n]/g, "")));
      }
      b64Start = -1;
    }
    if (cls & HEX) {
      if (hexStart < 0) hexStart = i;
    } else if (hexStart >= 0) {
      if (i - hexStart >= MIN_RUN) {
        take(decodeHexRun(text.slice(hexStart, i)));
      }
      hexStart = -1;
    }
  }
  return out;
}

function decodeBase64Run(run: string): { form: TextForm; text: string } | null {
  // Hex is read as hex; base64 of text mixes letter cases (an id like INV-2024-11-0042 does not).
  if (run.length < MIN_RUN || !/[a-z]/.test(run) || !/[A-Z]/.test(run) || /^[0-9a-fA-F]+$/.test(run)) {
    return null;
  }
  // The run may start inside the encoded text (a word glued before it): one of four starts is aligned.
  for (let start = 0; start < 4 && run.length - start >= MIN_RUN; start++) {
    const decoded = asText(Buffer.from(run.slice(start), "base64"));
    if (decoded !== null) return { form: "base64", text: decoded };
  }
  return null;
}

function decodeHexRun(run: string): { form: TextForm; text: string } | null {
  for (let start = 0; start < 2; start++) {
    const decoded = asText(Buffer.from(run.slice(start, start + ((run.length - start) & ~1)), "hex"));
    if (decoded !== null) return { form: "hex", text: decoded };
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
