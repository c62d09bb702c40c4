// One spelling per person: how approver and user names are compared wherever "the same person" matters.

/**
 * The form a person's name is compared in: Unicode NFKC (full-width and compatibility forms fold to
 * their plain letters), trimmed, inner whitespace collapsed to one space, case-folded.
 */
export function personKey(name: string): string {
  return name.normalize("NFKC").trim().replace(/\s+/gu, " ").toLowerCase();
}
