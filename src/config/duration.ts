// Durations in configuration (`per: 1m`, `timeout: 30s`): a positive whole number and a unit, ms | s | m | h.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds in `text`, or null when it is not a valid duration such as `500ms`, `10s`, `1m`, `1h`. */
export function parseDuration(text: string): number | null {
  const m = /^([1-9][0-9]{0,11})(ms|s|m|h)$/.exec(text.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** The shortest `per:` spelling of `ms` (60000 → "1m"), for messages. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
