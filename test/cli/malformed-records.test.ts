// The audit commands show a record whose data does not match its kind's schema as malformed, with its
// chain and seq, instead of reading it as empty strings (the ledger is real: SQLite, written by Warden).
import { describe, expect, it } from "vitest";
import { appendUnchecked, intent, sqliteLedger, tempDir } from "../ledger/helpers.js";
import { cli } from "./run-cli.js";

/** A ledger with a good call, then a call.intent whose decision is a number and an alert whose severity is one. */
async function ledgerWithMalformed(): Promise<{
  dir: string;
  db: string;
  intentSeq: number;
  alertSeq: number;
}> {
  const dir = tempDir();
  const { ledger, db } = await sqliteLedger(dir);
  await ledger.append(intent(1));
  const intentSeq = await appendUnchecked(
    ledger.store,
    ledger.chain,
    "call.intent",
    { tool: "wire_money", args: {}, decision: 7 },
    { session: "s-1", agent: "bot", callId: "c-bad" },
  );
  const alertSeq = await appendUnchecked(
    ledger.store,
    ledger.chain,
    "alert",
    { type: "detect:dlp", severity: 9 },
    { session: "s-1", agent: "bot", callId: "c-bad" },
  );
  await ledger.checkpointNow();
  await ledger.close();
  return { dir, db, intentSeq, alertSeq };
}

describe("a malformed record in the audit commands", () => {
  it("warden who fails on it, naming chain, seq and the field, instead of printing empty fields", async () => {
    const { dir, db, intentSeq } = await ledgerWithMalformed();
    const out = await cli(["who", "c-bad", "--db", db], dir);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `malformed call.intent record (chain main, seq ${intentSeq}): data.decision`,
    );
    // A well-formed call of the same ledger still reads.
    expect((await cli(["who", "c-1", "--db", db], dir)).code).toBe(0);
  });

  it("warden log and warden alerts list it as MALFORMED", async () => {
    const { dir, db, intentSeq, alertSeq } = await ledgerWithMalformed();
    const log = await cli(["log", "--db", db], dir);
    expect(log.code).toBe(0);
    const row = log.stdout.split("\n").find((l) => l.includes(`#${intentSeq} `));
    expect(row).toContain("MALFORMED: malformed call.intent record");
    const alerts = await cli(["alerts", "--db", db], dir);
    expect(alerts.stdout).toContain(`#${alertSeq}  MALFORMED: malformed alert record`);
    expect(alerts.stdout).toContain("data.severity");
  });
});
