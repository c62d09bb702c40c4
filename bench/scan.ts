// Benchmark: files per second for `warden scan` over a generated 2,000-file TypeScript agent project.

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scan } from "../src/scan/index.js";

const FILES = 2_000;

/** A plausible agent source file: imports, a guarded tool, helpers, a literal fetch and a literal execFile. */
function source(i: number): string {
  return `// generated module ${i}
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { tool } from "ai";
import { z } from "zod";
import type { Session } from "agent-warden";

const BASE = "https://api.example.com/v1";

export interface Item${i} {
  id: string;
  score: number;
  tags: readonly string[];
}

export function rank${i}(items: Item${i}[]): Item${i}[] {
  return [...items].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

export async function load${i}(path: string): Promise<Item${i}[]> {
  const text = await readFile(path, "utf8");
  return (JSON.parse(text) as Item${i}[]).filter((it) => it.tags.length > 0);
}

export function makeTool${i}(session: Session) {
  return tool({
    description: "Looks up item ${i} by id",
    inputSchema: z.object({ id: z.string() }),
    execute: session.guard("lookup_${i}", async ({ id }: { id: string }) => {
      const res = await fetch(\`\${BASE}/items/\${encodeURIComponent(id)}\`);
      if (!res.ok) throw new Error(\`lookup failed: \${res.status}\`);
      return (await res.json()) as Item${i};
    }),
  });
}

export function gitVersion${i}(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", ["--version"], (err, out) => (err ? reject(err) : resolve(out.trim())));
  });
}
`;
}

/** Writes the project, scans it once, removes it; returns the measured throughput. */
export async function benchScan(): Promise<{ files: number; seconds: number; filesPerSecond: number }> {
  const root = await mkdtemp(join(tmpdir(), "warden-bench-scan-"));
  try {
    for (let d = 0; d < 20; d++) await mkdir(join(root, "src", `pkg${d}`), { recursive: true });
    await Promise.all(
      Array.from({ length: FILES }, (_, i) =>
        writeFile(join(root, "src", `pkg${i % 20}`, `mod${i}.ts`), source(i)),
      ),
    );
    const started = performance.now();
    const report = await scan({ root });
    const seconds = (performance.now() - started) / 1000;
    if (report.errors.length > 0)
      throw new Error(`bench project did not parse: ${report.errors[0]?.message}`);
    return { files: report.filesScanned, seconds, filesPerSecond: report.filesScanned / seconds };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
