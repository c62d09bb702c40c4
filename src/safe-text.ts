// Agent-supplied text printed to a terminal: control characters are shown escaped, never executed
// (an argument holding ESC sequences could otherwise rewrite what an approver sees).

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

const escaped = (ch: string): string => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`;

/** Controls, format characters and line separators as `\uXXXX`: the text can neither break a line nor steer a terminal. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, escaped);
}

/**
 * Text as a terminal shows it: escapeControls, and a letter of another script inside a word (the
 * Cyrillic "а" of "pаypal.com") as `\u0430` too, so it cannot pass for the letter it looks like.
 */
export function safeText(text: string): string {
  return markLookAlikes(escapeControls(text), escaped);
}

/**
 * C0 and C1 controls, DEL, line and paragraph separators, bidirectional embeddings, overrides and
 * isolates: what a name or identity must not hold, since wherever it is printed such a character could
 * forge a line, move the cursor or reorder what a reader sees.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Whether `text` is free of UNPRINTABLE characters. */
export function isPrintable(text: string): boolean {
  return !UNPRINTABLE.test(text);
}

/**
 * What the dashboard and Slack show as code points: controls, format characters (bidirectional
 * embeddings, overrides, isolates and marks, zero-width characters, tags), line and paragraph
 * separators, private-use and unassigned code points, and what Unicode says to draw as nothing
 * (variation selectors, Hangul fillers, the combining grapheme joiner). Each one could make a shown
 * value read as another. Tab, line feed and carriage return stay: prose keeps its breaks, and JSON text
 * has them escaped already. Global: use it with replace() or matchAll().
 */
export const HIDDEN_CHARS =
  /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}]/gu;

/** Scripts whose letters pass for one another (a Cyrillic "а", a Greek "ο" among Latin letters). */
const CONFUSABLE_SCRIPTS: readonly [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Armenian", /\p{Script=Armenian}/u],
];

function scriptOf(letter: string): string | null {
  return CONFUSABLE_SCRIPTS.find(([, re]) => re.test(letter))?.[0] ?? null;
}

/** A letter of another script than the rest of its word: at `index`, of `script`, in a `main`-script word. */
export interface LookAlike {
  index: number;
  letter: string;
  script: string;
  main: string;
}

/**
 * Each letter of a word mixing those scripts that is not of the word's main script (the one most of its
 * letters have; Latin on a tie): "pаypal" has a Cyrillic "а". The dashboard marks them; terminals and
 * Slack write them as code points (markLookAlikes).
 */
export function lookAlikes(text: string): LookAlike[] {
  const found: LookAlike[] = [];
  for (const word of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    const letters = [...word[0]];
    const counts = new Map<string, number>();
    for (const l of letters) {
      const script = scriptOf(l);
      if (script) counts.set(script, (counts.get(script) ?? 0) + 1);
    }
    if (counts.size < 2) continue;
    const main = [...counts].sort((a, b) => b[1] - a[1] || (a[0] === "Latin" ? -1 : 1))[0]![0];
    let index = word.index;
    for (const letter of letters) {
      const script = scriptOf(letter);
      if (script && script !== main) found.push({ index, letter, script, main });
      index += letter.length;
    }
  }
  return found;
}

/** `text` with `mark(letter)` in place of each of its lookAlikes. */
export function markLookAlikes(text: string, mark: (letter: string) => string): string {
  let out = "";
  let last = 0;
  for (const { index, letter } of lookAlikes(text)) {
    out += text.slice(last, index) + mark(letter);
    last = index + letter.length;
  }
  return last === 0 ? text : out + text.slice(last);
}
