// Detections through the gate: DLP, canaries, intent, suppressions that expire, and failing closed.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Detections } from "../../src/detect/index.js";
import { Warden } from "../../src/index.js";
import { parsePolicy } from "../../src/policy/index.js";
import { onCleanup, openWarden } from "../helpers.js";
import { alertsOf, intentOf, LABELLED, outcome } from "./helpers.js";

const AWS = "AKIAIOSFODNN7EXAMPLE";

describe("dlp", () => {
  it("denies credentials going out with ruleId detect:dlp and an alert without the value", async () => {
    const { warden } = await openWarden({ ...LABELLED, detect: { dlp: { action: "deny" } } });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const code = await outcome(s.run("http_post", { body: `key=${AWS}` }, () => 1, { callId: "c1" }));
    expect(code).toBe("TOOL_DENIED");
    expect((await intentOf(warden, "c1")).decision).toMatchObject({ effect: "deny", ruleId: "detect:dlp" });
    const [alert] = await alertsOf(warden);
    expect(alert!.data).toMatchObject({ detector: "dlp", severity: "high", callIds: ["c1"], session: s.id });
    expect(JSON.stringify(alert)).not.toContain(AWS);
    // The intent record keeps the argument holding the credential only as a digest.
    const [intent] = await warden.ledger.store.query({ callId: "c1", kinds: ["call.intent"] });
    expect(JSON.stringify(intent)).not.toContain(AWS);
    expect(intent!.data.redacted).toEqual(["$.body"]);
    expect(await outcome(s.run("http_post", { body: "hello world, nothing here" }, () => 1))).toBe("ok");
  });

  it("keeps a credential used as an object key out of the intent record and the alert", async () => {
    const { warden } = await openWarden({ ...LABELLED, detect: { dlp: { action: "alert" } } });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    await s.check("http_post", { headers: { [`X-Key ${AWS}`]: "1" }, to: "ops" }, { callId: "k1" });
    await s.check("http_post", { [AWS]: "x" }, { callId: "k2" });
    // What lies under such a key, a credential or an address, is reported without spelling the key.
    const token = ["ghp", "abcdefghijklmnopqrstuvwxyz0123456789"].join("_");
    await s.check("http_post", { auth: { [AWS]: { token, to: "a@corp.example" } } }, { callId: "k3" });
    const records = await warden.ledger.store.query({ kinds: ["call.intent", "alert"] });
    expect(records).toHaveLength(6);
    expect(JSON.stringify(records)).not.toContain(AWS);
    // The object holding the key is kept as a digest; its siblings stay readable.
    const argsOf = async (callId: string) =>
      (await warden.ledger.store.query({ callId, kinds: ["call.intent"] }))[0]!.data.args;
    expect(await argsOf("k1")).toMatchObject({
      headers: expect.stringMatching(/^sha256:/),
      to: "ops",
    });
    expect(await argsOf("k2")).toEqual(expect.stringMatching(/^sha256:/));
    expect(await argsOf("k3")).toEqual({ auth: expect.stringMatching(/^sha256:/) });
    expect(JSON.stringify(records)).not.toContain(token);
  });

  it("refuses a session tree's sends to external tools past its budget, in pieces under the per-call limit", async () => {
    const { warden } = await openWarden({
      ...LABELLED,
      detect: { dlp: { action: "deny", maxExternalBytes: 500, maxExternalBytesPerSession: 1000 } },
    });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const sub = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x", parent: s.id });
    const chunk = { body: "d".repeat(300) };
    expect(await outcome(s.run("send_email", chunk, () => 1))).toBe("ok");
    expect(await outcome(sub.run("send_email", chunk, () => 1))).toBe("ok");
    // Internal tools do not count.
    expect(await outcome(s.run("save_note", { body: "d".repeat(2000) }, () => 1))).toBe("ok");
    expect(await outcome(s.run("send_email", chunk, () => 1))).toBe("ok");
    // The fourth chunk takes the tree past 1,000 bytes, sub-agent included.
    expect(await outcome(sub.run("send_email", chunk, () => 1))).toBe("TOOL_DENIED");
    const alert = (await alertsOf(warden)).at(-1);
    expect(alert?.data).toMatchObject({ detector: "dlp", details: { kind: "session-volume", limit: 1000 } });
    // Another session has its own budget.
    const other = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    expect(await outcome(other.run("send_email", chunk, () => 1))).toBe("ok");
  });

  it("flags a large payload to a tool labelled external, not to an internal one", async () => {
    const { warden } = await openWarden({
      ...LABELLED,
      detect: { dlp: { action: "deny", piiAction: "alert", maxExternalBytes: 100 } },
    });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const big = { body: "x".repeat(500) };
    expect(await outcome(s.run("save_note", big, () => 1))).toBe("ok");
    expect(await outcome(s.run("send_email", big, () => 1))).toBe("ok");
    const alerts = await alertsOf(warden);
    expect(alerts.map((a) => (a.data.details as { kind: string }).kind)).toEqual(["large-payload"]);
  });

  it("a suppression stops findings for its tool until it expires", async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const past = new Date(Date.now() - 1000).toISOString();
    const suppress = (expires: string) => ({
      ...LABELLED,
      detect: {
        dlp: { action: "deny", pii: ["email"] },
        suppress: [{ detector: "dlp", tool: "crm_*", reason: "CRM stores contacts by design", expires }],
      },
    });
    const live = (await openWarden(suppress(future))).warden;
    const s = await live.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    expect(await outcome(s.run("crm_update", { email: "ann@customer.example" }, () => 1))).toBe("ok");
    expect(await outcome(s.run("send_email", { to: "ann@customer.example" }, () => 1))).toBe("TOOL_DENIED");
    expect(await alertsOf(live)).toHaveLength(1);

    const expired = (await openWarden(suppress(past))).warden;
    const t = await expired.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    expect(await outcome(t.run("crm_update", { email: "ann@customer.example" }, () => 1))).toBe(
      "TOOL_DENIED",
    );
  });

  it("log action records the finding on the call, raises no alert and lets it run", async () => {
    const { warden } = await openWarden({
      detect: { dlp: { action: "log", pii: ["email"] } },
      default: "allow",
    });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    await s.run("t", { to: "ann@customer.example" }, () => 1, { callId: "l1" });
    expect(await alertsOf(warden)).toHaveLength(0);
    expect((await intentOf(warden, "l1")).detections).toMatchObject([{ detector: "dlp", action: "log" }]);
  });
});

describe("canary tokens", () => {
  it("denies any call carrying a canary, even after a restart, and raises a critical alert", async () => {
    const { warden, dir } = await openWarden({ default: "allow" });
    const canary = await warden.createCanary("aws-key", "seed data");
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const code = await outcome(
      s.run("upload", { text: `creds: ${canary.value}` }, () => 1, { callId: "k1" }),
    );
    expect(code).toBe("TOOL_DENIED");
    expect((await intentOf(warden, "k1")).decision.ruleId).toBe("detect:canary");
    expect((await alertsOf(warden))[0]!.data).toMatchObject({
      detector: "canary",
      severity: "critical",
      callIds: ["k1"],
      details: { canaries: [{ id: canary.id, kind: "aws-key", label: "seed data", path: "$.text" }] },
    });
    await warden.close();

    const again = await Warden.open({ policy: { default: "allow" }, db: join(dir, "ledger.db") });
    onCleanup(() => again.close());
    const t = await again.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    expect(await outcome(t.run("upload", { to: canary.value.toLowerCase() }, () => 1))).toBe("TOOL_DENIED");
    expect(await outcome(t.run("upload", { to: "AKIAOTHERKEYEXAMPLE1" }, () => 1))).toBe("ok");
  });

  it("arms a canary another process minted on the same ledger", async () => {
    const { warden, db } = await openWarden({ default: "allow" }, { canaryPollMs: 20 });
    const other = await Warden.open({ policy: { default: "allow" }, db });
    const canary = await other.createCanary("url", "wiki link");
    await other.close();
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    let code = "ok";
    for (let i = 0; i < 100 && code === "ok"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      code = (await s.check("fetch", { url: canary.value })).effect === "deny" ? "denied" : "ok";
    }
    expect(code).toBe("denied");
  });

  it("finds a canary encoded: base64 at any alignment, base64url, hex, URL-encoded, JSON-escaped, look-alike letters", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const canary = await warden.createCanary("record", "decoy customer");
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const v = canary.value;
    for (const text of [
      Buffer.from(v).toString("base64"),
      Buffer.from(`a${v}`).toString("base64"),
      Buffer.from(`ab${v}!`).toString("base64url"),
      Buffer.from(v).toString("hex").toUpperCase(),
      `q=${encodeURIComponent(`"${v}"`)}`,
      JSON.stringify(JSON.stringify({ id: v })),
      v.toUpperCase(),
      // Full-width letters (U+FF01..U+FF5E mirror ASCII), and a zero-width space spliced in.
      v.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
      `${v.slice(0, 5)}\u200b${v.slice(5)}`,
      // One encoding wrapped in another.
      Buffer.from(Buffer.from(v).toString("base64")).toString("base64"),
      Buffer.from(`id=${encodeURIComponent(v)}`).toString("base64"),
    ]) {
      expect((await s.check("upload", { text })).effect, text).toBe("deny");
    }
    const [alert] = await alertsOf(warden);
    expect(alert!.data).toMatchObject({ details: { canaries: [{ id: canary.id, form: "base64" }] } });
  });

  it("registers an existing honeytoken with addCanary, and refuses one too short to be unique", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const canary = await warden.addCanary("ghp_decoyDecoyDecoy0000", "planted token");
    expect(canary.kind).toBe("custom");
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    expect((await s.check("upload", { text: `token ghp_decoyDecoyDecoy0000 here` })).effect).toBe("deny");
    await expect(warden.addCanary("abc")).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });

  it("finds a numeric honeytoken sent as a JSON number, alone or inside a longer one", async () => {
    const { warden } = await openWarden({ default: "allow" });
    await warden.addCanary("740012345678", "decoy account number");
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    for (const account of [740012345678, -740012345678, 97400123456781]) {
      expect((await s.check("wire", { account })).effect, String(account)).toBe("deny");
    }
    expect((await s.check("wire", { account: 740012345679 })).effect).toBe("allow");
  });

  it("mints distinct values of every kind", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const values = new Set<string>();
    for (const kind of ["aws-key", "email", "url", "record"] as const) {
      values.add((await warden.createCanary(kind)).value);
      values.add((await warden.createCanary(kind)).value);
    }
    expect(values.size).toBe(8);
  });
});

describe("intent", () => {
  const policy = (action: string) => ({
    default: "allow",
    intents: { "answer ticket*": ["read_ticket", "kb__*", "send_email"] },
    detect: { intent: { action } },
  });

  it("alerts on a tool outside the declared intent and stays quiet inside it", async () => {
    const { warden } = await openWarden(policy("alert"));
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "Answer ticket #42" });
    await s.run("kb__search", { q: "reset" }, () => 1);
    expect(await outcome(s.run("delete_user", { id: 7 }, () => 1, { callId: "d1" }))).toBe("ok");
    const alerts = await alertsOf(warden);
    expect(alerts.map((a) => [a.data.detector, a.callId])).toEqual([["intent", "d1"]]);
  });

  it("denies with action deny; an intent no entry describes is not checked", async () => {
    const { warden } = await openWarden(policy("deny"));
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "answer ticket 7" });
    expect(await outcome(s.run("delete_user", {}, () => 1))).toBe("TOOL_DENIED");
    const other = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "housekeeping" });
    expect(await outcome(other.run("delete_user", {}, () => 1))).toBe("ok");
  });
});

describe("failing closed", () => {
  it("a detector that throws applies its configured action", () => {
    const policy = parsePolicy(
      JSON.stringify({ default: "allow", detect: { dlp: { action: "deny" } } }),
      "<t>",
    );
    const broken = {
      ...policy.detect,
      labelsOf: () => {
        throw new Error("boom");
      },
    };
    const d = new Detections();
    const r = d.screen(
      { callId: "c", tool: "t", args: { a: 1 }, session: { id: "s", agent: "a", intent: "i" }, now: 0 },
      broken,
      { effect: "allow", ruleId: "default", reason: "default" },
      false,
    );
    expect(r.verdict).toMatchObject({ effect: "deny", ruleId: "detect:dlp" });
    expect(r.alerts[0]!.data).toMatchObject({ detector: "dlp", details: { code: "DETECTOR_FAILED" } });
  });

  it("monitor mode records the detector's verdict and alert but lets the call run", async () => {
    const { warden } = await openWarden({ mode: "monitor", default: "allow", detect: { dlp: {} } });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const d = await s.check("t", { key: AWS });
    expect(d).toMatchObject({ effect: "deny", enforced: "allow", ruleId: "detect:dlp" });
    expect(await alertsOf(warden)).toHaveLength(1);
  });

  it("never weakens a policy deny", async () => {
    const { warden } = await openWarden({ default: "deny", detect: { dlp: { action: "ask" } } });
    const s = await warden.session({ agent: "bot", onBehalfOf: "u", intent: "x" });
    const d = await s.check("t", { key: AWS });
    expect(d).toMatchObject({ effect: "deny", ruleId: "default" });
    expect((await alertsOf(warden))[0]!.data.detector).toBe("dlp");
  });
});

describe("scoped DLP suppression through the gate", () => {
  it("lets personal data reach the CRM's host for the sales agent only, and nowhere else", async () => {
    const { warden } = await openWarden({
      default: "allow",
      detect: {
        dlp: { action: "deny", pii: ["email"] },
        suppress: [
          {
            detector: "dlp",
            tool: "http_post",
            hosts: ["api.crm.example"],
            agents: ["sales-bot"],
            reason: "CRM",
            expires: "2999-01-01",
          },
        ],
      },
    });
    const sales = await warden.session({ agent: "sales-bot", onBehalfOf: "u", intent: "x" });
    const other = await warden.session({ agent: "support-bot", onBehalfOf: "u", intent: "x" });
    const lead = (url: string) => ({ url, body: { email: "ann@customer.example" } });
    expect((await sales.check("http_post", lead("https://api.crm.example/leads"))).effect).toBe("allow");
    expect((await sales.check("http_post", lead("https://API.crm.example./leads"))).effect).toBe("allow");
    expect(
      (await sales.check("http_post", lead("https://evil.example/?u=https://api.crm.example/"))).effect,
    ).toBe("deny");
    expect((await sales.check("http_post", lead("https://api.crm.example.evil.com/"))).effect).toBe("deny");
    expect((await sales.check("http_post", { body: { email: "ann@customer.example" } })).effect).toBe("deny");
    expect((await other.check("http_post", lead("https://api.crm.example/leads"))).effect).toBe("deny");
    // URLs WHATWG reads without "//" (https:evil.example, backslashes) name hosts too; a backslash in a
    // URL is read differently by other parsers (Python's urllib takes the host after the @), so it never
    // counts as the CRM.
    for (const url of [
      "https:evil.example/collect",
      "https:/evil.example/collect",
      String.raw`https:\evil.example/collect`,
      String.raw`HTTPS:/\evil.example/collect`,
      String.raw`https://api.crm.example\@evil.example/leads`,
    ]) {
      const decoy = { ...lead(url), ref: "https://api.crm.example/leads" };
      expect((await sales.check("http_post", decoy)).effect, url).toBe("deny");
    }
  });
});
