// Per-agent behaviour learned from the ledger: tool-to-tool transitions and calls per minute.

/** The first call of a session follows this pseudo-tool. */
export const START = "^";
const MAX_TOOLS = 1_000;
/** Weight of the newest minute in the moving average of calls per minute. */
const ALPHA = 0.1;

interface Transitions {
  total: number;
  next: Map<string, number>;
}

interface Rate {
  minute: number;
  count: number;
  average: number;
  minutes: number;
  alertedMinute: number;
}

export class Baseline {
  readonly #transitions = new Map<string, Map<string, Transitions>>();
  readonly #rates = new Map<string, Rate>();

  /** How often `next` followed `prev` for `agent`: the count and the number of observations after `prev`. */
  transition(agent: string, prev: string, next: string): { count: number; total: number } {
    const t = this.#transitions.get(agent)?.get(prev);
    return { count: t?.next.get(next) ?? 0, total: t?.total ?? 0 };
  }

  addTransition(agent: string, prev: string, next: string): void {
    let byPrev = this.#transitions.get(agent);
    if (byPrev === undefined) {
      byPrev = new Map();
      this.#transitions.set(agent, byPrev);
    }
    let t = byPrev.get(prev);
    if (t === undefined) {
      if (byPrev.size >= MAX_TOOLS) return;
      t = { total: 0, next: new Map() };
      byPrev.set(prev, t);
    }
    if (!t.next.has(next) && t.next.size >= MAX_TOOLS) return;
    t.total++;
    t.next.set(next, (t.next.get(next) ?? 0) + 1);
  }

  /** Counts one call at `now`; returns the calls of the current minute and the average before it. */
  addCall(agent: string, now: number): { count: number; average: number; minutes: number; rate: Rate } {
    const minute = Math.floor(now / 60_000);
    let r = this.#rates.get(agent);
    if (r === undefined) {
      r = { minute, count: 0, average: 0, minutes: 0, alertedMinute: -1 };
      this.#rates.set(agent, r);
    }
    if (minute > r.minute) {
      // Close the finished minute. Idle minutes are not averaged in: an agent back from a pause at its
      // usual pace is not a spike (as zeros, a 20-minute pause cut the average of a steady 30/min to 3.6).
      r.average = r.minutes === 0 ? r.count : r.average + ALPHA * (r.count - r.average);
      r.minutes++;
      r.minute = minute;
      r.count = 0;
    }
    r.count++;
    return { count: r.count, average: r.average, minutes: r.minutes, rate: r };
  }
}
