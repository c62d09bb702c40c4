// Held arguments: deciders read the values the policy redacts, sealed beside the ledger (never in it),
// on SQLite and PostgreSQL, across a restart, and only while the approval is pending.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ArgsSeal, HeldArgs } from "../../src/approvals/index.js";
import { Warden, type WardenOptions } from "../../src/index.js";
import type { HeldArgsTable } from "../../src/ledger/index.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { admin, afterTest, freshSchema, pgAvailable } from "../ledger/pg.js";
import { apiClient } from "../server/api-client.js";

const SECRET_TEXT = "quarterly numbers: revenue 4.2M, do not forward";
const POLICY = {
  default: "allow",
  redact: { send_email: ["$.body"] },
  rules: [
    {
      id: "mail",
      tool: "send_email",
      decision: "ask",
      reason: "mail leaves the company",
      approval: { by: ["role:approver", "role:admin", "alice@sec.example.com"] },
    },
  ],
  approvals: { timeout: "10m", by: ["role:admin"] },
};

describe("ArgsSeal", () => {
  const seal = new ArgsSeal(randomBytes(32));

  it("opens what it sealed, for the same approval only", () => {
    const sealed = seal.seal("apr_1", { body: SECRET_TEXT });
    expect(sealed).not.toContain("quarterly");
    expect(seal.open("apr_1", sealed)).toEqual({ body: SECRET_TEXT });
    expect(() => seal.open("apr_2", sealed)).toThrow(
      expect.objectContaining({ code: "APPROVAL_ARGS_UNREADABLE" }),
    );
  });

  it("refuses an altered value and another key, and never seals twice alike", () => {
    const sealed = seal.seal("apr_1", { body: "x" });
    expect(seal.seal("apr_1", { body: "x" })).not.toBe(sealed);
    const parts = sealed.split(".");
    const flipped = Buffer.from(parts[3]!, "base64url");
    flipped[0]! ^= 1;
    parts[3] = flipped.toString("base64url");
    const code = { code: "APPROVAL_ARGS_UNREADABLE" };
    expect(() => seal.open("apr_1", parts.join("."))).toThrow(expect.objectContaining(code));
    expect(() => new ArgsSeal(randomBytes(32)).open("apr_1", sealed)).toThrow(expect.objectContaining(code));
    expect(() => seal.open("apr_1", "garbage")).toThrow(expect.objectContaining(code));
  });
});

interface Backend {
  name: string;
  skip: boolean;
  /** Options for a Warden on this backend; the same ones reopen the same database. */
  options: () => Promise<Partial<WardenOptions>>;
  /** Every byte the database holds of the ledger and the held arguments, as text to search. */
  dump: (options: Partial<WardenOptions>) => Promise<string>;
  heldRows: (options: Partial<WardenOptions>) => Promise<number>;
}

const sqlite: Backend = {
  name: "SQLite",
  skip: false,
  options: async () => ({ db: join(tempDir(), "ledger.db") }),
  dump: async (o) => {
    const db = new Database(o.db as string, { readonly: true });
    try {
      const records = db.prepare("SELECT * FROM records").all();
      const held = db.prepare("SELECT * FROM approval_args").all();
      return JSON.stringify([records, held]);
    } finally {
      db.close();
    }
  },
  heldRows: async (o) => {
    const db = new Database(o.db as string, { readonly: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM approval_args").get() as { n: number }).n;
    } finally {
      db.close();
    }
  },
};

const postgres: Backend = {
  name: "PostgreSQL",
  skip: !pgAvailable,
  options: async () => ({ db: freshSchema().url, signingKey: join(tempDir(), "ledger.key") }),
  dump: async (o) => {
    const schema = new URL(o.db as string).searchParams.get("schema")!;
    return admin(async (c) => {
      const records = await c.query("SELECT * FROM records");
      const held = await c.query("SELECT * FROM approval_args");
      return JSON.stringify([records.rows, held.rows]);
    }, schema);
  },
  heldRows: async (o) => {
    const schema = new URL(o.db as string).searchParams.get("schema")!;
    return admin(
      async (c) => Number((await c.query("SELECT count(*) AS n FROM approval_args")).rows[0].n),
      schema,
    );
  },
};

describe.each([sqlite, postgres])("held arguments on $name", (backend) => {
  let server: RunningServer;
  let warden: Warden;
  const api = apiClient(() => server.url);
  const later = backend === postgres ? afterTest : (fn: () => Promise<void>) => onCleanup(fn);

  async function open(options: Partial<WardenOptions>) {
    warden = await Warden.open({ policy: POLICY, ...options } as WardenOptions);
    server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    const w = warden;
    const s = server;
    later(async () => {
      await s.close();
      await w.close();
    });
  }

  async function tokens() {
    const mint = async (role: "agent" | "auditor" | "approver" | "admin", extra: object) =>
      (await createToken(warden.ledger.store, { role, ...extra })).token;
    return {
      agent: await mint("agent", { agent: "mail-bot" }),
      auditor: await mint("auditor", { name: "audrey@sec.example.com" }),
      approver: await mint("approver", { name: "alice@sec.example.com" }),
      admin: await mint("admin", { name: "root@sec.example.com" }),
    };
  }

  async function askMail(agentToken: string) {
    const session = await api("POST", "/v1/sessions", agentToken, {
      agent: "mail-bot",
      onBehalfOf: "carol@example.com",
      intent: "send the numbers",
    });
    const decided = await api("POST", "/v1/decisions", agentToken, {
      session: session.body.id,
      tool: "send_email",
      args: { to: "dave@example.com", body: SECRET_TEXT },
    });
    expect(decided.body).toMatchObject({ decision: "pending" });
    return { session: session.body.id as string, approvalId: decided.body.approval.id as string };
  }

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it.skipIf(backend.skip)(
    "shows deciders the redacted body, across a restart; auditors see digests; deleted when decided",
    async () => {
      const logged: string[] = [];
      for (const stream of [process.stdout, process.stderr]) {
        const write = stream.write.bind(stream);
        vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: never[]) => {
          logged.push(String(chunk));
          return write(chunk as string, ...rest);
        }) as typeof stream.write);
      }
      for (const level of ["log", "info", "warn", "error", "debug"] as const) {
        const original = console[level];
        vi.spyOn(console, level).mockImplementation((...a: unknown[]) => {
          logged.push(a.map(String).join(" "));
          original(...a);
        });
      }

      const options = await backend.options();
      await open(options);
      const t = await tokens();
      const { approvalId } = await askMail(t.agent);

      const asApprover = await api("GET", `/v1/approvals/${approvalId}`, t.approver);
      expect(asApprover.body.approval.args.body).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(asApprover.body.approval.heldArgs).toMatchObject({
        state: "held",
        args: { to: "dave@example.com", body: SECRET_TEXT },
      });
      const listed = await api("GET", "/v1/approvals", t.admin);
      expect(listed.body.approvals[0].heldArgs.args.body).toBe(SECRET_TEXT);
      // An auditor reads approvals but may not decide them: digests only.
      const asAuditor = await api("GET", `/v1/approvals/${approvalId}`, t.auditor);
      expect(asAuditor.body.approval.heldArgs).toBeNull();
      expect(JSON.stringify(asAuditor.body)).not.toContain("quarterly");
      expect(JSON.stringify((await api("GET", "/v1/approvals", t.auditor)).body)).not.toContain("quarterly");

      // Neither the ledger's records nor the held row hold the text in clear.
      expect(await backend.dump(options)).not.toContain("quarterly");
      expect(await backend.heldRows(options)).toBe(1);

      // A restart: the pending approval still shows its arguments.
      await server.close();
      await warden.close();
      await open(options);
      const again = await api("GET", `/v1/approvals/${approvalId}`, t.approver);
      expect(again.body.approval.heldArgs.args.body).toBe(SECRET_TEXT);

      const decided = await api("POST", `/v1/approvals/${approvalId}/decision`, t.approver, {
        decision: "approve",
      });
      expect(decided.status).toBe(200);
      await vi.waitFor(async () => expect(await backend.heldRows(options)).toBe(0));
      const after = await api("GET", `/v1/approvals/${approvalId}`, t.approver);
      expect(after.body.approval).toMatchObject({ status: "approved", heldArgs: null });
      expect(logged.join("\n")).not.toContain("quarterly");
    },
  );

  it.skipIf(backend.skip)(
    "another process on the same database reads them and its decision deletes them",
    async () => {
      const options = await backend.options();
      await open(options);
      const t = await tokens();
      const { approvalId } = await askMail(t.agent);
      // A second instance (PostgreSQL: its own chain) or process (SQLite: the same file), same signing key.
      const other = await Warden.open({ policy: POLICY, ...options } as WardenOptions);
      later(() => other.close());
      await other.approvals.queue.book.poll();
      const view = other.approvals.queue.book.get(approvalId)!;
      const read = await other.approvals.queue.heldArgsFor(view, {
        name: "alice@sec.example.com",
        role: "approver",
      });
      expect(read).toMatchObject({ state: "held", args: { body: SECRET_TEXT } });
      await other.approvals.queue.decide(approvalId, {
        decision: "deny",
        reason: "not this one",
        approver: { name: "alice@sec.example.com", role: "approver", via: "api" },
      });
      await vi.waitFor(async () => expect(await backend.heldRows(options)).toBe(0));
      const after = await api("GET", `/v1/approvals/${approvalId}`, t.approver);
      expect(after.body.approval).toMatchObject({ status: "denied", heldArgs: null });
    },
  );

  it.skipIf(backend.skip)("an approver the rule does not name sees digests only", async () => {
    const options = await backend.options();
    await open(options);
    const t = await tokens();
    const bob = (await createToken(warden.ledger.store, { role: "approver", name: "bob@sec.example.com" }))
      .token;
    // The rule's `by` names approvers by role too; a policy naming only admins and alice keeps bob out.
    await warden.close();
    await server.close();
    const narrow = {
      ...POLICY,
      rules: [{ ...POLICY.rules[0]!, approval: { by: ["alice@sec.example.com"] } }],
    };
    warden = await Warden.open({ policy: narrow, ...options } as WardenOptions);
    server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    const w = warden;
    const s = server;
    later(async () => {
      await s.close();
      await w.close();
    });
    const { approvalId } = await askMail(t.agent);
    expect((await api("GET", `/v1/approvals/${approvalId}`, bob)).body.approval.heldArgs).toBeNull();
    expect(
      (await api("GET", `/v1/approvals/${approvalId}`, t.approver)).body.approval.heldArgs.args.body,
    ).toBe(SECRET_TEXT);
  });

  it.skipIf(backend.skip)("deletes them when the approval expires and when its session ends", async () => {
    const options = await backend.options();
    await open(options);
    const t = await tokens();
    const first = await askMail(t.agent);
    const second = await askMail(t.agent);
    expect(await backend.heldRows(options)).toBe(2);

    // The session of the second ends: its approval is closed, and its arguments go.
    await api("POST", `/v1/sessions/${second.session}/end`, t.agent, {});
    await vi.waitFor(async () => expect(await backend.heldRows(options)).toBe(1));

    // Past the deadline (the clock moved, timers did not): nothing is read, the expiry deletes the row.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    const expired = await api("GET", `/v1/approvals/${first.approvalId}`, t.approver);
    expect(expired.body.approval).toMatchObject({ status: "expired", heldArgs: null });
    await warden.approvals.queue.expire(first.approvalId);
    await vi.waitFor(async () => expect(await backend.heldRows(options)).toBe(0));
  });

  it.skipIf(backend.skip)(
    "reads nothing past the deadline and sweeps the row, on the store's own table",
    async () => {
      const options = await backend.options();
      await open(options);
      const table = warden.ledger.store.heldArgs as HeldArgsTable;
      let now = Date.parse("2026-01-01T00:00:00.000Z");
      const held = new HeldArgs(table, new ArgsSeal(randomBytes(32)), () => now);
      await held.hold(
        { id: "apr_t", session: "ses_t", expiresAt: new Date(now + 1000).toISOString() },
        { a: 1 },
      );
      now += 999;
      expect(await held.read("apr_t")).toMatchObject({ state: "held", args: { a: 1 } });
      now += 1;
      expect(await held.read("apr_t")).toEqual({ state: "none" });
      expect(await held.sweep()).toBe(1);
      expect(await held.sweep()).toBe(0);
    },
  );
});

describe("held arguments when the ledger write fails", () => {
  it("keeps nothing for an approval that was never recorded", async () => {
    const { MemoryStore } = await import("../../src/ledger/index.js");
    const store = new MemoryStore();
    const warden = await Warden.open({ policy: POLICY, db: store });
    onCleanup(() => warden.close());
    const session = await warden.session({ agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "x" });
    store.failNext(1);
    await expect(
      session.check("send_email", { to: "d@example.com", body: SECRET_TEXT }),
    ).rejects.toMatchObject({
      code: "LEDGER_UNAVAILABLE",
    });
    expect(store.heldArgs.size).toBe(0);
    const ok = await session.check("send_email", { to: "d@example.com", body: SECRET_TEXT });
    expect(ok.approval?.status).toBe("pending");
    expect(store.heldArgs.size).toBe(1);
  });
});

// The key is derived from the signing key, so it is nowhere in the database file.
describe("the arguments key", () => {
  it("is not in the ledger's file", async () => {
    const dir = tempDir();
    const warden = await Warden.open({ policy: POLICY, db: join(dir, "ledger.db") });
    onCleanup(() => warden.close());
    const session = await warden.session({ agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "x" });
    await session.check("send_email", { to: "d@example.com", body: SECRET_TEXT });
    await warden.close();
    const bytes = readFileSync(join(dir, "ledger.db"));
    expect(bytes.includes(Buffer.from("quarterly"))).toBe(false);
  });
});

describe("held arguments in webhook payloads", () => {
  it("go only to a webhook that opted in (includeArgs)", async () => {
    const bodies = new Map<string, string>();
    const receiver = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => {
        text += c.toString("utf8");
      });
      req.on("end", () => {
        bodies.set(req.url ?? "", text);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    onCleanup(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const secret = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
    const policy = {
      ...POLICY,
      approvals: {
        ...POLICY.approvals,
        webhooks: [
          { name: "deciders", url: `${base}/deciders`, secretEnv: "HOOK_SECRET", includeArgs: true },
          { name: "everyone", url: `${base}/everyone`, secretEnv: "HOOK_SECRET" },
        ],
      },
    };
    const warden = await Warden.open({
      policy,
      db: join(tempDir(), "ledger.db"),
      env: { HOOK_SECRET: secret },
    });
    onCleanup(() => warden.close());
    const session = await warden.session({ agent: "mail-bot", onBehalfOf: "carol@example.com", intent: "x" });
    await session.check("send_email", { to: "d@example.com", body: SECRET_TEXT });
    await vi.waitFor(() => expect(bodies.size).toBe(2));
    const deciders = JSON.parse(bodies.get("/deciders")!);
    expect(deciders.data.approval.heldArgs).toEqual({ to: "d@example.com", body: SECRET_TEXT });
    expect(deciders.data.approval.args.body).toMatch(/^sha256:/);
    expect(bodies.get("/everyone")).not.toContain("quarterly");
  });
});
