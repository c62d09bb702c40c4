// A library call whose process died while it waited: its approval says the waiting caller is gone.
import { fork } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Warden } from "../../src/index.js";
import { cli } from "../cli/run-cli.js";
import { onCleanup, tempDir } from "../helpers.js";

const POLICY = {
  default: "allow",
  rules: [{ id: "mail-asks", tool: "send_email", decision: "ask" }],
  approvals: { timeout: "10m" },
};

describe("an approval whose waiting caller died", () => {
  it("says the caller is running while it waits, and gone once its process was killed", async () => {
    const dir = tempDir();
    const db = join(dir, "ledger.db");
    const warden = await Warden.open({ policy: POLICY, db });
    onCleanup(() => warden.close());
    const child = fork(
      join(import.meta.dirname, "fixtures/waiting-caller-child.mjs"),
      [db, JSON.stringify(POLICY)],
      {
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      },
    );
    onCleanup(() => void child.kill("SIGKILL"));
    const q = warden.approvals.queue;
    const view = await vi.waitFor(
      async () => {
        await q.book.poll();
        const [pending] = q.book.list((v) => v.status === "pending", 1);
        expect(pending).toBeDefined();
        return pending!;
      },
      { timeout: 20_000 },
    );
    expect((await q.current(view)).callerState).toMatchObject({ state: "running" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect((await q.current(view)).callerState).toMatchObject({
      state: "gone",
      text: expect.stringContaining("nothing will run"),
    });
    const listed = await cli(["approvals", "--db", db], dir);
    expect(listed.stdout).toContain("is gone: nothing will run if this is approved");
  });
});
