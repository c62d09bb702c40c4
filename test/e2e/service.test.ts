// `warden start` as a real process: quickstart, HTTP on 127.0.0.1, reload on SIGHUP and file change,
// refusal of invalid policies. (The Python example runs in the Python package's tests, python/tests.)
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cli } from "../cli/run-cli.js";
import { onCleanup, tempDir } from "../helpers.js";

const BIN = resolve(import.meta.dirname, "../../dist/cli/bin.js");

function startWarden(cwd: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, "start", "--port", "0", ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  onCleanup(() => void child.kill("SIGKILL"));
  return { child, output: () => out };
}

async function waitFor(pred: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ledgerKinds(url: string, token: string, kind: string) {
  const res = await fetch(`${url}/v1/ledger?kind=${kind}&order=asc&limit=100`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { records: unknown }).records as {
    data: { status: string; digest: string | null };
  }[];
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

describe("warden start", () => {
  it("quickstarts, serves, reloads on SIGHUP and on change, refuses invalid policies", async () => {
    const cwd = tempDir();
    const { child, output } = startWarden(cwd, ["--quickstart"]);
    await waitFor(() => output().includes("v1/ledger?limit=5"), "the quickstart text");
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())![1]!;
    const token = readFileSync(join(cwd, ".warden/admin.token"), "utf8").trim();
    expect(output()).toContain(token);
    // The printed example works as printed.
    const example = output().split("Try it:\n")[1]!.split("\n\n")[0]!;
    const ran = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", example], { cwd });
    expect(ran.stdout).toContain('"decision":"allow"');

    const session = await fetch(`${url}/v1/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ agent: "support-bot", onBehalfOf: "alice@example.com", intent: "t" }),
    });
    expect(session.status).toBe(201);

    const policyFile = join(cwd, ".warden/policy.yaml");
    const original = readFileSync(policyFile, "utf8");
    // An invalid policy is refused on SIGHUP; the old one stays and the refusal is recorded.
    writeFileSync(policyFile, "rules: [ {id: x, decision: nope} ]\n");
    child.kill("SIGHUP");
    await waitFor(() => output().includes("reload refused"), "refusal");
    const refused = await ledgerKinds(url, token, "policy.load");
    expect(refused.some((r) => r.data.status === "refused")).toBe(true);

    // A valid change is picked up from the file itself.
    writeFileSync(policyFile, original.replace(/^mode: enforce.*$/m, "mode: monitor"));
    await waitFor(() => output().includes("policy reloaded"), "reload");
    const loads = await ledgerKinds(url, token, "policy.load");
    expect(loads.filter((r) => r.data.status === "loaded").length).toBeGreaterThanOrEqual(2);

    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
  });

  it("refuses to start on an invalid policy, naming file:line:column", async () => {
    const cwd = tempDir();
    // A ledger to start on (start never creates one unless asked): the policy is what is wrong.
    expect((await cli(["init"], cwd)).code).toBe(0);
    const policy = join(cwd, "policy.yaml");
    writeFileSync(policy, "allowed_tools: [a]\nunknown_key: 1\n");
    // --init: a start that may create the ledger still refuses the policy before it serves.
    const { child, output } = startWarden(cwd, ["--init", "--policy", policy]);
    expect(await exited(child)).toBe(1);
    expect(output()).toContain(`${policy}:2:1`);
  });
});
