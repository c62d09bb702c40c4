// --changed-since REF: only changed and untracked files, manifests when they changed, on a real git repo.

import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan/index.js";
import { cleanupProjects, project } from "./helpers.js";

afterAll(cleanupProjects);

const git = (root: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", ...args],
    {
      cwd: root,
      stdio: "pipe",
    },
  );

describe("--changed-since", () => {
  it("scans changed and untracked files, and manifests only when they changed", async () => {
    const lock = {
      name: "p",
      version: "1.0.0",
      lockfileVersion: 3,
      packages: { "": { name: "p", version: "1.0.0" } },
    };
    const root = await project({
      "package.json": JSON.stringify({ name: "p", version: "1.0.0", dependencies: { a: "^1.0.0" } }),
      "package-lock.json": JSON.stringify(lock),
      "src/old.ts": 'import { exec } from "child_process";\nexec(cmd);\n',
      "src/edited.ts": "export const x = 1;\n",
    });
    git(root, "init", "-q");
    git(root, "add", ".");
    git(root, "commit", "-q", "-m", "base");
    await writeFile(join(root, "src/edited.ts"), "export const y = eval(input);\n");
    await writeFile(join(root, "src/new.ts"), 'import { execSync } from "child_process";\nexecSync(cmd);\n');

    const report = await scan({ root, changedSince: "HEAD" });
    expect(report.mode).toBe("changed");
    expect(report.filesScanned).toBe(2);
    expect(report.findings.map((f) => `${f.file}:${f.ruleId}`)).toEqual([
      "src/edited.ts:code-dynamic-eval",
      "src/new.ts:code-shell-exec",
    ]);

    await writeFile(
      join(root, "package.json"),
      JSON.stringify({ name: "p", version: "1.0.0", dependencies: { a: "^2.0.0" } }),
    );
    const withManifest = await scan({ root, changedSince: "HEAD" });
    expect(withManifest.findings.map((f) => f.ruleId)).toContain("npm-unpinned-dependency");

    const full = await scan({ root });
    expect(full.findings.map((f) => f.file)).toContain("src/old.ts");
  });

  it("fails with SCAN_GIT on an unknown ref and SCAN_USAGE on an option-like ref", async () => {
    const root = await project({ "a.ts": "" });
    git(root, "init", "-q");
    await expect(scan({ root, changedSince: "no-such-ref" })).rejects.toMatchObject({ code: "SCAN_GIT" });
    await expect(scan({ root, changedSince: "--output=/tmp/x" })).rejects.toMatchObject({
      code: "SCAN_USAGE",
    });
  });
});
