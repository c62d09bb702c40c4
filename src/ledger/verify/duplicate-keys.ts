// Finds a key repeated within one JSON object: JSON.parse keeps the last, so what is hashed and what a reader sees could differ.

/**
 * True when some object in `text` (valid JSON, already parsed once) names a key twice, at any depth.
 * Keys are compared as decoded strings, so `"a"` and `"\u0061"` are the same key.
 */
export function hasDuplicateKey(text: string): boolean {
  // One set per open object, null for an open array; `expectKey`: the next string is a key.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const keys = open.at(-1)!;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      open.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = open.at(-1) instanceof Set;
    }
  }
  return false;
}

/** Index of the quote closing the string that opens at `start`: the next quote not escaped by an odd run of backslashes. */
function stringEnd(text: string, start: number): number {
  for (let i = text.indexOf('"', start + 1); i !== -1; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return text.length;
}
