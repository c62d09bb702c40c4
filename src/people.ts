// One spelling per person: how approver and user names are stored and compared wherever "the same
// person" matters (token names, four eyes, self-approval, the agent's developer).
import { remove as replaceConfusables } from "confusables";

/** The name as stored: Unicode NFKC (full-width and compatibility forms fold), trimmed, inner whitespace one space. */
export function normalizeName(name: string): string {
  return name.normalize("NFKC").trim().replace(/\s+/gu, " ");
}

/**
 * The form two names are compared in: normalized, case-folded, without whitespace or characters drawn
 * as nothing (soft hyphen, word joiner, bidirectional marks …), and with look-alike characters
 * (Cyrillic "а", Greek "Α", accented letters …) replaced by the Latin letters they imitate (the
 * `confusables` package's table). Two names with one key are one person.
 */
export function personKey(name: string): string {
  const folded = normalizeName(name)
    .toLowerCase()
    .replace(/[\s\p{Default_Ignorable_Code_Point}]+/gu, "");
  return replaceConfusables(folded).normalize("NFKC").toLowerCase();
}
