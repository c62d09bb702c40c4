// What each session's calls taught the stateful detectors: labels read, values seen in results, last tool.
import type { JsonValue } from "../json.js";
import { type DecodedForm, encodedForms, forEachDecodedView, formWithin } from "./encodings.js";
import { EMAIL } from "./patterns.js";
import { ANCHOR, foldCase, ValueMatcher } from "./value-matcher.js";
import { walkStrings } from "./walk.js";

/** Sessions kept at most; the oldest is forgotten first (a restart forgets all: see docs/detect.md). */
const MAX_SESSIONS = 10_000;
/** Result values kept per session tree (a session and its sub-agents); the oldest go first. */
export const MAX_VALUES = 16_384;
/** Values shorter than this are not tracked: "ok", "true" or a short id would match everywhere. */
export const MIN_VALUE_LENGTH = ANCHOR;
/** Letters-only words shorter than this are not tracked either ("completed", "customer"). */
const MIN_WORD_LENGTH = 16;
/** Whole strings longer than this are not kept as values (emails inside them still are). */
const MAX_VALUE_LENGTH = 512;
const WORDS = /^[\p{L}\s]+$/u;

/** Where a value came from: the tool and call whose result held it, and where in that result. */
export interface Provenance {
  tool: string;
  callId: string;
  path: string;
  email: boolean;
  /** Set when the value was forgotten; its patterns are dropped at the next rebuild. */
  forgotten: boolean;
}

/** A tracked value found in a text, and the form it had there. */
export interface ValueHit {
  source: Provenance;
  form: string;
}

/** Result values of one session tree, searchable in all their encoded forms in one pass per text. */
export class TrackedValues {
  readonly #live = new Map<string, Provenance>();
  #matcher = new ValueMatcher<{ source: Provenance; form: string }>();

  get size(): number {
    return this.#live.size;
  }

  remember(value: string, source: Omit<Provenance, "forgotten">): void {
    const key = foldCase(value);
    const known = this.#live.get(key);
    if (known !== undefined) {
      // Seen again: the newest source counts, and a value that was ever an email stays one.
      known.forgotten = true;
      this.#live.delete(key);
    } else if (this.#live.size >= MAX_VALUES) {
      const oldest = this.#live.entries().next().value;
      if (oldest !== undefined) {
        oldest[1].forgotten = true;
        this.#live.delete(oldest[0]);
      }
    }
    const provenance: Provenance = {
      ...source,
      email: source.email || (known?.email ?? false),
      forgotten: false,
    };
    this.#live.set(key, provenance);
    for (const { form, pattern } of encodedForms(value, MIN_VALUE_LENGTH)) {
      this.#matcher.add(pattern, { source: provenance, form });
    }
    // Forgotten values' patterns are dropped once they outnumber the live ones.
    if (this.#matcher.size > 16 * (this.#live.size + 64)) this.#rebuild();
  }

  /** Calls `found` for each tracked value in `text`: as written, and in each of its decoded views. */
  find(text: string, found: (hit: ValueHit) => void): void {
    if (this.#live.size === 0) return;
    const scan = (viewForm: DecodedForm | null, view: string) =>
      this.#matcher.scan(view, (hit) => {
        if (!hit.source.forgotten)
          found(viewForm === null ? hit : { ...hit, form: formWithin(viewForm, hit.form) });
      });
    scan(null, text);
    forEachDecodedView(text, scan);
  }

  #rebuild(): void {
    const next = new ValueMatcher<{ source: Provenance; form: string }>();
    for (const [value, source] of this.#live) {
      for (const { form, pattern } of encodedForms(value, MIN_VALUE_LENGTH))
        next.add(pattern, { source, form });
    }
    this.#matcher = next;
  }
}

/** What a session tree (a first agent's session and its sub-agents, at any depth) shares. */
interface Tree {
  /** The tree's first session: the key the tree is kept under. */
  root: string;
  reads: Map<string, string>;
  values: TrackedValues;
  sentOut: { bytes: number };
  /** Sessions of the tree this process holds state for; the tree goes with the last of them. */
  members: number;
}

export interface SessionState {
  /**
   * Shared by the whole session tree: data label → the last call that read it. A sub-agent that reads
   * customer records taints its parent and siblings too, as its values do.
   */
  reads: Map<string, string>;
  /** Shared by the whole session tree: a value a sub-agent read is tracked in its parent too. */
  values: TrackedValues;
  /** Shared by the whole session tree: bytes of arguments offered to tools that send outside. */
  sentOut: { bytes: number };
  lastTool: string | null;
}

/** The values of a string worth tracking: the whole string when it looks like data, and every email in it. */
export function valuesIn(text: string, visit: (value: string, email: boolean) => void): void {
  if (text.length < MIN_VALUE_LENGTH) return;
  if (text.length <= MAX_VALUE_LENGTH && (text.length >= MIN_WORD_LENGTH || !WORDS.test(text))) {
    visit(text, false);
  }
  if (!text.includes("@")) return;
  for (const m of text.matchAll(EMAIL)) if (m[0].length >= MIN_VALUE_LENGTH) visit(m[0], true);
}

/** The session a detector input joins its tree through: the tree's root when known, else its parent. */
export function treeOf(session: { parent?: string | null; root?: string | null }): string | null {
  return session.root ?? session.parent ?? null;
}

export class SessionStates {
  readonly #sessions = new Map<string, SessionState & { tree: Tree }>();
  /** root session → its tree, kept while any session of it is (an ended parent's reads stay its children's). */
  readonly #trees = new Map<string, Tree>();

  get(id: string): SessionState | undefined {
    return this.#sessions.get(id);
  }

  /**
   * The state of a session, created on first use. `root` is the first session of its tree (the first
   * agent's, which a sub-agent's principal chain names), or a session of the tree already known (its
   * parent): the session joins that tree's reads, values and volume.
   */
  touch(id: string, root: string | null = null): SessionState {
    let s = this.#sessions.get(id);
    if (s === undefined) {
      if (this.#sessions.size >= MAX_SESSIONS) {
        const oldest = this.#sessions.keys().next().value;
        if (oldest !== undefined) this.end(oldest);
      }
      const key = root === null || root === id ? id : (this.#sessions.get(root)?.tree.root ?? root);
      let tree = this.#trees.get(key);
      if (tree === undefined) {
        tree = {
          root: key,
          reads: new Map(),
          values: new TrackedValues(),
          sentOut: { bytes: 0 },
          members: 0,
        };
        this.#trees.set(key, tree);
      }
      tree.members++;
      s = { reads: tree.reads, values: tree.values, sentOut: tree.sentOut, lastTool: null, tree };
      this.#sessions.set(id, s);
    }
    return s;
  }

  /** Remembers the string values of a tool result as flowing from `tool`, with their paths. */
  rememberResult(session: string, tool: string, callId: string, result: JsonValue): void {
    const state = this.touch(session);
    walkStrings(result, (text, path) => {
      valuesIn(text, (value, email) => state.values.remember(value, { tool, callId, path, email }));
    });
  }

  /** A session ended: its own state goes, and its tree's once no session of the tree is left. */
  end(session: string): void {
    const s = this.#sessions.get(session);
    if (s === undefined) return;
    this.#sessions.delete(session);
    s.tree.members--;
    if (s.tree.members <= 0 && this.#trees.get(s.tree.root) === s.tree) this.#trees.delete(s.tree.root);
  }
}
