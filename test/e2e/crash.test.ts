// SIGKILL in the middle of a burst: the ledger still verifies and every tool body that ran has its intent record.
import { fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { verifyDatabase } from "../../src/ledger/index.js";
import { tempDir } from "../helpers.js";

describe("crash safety", () => {
  it("survives SIGKILL mid-burst", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const side = join(dir, "ran.txt");
    const child = fork(join(import.meta.dirname, "fixtures/burst-child.mjs"), [db, side], {
      stdio: "ignore",
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    // Let it run until a few thousand bodies have run, then kill it without warning.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (existsSync(side) && readFileSync(side, "utf8").split("\n").length > 3000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    const ran = readFileSync(side, "utf8").split("\n").filter(Boolean);
    expect(ran.length).toBeGreaterThan(3000);

    const verdict = await verifyDatabase(db);
    expect(verdict).toMatchObject({ ok: true });

    // Reopen as a restart would, then check each body that ran has its durable intent record.
    const warden = await Warden.open({ policy: { allowed_tools: ["write_row"] }, db });
    try {
      const intents = await warden.ledger.store.query({ kinds: ["call.intent"], limit: 1_000_000 });
      const recorded = new Set(intents.map((r) => r.callId));
      const missing = ran.filter((id) => !recorded.has(id));
      expect(missing).toEqual([]);
    } finally {
      await warden.close();
    }
    expect(await verifyDatabase(db)).toMatchObject({ ok: true });
  });
});
