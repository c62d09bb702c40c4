// Agent-supplied text printed to a terminal: control characters are shown escaped, never executed
// (an argument holding ESC sequences could otherwise rewrite what an approver sees).

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

export function safeText(text: string): string {
  return text.replace(CONTROL, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`);
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
