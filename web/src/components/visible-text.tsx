// Agent-written text as people read it: characters that are invisible or reorder what is shown appear as their code points.

// The rules Slack and terminals use too (a leaf of the server code, free of Node APIs).
import { HIDDEN_CHARS, lookAlikes } from "../../../src/safe-text.js";

/** Letters written right to left (Hebrew, Arabic and their neighbours); only to say why text reads as it does. */
const RIGHT_TO_LEFT =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}]/u;

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `text` with each of its look-alike letters (src/safe-text.ts) marked. */
function markedLookAlikes(text: string, key: number) {
  const out = [];
  let last = 0;
  for (const { index, letter, script, main } of lookAlikes(text)) {
    if (index > last) out.push(text.slice(last, index));
    out.push(
      <span
        key={`${key}-${index}`}
        class="lookalike"
        title={`a ${script} letter in a ${main} word: it may pass for another`}
      >
        {letter}
      </span>,
    );
    last = index + letter.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The text in runs, each hidden character as a marked `U+XXXX`, look-alike letters marked. */
function runs(text: string) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(HIDDEN_CHARS)) {
    if (m.index > last) out.push(...markedLookAlikes(text.slice(last, m.index), last));
    const name = codePoint(m[0]);
    out.push(
      <span key={m.index} class="hidden-char" title={`${name}: an invisible or direction-changing character`}>
        {name}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(...markedLookAlikes(text.slice(last), last));
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
