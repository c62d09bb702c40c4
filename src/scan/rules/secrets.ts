// Rule secret-hardcoded: secretlint's recommended rule set over source and config files.

import { createRequire } from "node:module";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { lintSource } from "@secretlint/core";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import { finding } from "../finding.js";
import type { Finding } from "../types.js";

type CoreConfig = Parameters<typeof lintSource>[0]["options"]["config"];

const config: CoreConfig = {
  rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended }],
};

let quiet: Promise<void> | undefined;

/**
 * secretlint 12 records a performance mark per rule per file and scans them all on every mark
 * (O(n²): secretlint#1633, fixed upstream only in releases that need Node 22). Turn the marks off
 * on the profiler instance @secretlint/core itself imports.
 */
function silenceProfiler(): Promise<void> {
  quiet ??= (async () => {
    const fromCore = createRequire(createRequire(import.meta.url).resolve("@secretlint/core"));
    const url = pathToFileURL(fromCore.resolve("@secretlint/profiler")).href;
    const mod = (await import(url)) as { secretLintProfiler?: { mark?: unknown } };
    if (typeof mod.secretLintProfiler?.mark === "function") mod.secretLintProfiler.mark = () => undefined;
  })().catch(() => undefined);
  return quiet;
}

/** Secrets secretlint finds in `text`; the finding's message shows the secret masked. */
export async function scanSecrets(rel: string, text: string): Promise<Finding[]> {
  await silenceProfiler();
  const result = await lintSource({
    source: { content: text, filePath: rel, ext: extname(rel), contentType: "text" },
    options: { config, maskSecrets: true, noPhysicFilePath: true },
  });
  return result.messages.map((m) =>
    finding(
      "secret-hardcoded",
      rel,
      { line: m.loc.start.line, column: m.loc.start.column + 1 },
      `${m.message} [${m.ruleId.replace("@secretlint/secretlint-rule-", "secretlint:")}]`,
    ),
  );
}

/** True when secretlint finds a secret in a single value (used for MCP env values and args). */
export async function looksLikeSecret(value: string): Promise<boolean> {
  if (value.length < 8) return false;
  await silenceProfiler();
  const result = await lintSource({
    source: { content: value, filePath: "value.txt", ext: ".txt", contentType: "text" },
    options: { config, maskSecrets: true, noPhysicFilePath: true },
  });
  return result.messages.length > 0;
}
