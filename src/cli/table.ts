// Plain-text tables for people: columns aligned to their widest cell.

/**
 * Rows as aligned columns, each as wide as its widest cell; the last column is not padded.
 * @example
 * table([["a", "bb"], ["ccc", "d"]]); // ["a    bb", "ccc  d"]
 */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
