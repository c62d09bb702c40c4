// The model's text that came with each tool call, noted when the response arrives and read when the tool runs.

/** How many tool calls' texts are kept; older ones are dropped (their calls are recorded without it). */
const LIMIT = 1000;

/**
 * Tool-call id → the text the model wrote in the same response. Frameworks hand tools only the call,
 * not the message it came in, so each adapter notes the text where it sees the model's response.
 *
 * @example
 * const log = new RationaleLog();
 * log.note(["call_1", "call_2"], "Checking the weather first.");
 * log.take("call_1"); // "Checking the weather first."
 */
export class RationaleLog {
  readonly #texts = new Map<string, string>();

  /** Notes `text` for each of `callIds` (one response's text belongs to all its tool calls). */
  note(callIds: readonly string[], text: string): void {
    if (text.trim() === "") return;
    for (const id of callIds) {
      this.#texts.delete(id);
      this.#texts.set(id, text);
    }
    while (this.#texts.size > LIMIT) {
      const oldest = this.#texts.keys().next().value;
      if (oldest === undefined) break;
      this.#texts.delete(oldest);
    }
  }

  /** The text noted for `callId`, removed once read. */
  take(callId: string | undefined): string | undefined {
    if (callId === undefined) return undefined;
    const text = this.#texts.get(callId);
    this.#texts.delete(callId);
    return text;
  }
}
