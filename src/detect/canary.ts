// Canary tokens: unique fake values planted as bait; one appearing in any tool argument is exfiltration.
import { randomBytes } from "node:crypto";
import type { JsonValue } from "../json.js";
import type { LedgerRecord, RecordInput } from "../ledger/index.js";
import type { DetectSettings } from "../policy/index.js";
import type { DetectInput, Finding, PreDetector } from "./types.js";
import { walkStrings } from "./walk.js";

export const CANARY_KINDS = ["aws-key", "email", "url", "record"] as const;
export type CanaryKind = (typeof CANARY_KINDS)[number];

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
export function mintCanary(kind: CanaryKind, label: string | null, domain = "example.com"): Canary {
  const lower = "abcdefghijklmnopqrstuvwxyz0123456789";
  const value =
    kind === "aws-key"
      ? `AKIA${random(16)}`
      : kind === "email"
        ? `${random(6, lower)}.${random(8, lower)}@${domain}`
        : kind === "url"
          ? `https://${domain}/s/${random(20, lower)}`
          : `cus_${random(20, lower)}`;
  return { id: `can_${random(16, lower)}`, kind, label, value, createdAt: new Date().toISOString() };
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
  const d = r.data;
  if (r.kind !== "canary.create" || typeof d.value !== "string" || d.value.length < 8) return null;
  if (typeof d.id !== "string" || !(CANARY_KINDS as readonly string[]).includes(String(d.kind))) return null;
  return {
    id: d.id,
    kind: d.kind as CanaryKind,
    label: typeof d.label === "string" ? d.label : null,
    value: d.value,
    createdAt: typeof d.createdAt === "string" ? d.createdAt : r.ts,
  };
}

/** Every known canary, searched with one case-insensitive regex rebuilt when a canary is added. */
export class CanarySet {
  readonly #byValue = new Map<string, Canary>();
  #re: RegExp | null = null;

  add(c: Canary): void {
    const key = c.value.toLowerCase();
    if (this.#byValue.has(key)) return;
    this.#byValue.set(key, c);
    const alternatives = [...this.#byValue.keys()].map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
    this.#re = new RegExp(alternatives.join("|"), "gi");
  }

  get size(): number {
    return this.#byValue.size;
  }

  /** Canaries found in `value`, with the path of the string that held each. */
  find(value: JsonValue): { canary: Canary; path: string }[] {
    const re = this.#re;
    if (re === null) return [];
    const found: { canary: Canary; path: string }[] = [];
    walkStrings(value, (text, path) => {
      if (text.length < 8) return;
      for (const m of text.matchAll(re)) {
        const canary = this.#byValue.get(m[0].toLowerCase());
        if (canary) found.push({ canary, path });
      }
    });
    return found;
  }
}

/** The canary detector over a shared set (filled at open from the ledger and on each new canary). */
export function canaryDetector(set: CanarySet): PreDetector {
  return {
    name: "canary",
    actionOf: (s: DetectSettings) => s.canary?.action ?? "deny",
    check(input: DetectInput, settings: DetectSettings): Finding[] {
      if (set.size === 0) return [];
      const found = set.find(input.args);
      if (found.length === 0) return [];
      return [
        {
          detector: "canary",
          severity: "critical",
          // Canaries are on by default: the bait exists only because someone planted it.
          action: settings.canary?.action ?? "deny",
          message: `canary token in the arguments of ${input.tool}: exfiltration`,
          data: {
            canaries: found.map((f) => ({
              id: f.canary.id,
              kind: f.canary.kind,
              label: f.canary.label,
              path: f.path,
            })),
          },
        },
      ];
    },
  };
}
