// Small measuring helpers: timed loops, percentiles, and a plain-text table.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs `fn` `n` times (after `warmup` runs) and returns per-op nanoseconds and ops/s. */
export async function timeLoop(n: number, fn: (i: number) => unknown, warmup = Math.min(1000, n)) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  const ns = Number(process.hrtime.bigint() - start);
  return { nsPerOp: ns / n, opsPerSec: (n * 1e9) / ns };
}

/** `concurrency` async workers sharing `total` operations. */
export async function timeConcurrent(
  total: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  const ns = Number(process.hrtime.bigint() - start);
  return { opsPerSec: (total * 1e9) / ns, seconds: ns / 1e9 };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}
