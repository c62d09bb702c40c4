// Canary tokens: unique fake values planted as bait; one appearing in any tool argument is exfiltration.
import { randomBytes } from "node:crypto";
import type { JsonValue } from "../../../json.js";
import { type LedgerRecord, parseRecord, type RecordInput } from "../../../ledger/index.js";
import { type DecodedForm, encodedForms, forEachDecodedView, formWithin } from "../../encodings.js";
import { ANCHOR, ValueMatcher } from "../../value-matcher.js";
import { walkStrings } from "../../walk.js";

/** Kinds Warden mints, and `custom`: an existing honeytoken registered with `warden canary add`. */
export const CANARY_KINDS = ["aws-key", "email", "url", "record", "custom"] as const;
export type CanaryKind = (typeof CANARY_KINDS)[number];
/** Kinds `mintCanary` can make up. */
export const MINTABLE_KINDS = ["aws-key", "email", "url", "record"] as const;
export type MintableKind = (typeof MINTABLE_KINDS)[number];
/** A registered honeytoken's length bounds: shorter ones would match by chance, longer ones are not tokens. */
export const CUSTOM_CANARY_LENGTH = { min: 12, max: 512 } as const;

/** A minted canary. The value is stored as is: it is bait, not a secret, and the gate must recognise it. */
export interface Canary {
  id: string;
  kind: CanaryKind;
  label: string | null;
  value: string;
  createdAt: string;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function random(n: number, alphabet = BASE32): string {
  const bytes = randomBytes(n);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** A fresh canary value of `kind`; `domain` names where fake emails and URLs point. */
export function mintCanary(kind: MintableKind, label: string | null, domain = "example.com"): Canary {
  const lower = "abcdefghijklmnopqrstuvwxyz0123456789";
  const value =
    kind === "aws-key"
      ? `AKIA${random(16)}`
      : kind === "email"
        ? `${random(6, lower)}.${random(8, lower)}@${domain}`
        : kind === "url"
          ? `https://${domain}/s/${random(20, lower)}`
          : `cus_${random(20, lower)}`;
  return { id: canaryId(), kind, label, value, createdAt: new Date().toISOString() };
}

const canaryId = () => `can_${random(16, "abcdefghijklmnopqrstuvwxyz0123456789")}`;

/**
 * A canary for an existing honeytoken (a fake key already planted in a repository, a decoy customer
 * record). Throws a RangeError for a value outside CUSTOM_CANARY_LENGTH or holding a control character.
 */
export function customCanary(value: string, label: string | null): Canary {
  const { min, max } = CUSTOM_CANARY_LENGTH;
  if (value.length < min || value.length > max) {
    throw new RangeError(`a canary value has ${min} to ${max} characters`);
  }
  if (/\p{Cc}/u.test(value)) throw new RangeError("a canary value has no control characters");
  return { id: canaryId(), kind: "custom", label, value, createdAt: new Date().toISOString() };
}

/** The `canary.create` record of a canary. */
export function canaryRecord(c: Canary): RecordInput {
  return {
    kind: "canary.create",
    session: null,
    agent: null,
    callId: null,
    data: { id: c.id, kind: c.kind, label: c.label, value: c.value, createdAt: c.createdAt },
  };
}

/** The canary a `canary.create` record holds, or null for anything malformed. */
export function canaryOf(r: LedgerRecord): Canary | null {
  const read = parseRecord(r, "canary.create");
  if (!read.ok || read.record.data.value.length < 8) return null;
  const { id, kind, label, value, createdAt } = read.record.data;
  return { id, kind, label, value, createdAt };
}

const NUMBERS = { numberDigits: CUSTOM_CANARY_LENGTH.min };

/** Every known canary, found in one pass per string: as written, in any case, and in every encoded form. */
export class CanarySet {
  readonly #byValue = new Map<string, Canary>();
  readonly #matcher = new ValueMatcher<{ canary: Canary; form: string }>();

  add(c: Canary): void {
    const key = c.value.toLowerCase();
    if (this.#byValue.has(key)) return;
    this.#byValue.set(key, c);
    for (const { form, pattern } of encodedForms(c.value, ANCHOR))
      this.#matcher.add(pattern, { canary: c, form });
  }

  get size(): number {
    return this.#byValue.size;
  }

  /**
   * Canaries found in `value`, with the path of the string that held each and the form it had there.
   * Integers as long as the shortest honeytoken are read as their digits: a decoy account or card
   * number sent as a JSON number is still the canary.
   */
  find(value: JsonValue): { canary: Canary; path: string; form: string }[] {
    if (this.#byValue.size === 0) return [];
    const found: { canary: Canary; path: string; form: string }[] = [];
    walkStrings(
      value,
      (text, path) => {
        if (text.length < ANCHOR) return;
        const seen = new Set<Canary>();
        const scan = (viewForm: DecodedForm | null, view: string) =>
          this.#matcher.scan(view, ({ canary, form }) => {
            if (seen.has(canary)) return;
            seen.add(canary);
            found.push({ canary, path, form: formWithin(viewForm, form) });
          });
        scan(null, text);
        forEachDecodedView(text, scan);
      },
      NUMBERS,
    );
    return found;
  }
}
