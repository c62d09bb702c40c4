// `npm pack` and a global install of the tarball, as a user gets Warden: the package carries what `warden init`
// needs, installs with its runtime dependencies only, and gives a `warden` that initialises and serves, and
// that every runnable shell snippet of the README and docs works with.
//
// No network here: better-sqlite3's install script (prebuild-install) would download its prebuilt binding.
// The test hands it the binding this checkout built, as a local prebuild, the way prebuild-install documents
// (npm_config_better_sqlite3_local_prebuilds); the install script itself runs as it does for a user.
// Packages come from npm's local cache (--prefer-offline); the registry is asked only for what it lacks.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { onCleanup, tempDir } from "../helpers.js";
import { runnableShellSnippets, runShellSnippet } from "./docs/snippets.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/cli/bin.js");
const BINDING = join(ROOT, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
const run = promisify(execFile);

/** stdout of a command, with its stderr in the error when it fails. */
async function sh(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const { stdout } = await run(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 16 << 20,
  });
  return stdout;
}

function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) done(m[1]!);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`warden start exited ${code}: ${out}`)));
  });
}

describe.runIf(existsSync(BIN) && existsSync(BINDING))("npm pack and npm install -g", () => {
  it("installs a working warden with runtime dependencies only; init and start work from there", async () => {
    const work = tempDir("warden-install-");
    const packed = JSON.parse(
      await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: ROOT }),
    );
    const files = (packed[0].files as { path: string }[]).map((f) => f.path);
    expect(files).toContain("examples/policy.yaml");
    expect(files).toContain("dist/cli/bin.js");
    expect(files.filter((f) => /^(src|test|bench|web|python|scripts)\//.test(f))).toEqual([]);
    const tarball = join(work, packed[0].filename as string);

    // The binding as prebuild-install names a download: <name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz
    const version = JSON.parse(
      readFileSync(join(ROOT, "node_modules/better-sqlite3/package.json"), "utf8"),
    ).version;
    const prebuilds = join(work, "prebuilds");
    mkdirSync(prebuilds);
    const asset = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    await sh("tar", ["czf", join(prebuilds, asset), "build/Release/better_sqlite3.node"], {
      cwd: join(ROOT, "node_modules/better-sqlite3"),
    });

    // The README's command, into a private prefix.
    const prefix = join(work, "prefix");
    await sh(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        tarball,
        "--allow-scripts=better-sqlite3",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
      ],
      { cwd: work, env: { npm_config_better_sqlite3_local_prebuilds: prebuilds } },
    );
    const installed = join(prefix, "lib/node_modules/agent-warden");
    const deps = readdirSync(join(installed, "node_modules"));
    for (const dev of ["vitest", "typescript", "@biomejs", "playwright-core", "esbuild"])
      expect(deps).not.toContain(dev);
    expect(existsSync(join(installed, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"))).toBe(
      true,
    );

    const warden = join(prefix, "bin/warden");
    const cwd = tempDir();
    expect((await sh(warden, ["--version"], { cwd })).trim()).toBe(packed[0].version);
    expect(await sh(warden, ["init"], { cwd })).toContain("policy.yaml");
    expect(await sh(warden, ["policy", "check", ".warden/policy.yaml"], { cwd })).toContain("tests:");
    const child = spawn(warden, ["start", "--port", "0"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    onCleanup(() => void child.kill("SIGKILL"));
    const url = await waitForListening(child);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });

    // Every shell snippet of the README and docs that runs here, with this installed warden on the PATH.
    const failed: { where: string; code: number; stderr: string }[] = [];
    const snippets = runnableShellSnippets(ROOT);
    expect(snippets.length).toBeGreaterThan(3);
    for (const s of snippets) {
      const result = await runShellSnippet(ROOT, s, join(prefix, "bin"), tempDir);
      if (result.code !== 0) failed.push({ where: `${s.file}:${s.line}`, ...result });
    }
    expect(failed).toEqual([]);
  }, 600_000);
});
