// OCSF output through any sink: API Activity for calls, Detection Finding for alerts, Base Event otherwise;
// and an alert's severity, type and message as OCSF, CEF and syslog carry them.
// No npm package ships the OCSF schema, so events are checked against a zod schema of the fields Warden emits.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { OCSF_VERSION, recordEvent, toOcsf } from "../../src/export/index.js";
import { toCef } from "../../src/export/sinks/syslog/cef.js";
import { syslogSeverity } from "../../src/export/sinks/syslog/rfc5424.js";
import { openWarden, tempDir } from "../helpers.js";
import { alertEvent, expectedIds, POLICY, runCalls, waitFor } from "./helpers.js";
import { parseCef } from "./receivers/syslog.js";

const metadata = z.object({
  version: z.literal(OCSF_VERSION),
  uid: z.string().regex(/^[^:]+:(checkpoint:)?\d+$/),
  correlation_uid: z.string(),
  product: z.object({ name: z.literal("Warden"), vendor_name: z.literal("Warden") }),
  log_name: z.string(),
  sequence: z.int().positive(),
});
const base = {
  activity_id: z.int(),
  severity_id: z.int().min(0).max(6),
  time: z.int().positive(),
  metadata,
  unmapped: z.record(z.string(), z.unknown()),
};
const actor = z.object({
  app_name: z.string(),
  session: z.object({ uid: z.string() }),
  user: z.object({ name: z.string() }).optional(),
});
const apiActivity = z.strictObject({
  ...base,
  class_uid: z.literal(6003),
  category_uid: z.literal(6),
  type_uid: z.literal(600399),
  activity_name: z.string(),
  status_id: z.union([z.literal(1), z.literal(2), z.literal(99)]),
  status: z.enum(["Success", "Failure", "Pending approval"]),
  status_detail: z.enum(["decision: allow", "decision: deny", "decision: ask"]).optional(),
  actor,
  api: z.object({
    operation: z.string(),
    service: z.object({ name: z.string() }),
    request: z.object({ uid: z.string() }),
  }),
  src_endpoint: z.object({ name: z.string() }),
});
const finding = z.strictObject({
  ...base,
  class_uid: z.literal(2004),
  category_uid: z.literal(2),
  type_uid: z.literal(200401),
  activity_name: z.literal("Create"),
  finding_info: z.object({ uid: z.string(), title: z.string(), types: z.array(z.string()).min(1) }),
  actor,
});
const baseEvent = z.strictObject({
  ...base,
  class_uid: z.literal(0),
  category_uid: z.literal(0),
  type_uid: z.literal(99),
  activity_name: z.string(),
  message: z.string(),
});
const ocsfEvent = z.union([apiActivity, finding, baseEvent]);

describe("ocsf format", () => {
  it("emits schema-valid OCSF events for every record, with the stable id as metadata.uid", async () => {
    const out = tempDir();
    const path = join(out, "ocsf.jsonl");
    const { warden } = await openWarden(
      { ...POLICY, export: { sinks: [{ name: "ocsf-file", type: "jsonl", path, format: "ocsf" }] } },
      { export: { pollMs: 50 } },
    );
    await runCalls(warden, 5);
    await warden.ledger.append({
      kind: "alert",
      session: null,
      agent: null,
      callId: null,
      data: { type: "canary.hit" },
    });
    const ids = await expectedIds(warden);
    const read = () =>
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { metadata: { uid: string } });
    await waitFor(() => {
      try {
        return ids.every((id) => read().some((e) => e.metadata.uid === id));
      } catch {
        return false;
      }
    });
    const events = read().map((e) => ocsfEvent.parse(e));
    const blocked = events.find((e) => e.class_uid === 6003 && e.status_detail === "decision: deny");
    expect(blocked).toMatchObject({
      api: { operation: "send_email" },
      status: "Failure",
      actor: { user: { name: "alice@example.com" } },
    });
    expect(events.filter((e) => e.class_uid === 2004)).toHaveLength(1);
    expect(events.some((e) => e.class_uid === 0 && e.activity_name === "session.start")).toBe(true);
  });
});

describe("alert severity on the wire", () => {
  it("keeps each alert's own severity, type and message in OCSF, CEF and syslog", () => {
    const canary = alertEvent({
      type: "detect:canary",
      severity: "critical",
      message: "canary token in read_ticket",
    });
    const drift = alertEvent({ type: "detect:drift", severity: "low", message: "unusual step" });
    const bare = alertEvent({ type: "export.dead_letter" });
    expect([canary, drift, bare].map((e) => toOcsf(e).severity_id)).toEqual([5, 2, 4]);
    expect(toOcsf(canary)).toMatchObject({
      message: "canary token in read_ticket",
      finding_info: { title: "detect:canary", desc: "canary token in read_ticket" },
    });
    const cef = parseCef(toCef(canary));
    expect(cef.severity).toBe("10");
    expect(cef.ext).toMatchObject({ cat: "detect:canary", msg: "canary token in read_ticket" });
    expect(parseCef(toCef(drift)).severity).toBe("3");
    // RFC 5424 severities: critical 2, notice 5, error 3.
    expect([canary, drift, bare].map(syslogSeverity)).toEqual([2, 5, 3]);
  });

  it("exports a call held for people as pending, with the decision as the status detail", () => {
    const intent = recordEvent({
      v: 1,
      chain: "main",
      seq: 2,
      ts: "2026-01-01T00:00:00.000Z",
      hash: "0",
      kind: "call.intent",
      session: "ses_1",
      agent: "support-bot",
      callId: "call_1",
      data: { tool: "send_email", decision: { effect: "ask", enforced: "ask", ruleId: "r", reason: "r" } },
    });
    expect(toOcsf(intent)).toMatchObject({
      status_id: 99,
      status: "Pending approval",
      status_detail: "decision: ask",
    });
    expect(toOcsf(intent)).not.toHaveProperty("disposition");
  });

  it("rates a refused call of a format-1 record (decision.effect, no enforced) as every format does", () => {
    const denied = recordEvent({
      v: 1,
      chain: "main",
      seq: 3,
      ts: "2026-01-01T00:00:00.000Z",
      hash: "0",
      kind: "call.intent",
      session: "ses_1",
      agent: "support-bot",
      callId: "call_2",
      data: { tool: "send_email", decision: { effect: "deny", ruleId: "r", reason: "r" } },
    });
    expect(toOcsf(denied)).toMatchObject({ severity_id: 3, status: "Failure" });
    expect(parseCef(toCef(denied)).severity).toBe("5");
  });
});
