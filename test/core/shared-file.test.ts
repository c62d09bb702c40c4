// Two Wardens on one SQLite file (say `warden mcp` beside `warden start`): a session ended by one is
// refused by the other, which had it cached as open.
import { join } from "node:path";
import { expect, it } from "vitest";
import { Warden } from "../../src/index.js";
import { BubblewrapRunner } from "../../src/sandbox/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { runsProgram, until } from "../sandbox/fixtures.js";

const POLICY = { allowed_tools: ["read"] };

it("refuses a session's calls soon after another process on the same file ends it", async () => {
  const db = join(tempDir(), "ledger.db");
  const gateway = await Warden.open({ policy: POLICY, db });
  onCleanup(() => gateway.close());
  const server = await Warden.open({ policy: POLICY, db });
  onCleanup(() => server.close());

  const session = await gateway.session({ agent: "bot", onBehalfOf: "dana", intent: "read things" });
  expect((await session.check("read", {})).enforced).toBe("allow");
  await server.sessions.end(session.id, "ended by the SOC");

  const until = Date.now() + 3_000;
  let code: string | undefined;
  while (code === undefined && Date.now() < until) {
    code = await session.check("read", {}).then(
      () => undefined,
      (err: { code?: string }) => err.code,
    );
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(code).toBe("SESSION_ENDED");
  // Nothing but the refusals' absence: no intent was recorded after the end was seen.
  const records = await gateway.ledger.store.query({ session: session.id, kinds: ["session.end"] });
  expect(records.map((r) => r.data.reason)).toEqual(["ended by the SOC"]);
});

it.skipIf(!BubblewrapRunner.available())(
  "kills this process's sandboxed command when another process ends its session",
  async () => {
    const db = join(tempDir(), "ledger.db");
    const policy = { default: "allow", sandbox: { commands: { long_job: { timeout: "30s" } } } };
    const gateway = await Warden.open({ policy, db });
    onCleanup(() => gateway.close());
    const server = await Warden.open({ policy, db });
    onCleanup(() => server.close());

    const session = await gateway.session({ agent: "bot", onBehalfOf: "dana", intent: "a long job" });
    const started = Date.now();
    const run = session.command("long_job", {}, { command: ["sleep", "30"] });
    // End the session only once the command runs in its sandbox, so the end has something to kill.
    expect(await until(() => runsProgram(process.pid, "sleep"), 5_000)).toBe(true);
    await server.sessions.end(session.id, "ended by the SOC");
    const out = await run.catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The call stops with the session (the sandbox is killed too) and its outcome says why.
    expect(out).toMatchObject({ code: "SESSION_ENDED" });
    const outcomes = await gateway.ledger.store.query({ session: session.id, kinds: ["call.outcome"] });
    expect(outcomes.map((r) => r.data.error)).toEqual([{ code: "SESSION_ENDED" }]);
  },
);
