// What each session's calls taught the stateful detectors: labels read, values seen in results, last tool.
import type { JsonValue } from "../json.js";
import { EMAIL } from "./patterns.js";
import { walkStrings } from "./walk.js";

/** Sessions kept at most; the oldest is forgotten first (a restart forgets all: see docs/detect.md). */
const MAX_SESSIONS = 10_000;
/** Result values kept per session; the oldest go first. Hashes, not values, keep each entry small. */
const MAX_VALUES = 4_096;
export const MIN_VALUE_LENGTH = 6;
/** Whole strings longer than this are not kept as values (emails inside them still are). */
const MAX_VALUE_LENGTH = 512;

/** Where a value came from: the tool and call whose result held it. */
export interface Provenance {
  tool: string;
  callId: string;
  email: boolean;
}

export interface SessionState {
  /** data label → the last call that read it */
  reads: Map<string, string>;
  values: Map<number, Provenance>;
  lastTool: string | null;
}

/**
 * A 53-bit hash of a string (two 32-bit FNV-1a variants). Not cryptographic: it only bounds memory, and a
 * collision can at worst ask for an approval that was not needed.
 */
export function valueHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/** The values of a string worth tracking: the whole string when short enough, and every email inside it. */
export function valuesIn(text: string, visit: (value: string, email: boolean) => void): void {
  if (text.length < MIN_VALUE_LENGTH) return;
  const hasAt = text.includes("@");
  if (text.length <= MAX_VALUE_LENGTH) visit(text.toLowerCase(), false);
  if (!hasAt) return;
  for (const m of text.matchAll(EMAIL)) visit(m[0].toLowerCase(), true);
}

export class SessionStates {
  readonly #sessions = new Map<string, SessionState>();

  get(id: string): SessionState | undefined {
    return this.#sessions.get(id);
  }

  /** The state of a session, created on first use. */
  touch(id: string): SessionState {
    let s = this.#sessions.get(id);
    if (s === undefined) {
      if (this.#sessions.size >= MAX_SESSIONS) {
        const oldest = this.#sessions.keys().next().value;
        if (oldest !== undefined) this.#sessions.delete(oldest);
      }
      s = { reads: new Map(), values: new Map(), lastTool: null };
      this.#sessions.set(id, s);
    }
    return s;
  }

  /** Remembers the string values of a tool result, hashed, as flowing from `tool`. */
  rememberResult(session: string, tool: string, callId: string, result: JsonValue): void {
    const state = this.touch(session);
    walkStrings(result, (text) => {
      valuesIn(text, (value, email) => {
        const key = valueHash(value);
        const known = state.values.get(key);
        // A value that is both a whole string and an email counts as an email.
        if (known !== undefined) {
          state.values.delete(key);
          email = email || known.email;
        } else if (state.values.size >= MAX_VALUES) {
          const oldest = state.values.keys().next().value;
          if (oldest !== undefined) state.values.delete(oldest);
        }
        state.values.set(key, { tool, callId, email });
      });
    });
  }

  end(session: string): void {
    this.#sessions.delete(session);
  }
}
