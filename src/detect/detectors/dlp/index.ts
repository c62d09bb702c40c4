// DLP on outgoing arguments: credentials, personal data (checksummed where a checksum exists), large payloads.
import { sha256Hex } from "../../../digest.js";
import type { JsonValue } from "../../../json.js";
import { ibanValid, luhnValid } from "../../checksums.js";
import type { DetectSettings } from "../../config.js";
import { type DecodedForm, forEachDecodedView } from "../../encodings.js";
import {
  CARD,
  EMAIL,
  GROUP_KIND,
  HAS_DIGIT,
  HAS_UPPER_DIGITS,
  IBAN,
  PHONE,
  SECRETS,
} from "../../patterns.js";
import { treeOf } from "../../session-state.js";
import type { DetectInput, DetectorContext, Finding, PreDetector } from "../../types.js";
import { walkStrings } from "../../walk.js";
import type { DlpSettings } from "./config.js";

/** Where a match was and a digest of it: never the value, so an alert cannot leak what it caught. */
export interface DlpMatch {
  kind: string;
  path: string;
  digest: string;
  /**
   * How the argument hid it, when it was encoded (base64, hex, URL-encoding, JSON escapes), or `split`
   * when it was cut into consecutive strings of the arguments (then its path is `$`).
   */
  form?: DecodedForm | "split";
}

/** Strings shorter than this cannot hold any pattern (the shortest, a phone number, has 9 characters). */
const MIN_LENGTH = 9;
/**
 * The credential patterns without their word boundaries, for argument strings put back together: the
 * edge between two strings is one, which the joined text cannot show (scanJoined checks them).
 */
const SPLIT_SECRETS = new RegExp(SECRETS.source.replaceAll(String.raw`\b`, ""), "g");

function isWord(text: string, i: number): boolean {
  return /\w/.test(text[i] ?? "");
}

/** Whether `text` alone holds a credential of the pattern group `kind`. */
function holdsKind(text: string, kind: string): boolean {
  for (const m of text.matchAll(SECRETS)) if (m.groups?.[kind] !== undefined) return true;
  return false;
}

/** Characters kept at each end of an argument string when the strings are put together (scanJoined). */
const EDGE = 100;
/** Stands for the middle of a long string left out: no pattern matches through it. */
const CUT = "\u0000";
/** Characters of argument strings put together to look for a credential cut into pieces. */
const MAX_JOINED = 65_536;
/** Matches kept per call: enough to act on, bounded so one huge argument cannot bloat the alert. */
const MAX_MATCHES = 20;

/** Secrets and PII in `args`, as kinds, paths and digests. */
export function scanArgs(args: JsonValue, dlp: DlpSettings): { secrets: DlpMatch[]; pii: DlpMatch[] } {
  const secrets: DlpMatch[] = [];
  const pii: DlpMatch[] = [];
  const want = new Set(dlp.pii);
  const seen = new Set<string>();
  let form: DecodedForm | "split" | null = null;
  const add = (list: DlpMatch[], kind: string, path: string, value: string) => {
    const digest = `sha256:${sha256Hex(value)}`;
    // The same value in two views of one string (as written and URL-decoded) is one match.
    const key = `${kind} ${path} ${digest}`;
    if (list.length >= MAX_MATCHES || seen.has(key)) return;
    seen.add(key);
    list.push(form === null ? { kind, path, digest } : { kind, path, digest, form });
  };
  // One callback for the whole walk, told the current path through `where`: a closure per argument
  // string cost a measurable share of the detection stage.
  let where = "$";
  const scanDecoded = (decodedForm: DecodedForm, text: string) => {
    form = decodedForm;
    scanText(text, where);
    form = null;
  };
  // Every argument string in order, for a credential cut into pieces across them.
  const pieces: string[] = [];
  let piecesLength = 0;
  walkStrings(
    args,
    (text, path) => {
      if (dlp.secrets && piecesLength < MAX_JOINED && !path.endsWith("#key")) {
        // A match crossing into the next string lies near an edge: the middle of a long one is left out.
        const piece = text.length <= 2 * EDGE ? text : `${text.slice(0, EDGE)}${CUT}${text.slice(-EDGE)}`;
        pieces.push(piece);
        piecesLength += piece.length;
      }
      if (text.length < MIN_LENGTH) return;
      scanText(text, path);
      // An encoded credential leaves as surely as a plain one: every decoded view is scanned too.
      where = path;
      forEachDecodedView(text, scanDecoded);
    },
    // The shortest card number has 13 digits.
    want.has("card") ? { numberDigits: 13 } : {},
  );
  if (pieces.length > 1) scanJoined();
  return { secrets, pii };

  /**
   * Credentials that only appear with the argument strings put back together, reported at `$`: a
   * match must cross from one string into the next, and no string it covers may hold one of its kind
   * alone (that one is reported where it is). A string's edge counts as a word boundary.
   */
  function scanJoined(): void {
    const joined = pieces.join("");
    if (!matches(SPLIT_SECRETS, joined)) return;
    const starts: number[] = [];
    let at = 0;
    for (const p of pieces) {
      starts.push(at);
      at += p.length;
    }
    // Next to a cut middle the text goes on unseen: no boundary can be assumed there.
    const edge = (i: number) =>
      i === 0 ||
      i === joined.length ||
      starts.includes(i) ||
      (joined[i - 1] !== CUT && joined[i] !== CUT && isWord(joined, i - 1) !== isWord(joined, i));
    form = "split";
    for (const m of joined.matchAll(SPLIT_SECRETS)) {
      const start = m.index;
      const end = start + m[0].length;
      const kind = Object.entries(m.groups ?? {}).find(([, v]) => v !== undefined)?.[0];
      if (kind === undefined || !edge(start) || !edge(end)) continue;
      const covered = starts.flatMap((s, i) => (s < end && s + pieces[i]!.length > start ? [i] : []));
      if (covered.length < 2 || covered.some((i) => holdsKind(pieces[i]!, kind))) continue;
      add(secrets, GROUP_KIND[kind] ?? kind, "$", m[0]);
    }
    form = null;
  }

  function scanText(text: string, path: string): void {
    // test() first: most strings match nothing, and matchAll allocates an iterator even then.
    if (dlp.secrets && matches(SECRETS, text)) {
      for (const m of text.matchAll(SECRETS)) {
        const group = Object.entries(m.groups ?? {}).find(([, v]) => v !== undefined);
        if (group) add(secrets, GROUP_KIND[group[0]] ?? group[0], path, m[0]);
      }
    }
    if (want.has("email") && text.includes("@")) {
      for (const m of text.matchAll(EMAIL)) add(pii, "email", path, m[0]);
    }
    if (!HAS_DIGIT.test(text)) return;
    if (want.has("card") && matches(CARD, text)) {
      for (const m of text.matchAll(CARD)) {
        const digits = m[0].replace(/[ -]/g, "");
        if (digits.length >= 13 && luhnValid(digits)) add(pii, "card", path, digits);
      }
    }
    if (want.has("iban") && HAS_UPPER_DIGITS.test(text)) {
      for (const m of text.matchAll(IBAN)) {
        const compact = m[0].replace(/ /g, "");
        if (ibanValid(compact)) add(pii, "iban", path, compact);
      }
    }
    if (want.has("phone") && matches(PHONE, text)) {
      for (const m of text.matchAll(PHONE)) {
        const digits = m[0].replace(/\D/g, "");
        if (digits.length >= 9 && digits.length <= 15) add(pii, "phone", path, digits);
      }
    }
  }
}

/**
 * The path to redact for a match at `path`: a credential used as a key, and anything under such a key
 * (reported as `[#key]`), take the object holding the key: a key has no value of its own to hide.
 */
function redactionPath(path: string): string {
  const under = path.indexOf("[#key]");
  if (under !== -1) return path.slice(0, under);
  return path.endsWith("#key") ? path.slice(0, -4) : path;
}

export function dlpDetector({ sessions }: Pick<DetectorContext, "sessions">): PreDetector<"dlp"> {
  return {
    name: "dlp",
    actionOf: (s) => s.dlp?.action ?? null,
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      const dlp = settings.dlp;
      if (dlp === null) return [];
      const findings: Finding[] = [];
      const { secrets, pii } = scanArgs(input.args, dlp);
      if (secrets.length > 0) {
        findings.push({
          detector: "dlp",
          severity: "high",
          action: dlp.action,
          message: `credentials in the arguments of ${input.tool}: ${kinds(secrets)}`,
          redact: [...new Set(secrets.map((m) => redactionPath(m.path)))],
          data: { matches: secrets.map((m) => ({ ...m })) },
        });
      }
      if (pii.length > 0) {
        findings.push({
          detector: "dlp",
          severity: "medium",
          action: dlp.piiAction,
          message: `personal data in the arguments of ${input.tool}: ${kinds(pii)}`,
          data: { matches: pii.map((m) => ({ ...m })) },
        });
      }
      if (settings.labelsOf(input.tool).sends.includes("external")) {
        const bytes = Buffer.byteLength(JSON.stringify(input.args), "utf8");
        if (bytes > dlp.maxExternalBytes) {
          findings.push({
            detector: "dlp",
            severity: "medium",
            action: dlp.piiAction,
            message: `${bytes} bytes of arguments to external tool ${input.tool} (limit ${dlp.maxExternalBytes})`,
            data: { kind: "large-payload", bytes, limit: dlp.maxExternalBytes },
          });
        }
        const perSession = dlp.maxExternalBytesPerSession;
        if (perSession !== null) {
          // Counted when offered, refused or not: an agent that keeps trying is still trying to send.
          const sent = sessions.touch(input.session.id, treeOf(input.session)).sentOut;
          sent.bytes += bytes;
          if (sent.bytes > perSession) {
            findings.push({
              detector: "dlp",
              severity: "high",
              action: dlp.piiAction,
              message: `session ${input.session.id} offered ${sent.bytes} bytes to external tools (limit ${perSession} per session)`,
              data: { kind: "session-volume", bytes: sent.bytes, limit: perSession },
            });
          }
        }
      }
      return findings;
    },
  };
}

/** test() on a global regex moves lastIndex, and matchAll starts from it: reset it both ways. */
function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  const found = re.test(text);
  re.lastIndex = 0;
  return found;
}

function kinds(matches: DlpMatch[]): string {
  return [...new Set(matches.map((m) => (m.form ? `${m.kind} (${m.form})` : m.kind)))].join(", ");
}
