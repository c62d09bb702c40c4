// Turns character offsets into 1-based line and column numbers.

export interface Position {
  line: number;
  column: number;
}

/** Line starts of one text, built once, searched by bisection. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  at(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** Position of the first occurrence of `needle` at or after `from`, or line 1 when absent. */
export function positionOf(text: string, needle: string, from = 0): Position {
  const i = text.indexOf(needle, from);
  return i < 0 ? { line: 1, column: 1 } : new LineIndex(text).at(i);
}
