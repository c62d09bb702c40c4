// Agent-written text as people read it: characters that are invisible or reorder what is shown appear as their code points.

/**
 * Controls, format characters (bidirectional embeddings, overrides, isolates and marks, zero-width
 * characters, tags), line and paragraph separators, private-use and unassigned code points, and what
 * Unicode says to draw as nothing (variation selectors, Hangul fillers, the combining grapheme joiner).
 * Each one could make a shown value read as another. Tab, line feed and carriage return stay: prose
 * keeps its breaks, and JSON text has them escaped already.
 */
const HIDDEN = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}]/gu;

/** Letters written right to left (Hebrew, Arabic and their neighbours); only to say why text reads as it does. */
const RIGHT_TO_LEFT =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}]/u;

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Scripts whose letters pass for one another: a Cyrillic "а" or a Greek "ο" in a Latin word makes
 * "pаypal.com" read as the domain it is not.
 */
const CONFUSABLE_SCRIPTS: readonly [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Armenian", /\p{Script=Armenian}/u],
];

function scriptOf(letter: string): string | null {
  return CONFUSABLE_SCRIPTS.find(([, re]) => re.test(letter))?.[0] ?? null;
}

/**
 * `text` with each letter of a word that mixes those scripts marked when it is not of the word's main
 * script (the one most of its letters have; Latin on a tie).
 */
function lookAlikes(text: string, key: number) {
  const out = [];
  let last = 0;
  for (const word of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    const letters = [...word[0]];
    const counts = new Map<string, number>();
    for (const l of letters) {
      const script = scriptOf(l);
      if (script) counts.set(script, (counts.get(script) ?? 0) + 1);
    }
    if (counts.size < 2) continue;
    const main = [...counts].sort((a, b) => b[1] - a[1] || (a[0] === "Latin" ? -1 : 1))[0]![0];
    let at = word.index;
    for (const l of letters) {
      const script = scriptOf(l);
      if (script && script !== main) {
        if (at > last) out.push(text.slice(last, at));
        out.push(
          <span
            key={`${key}-${at}`}
            class="lookalike"
            title={`a ${script} letter in a ${main} word: it may pass for another`}
          >
            {l}
          </span>,
        );
        last = at + l.length;
      }
      at += l.length;
    }
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The text in runs, each hidden character as a marked `U+XXXX`, look-alike letters marked. */
function runs(text: string) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(HIDDEN)) {
    if (m.index > last) out.push(...lookAlikes(text.slice(last, m.index), last));
    const name = codePoint(m[0]);
    out.push(
      <span key={m.index} class="hidden-char" title={`${name}: an invisible or direction-changing character`}>
        {name}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(...lookAlikes(text.slice(last), last));
  return out;
}

/**
 * Text an agent or a caller wrote, isolated from what surrounds it (its direction cannot reach the
 * next field), with hidden characters made visible.
 */
export function VisibleText(props: { text: string }) {
  return <bdi>{runs(props.text)}</bdi>;
}

/**
 * A value approvers judge character by character (a tool argument): as VisibleText, and laid out in
 * stored order, left to right, so right-to-left letters cannot swap the digits or words around them
 * ("\u05D0 1234 5678" must not read as "5678 1234 \u05D0"). Such a value says it is shown that way.
 */
export function StoredOrderText(props: { text: string; class?: string }) {
  const rtl = RIGHT_TO_LEFT.test(props.text);
  return (
    <span class={`stored-order ${props.class ?? ""}`} dir="ltr">
      {runs(props.text)}
      {rtl && (
        <span class="rtl-tag" title="right-to-left letters, shown in the order they are stored">
          right-to-left, stored order
        </span>
      )}
    </span>
  );
}
