// Many-value substring search: every pattern is found in one pass over a text, however many there are.
//
// Rabin–Karp over a fixed anchor: each pattern is keyed by the hash of its first ANCHOR characters;
// one rolling hash slides over the text and a bit filter answers "no pattern starts here" for almost
// every position, so a scan costs O(text + matches) like Aho–Corasick, without its per-state memory.

/** Characters every pattern's anchor spans; shorter patterns cannot be added. */
export const ANCHOR = 8;
/** B^ANCHOR mod 2^32, to drop the character leaving the window. */
const BASE = 0x01000193;
const DROP = (() => {
  let p = 1;
  for (let i = 0; i < ANCHOR; i++) p = Math.imul(p, BASE);
  return p;
})();

interface Entry<T> {
  pattern: string;
  item: T;
}

/** ASCII letters folded to lower case; every other character stays as it is. */
export function foldCase(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text;
}

const fold = (c: number) => ((c - 65) >>> 0 < 26 ? c | 32 : c);

/** Patterns (stored folded with `foldCase`) → items; a scan ignores ASCII letter case in the text. */
export class ValueMatcher<T> {
  readonly #buckets = new Map<number, Entry<T>[]>();
  #size = 0;
  #filter = new Uint32Array(0);
  #mask = 0;

  get size(): number {
    return this.#size;
  }

  add(pattern: string, item: T): void {
    if (pattern !== foldCase(pattern)) throw new RangeError("fold a pattern's case with foldCase first");
    if (pattern.length < ANCHOR) throw new RangeError(`a pattern has at least ${ANCHOR} characters`);
    const h = anchorHash(pattern);
    let bucket = this.#buckets.get(h);
    if (bucket === undefined) {
      bucket = [];
      this.#buckets.set(h, bucket);
    }
    bucket.push({ pattern, item });
    this.#size++;
    // About 16 filter bits per pattern keeps false hits (a map lookup each) near 6%.
    if (this.#size * 16 > this.#filter.length * 32) this.#rebuild();
    else this.#mark(h);
  }

  /** Calls `found` for every pattern occurring in `text`, once per occurrence. */
  scan(text: string, found: (item: T, pattern: string) => void): void {
    const n = text.length;
    if (this.#size === 0 || n < ANCHOR) return;
    const filter = this.#filter;
    const mask = this.#mask;
    let h = 0;
    for (let i = 0; i < ANCHOR; i++) h = (Math.imul(h, BASE) + fold(text.charCodeAt(i))) | 0;
    for (let start = 0; ; start++) {
      const slot = (h >>> 0) & mask;
      if ((filter[slot >>> 5]! & (1 << (slot & 31))) !== 0) {
        const bucket = this.#buckets.get(h >>> 0);
        if (bucket !== undefined) {
          for (const e of bucket) if (foldedAt(text, e.pattern, start)) found(e.item, e.pattern);
        }
      }
      const next = start + ANCHOR;
      if (next >= n) return;
      h =
        (Math.imul(h, BASE) + fold(text.charCodeAt(next)) - Math.imul(fold(text.charCodeAt(start)), DROP)) |
        0;
    }
  }

  #mark(h: number): void {
    const slot = h & this.#mask;
    this.#filter[slot >>> 5]! |= 1 << (slot & 31);
  }

  #rebuild(): void {
    let bits = 1024;
    while (bits < this.#size * 32) bits *= 2;
    this.#filter = new Uint32Array(bits / 32);
    this.#mask = bits - 1;
    for (const h of this.#buckets.keys()) this.#mark(h);
  }
}

function anchorHash(pattern: string): number {
  let h = 0;
  for (let i = 0; i < ANCHOR; i++) h = (Math.imul(h, BASE) + pattern.charCodeAt(i)) | 0;
  return h >>> 0;
}

/** Whether `pattern` (folded) occurs in `text` at `start`, ignoring ASCII letter case. */
function foldedAt(text: string, pattern: string, start: number): boolean {
  if (start + pattern.length > text.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (fold(text.charCodeAt(start + i)) !== pattern.charCodeAt(i)) return false;
  }
  return true;
}
