// Agent-supplied text printed to a terminal: control characters are shown escaped, never executed
// (an argument holding ESC sequences could otherwise rewrite what an approver sees).

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

export function safeText(text: string): string {
  return text.replace(CONTROL, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}
