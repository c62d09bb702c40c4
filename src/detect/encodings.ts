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
 * A text as a value could appear in it: as written (the scan ignores letter case), and also URL-decoded (`%xx`, `+` as space) and
 * JSON-unescaped when it holds such escapes.
 */
export function decodedViews(text: string): string[] {
  const views = [text];
  if (text.includes("%") || text.includes("+")) {
    const decoded = percentDecode(text);
    if (decoded !== text) views.push(decoded);
  }
  if (text.includes("\\")) {
    const unescaped = jsonUnescape(text);
    if (unescaped !== text) views.push(unescaped);
  }
  return views;
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
