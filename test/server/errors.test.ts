// Errors that say what happened: one code per mistake, JSON for every error, nothing altered on its way in.
import { request } from "node:http";
import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import type { Warden } from "../../src/index.js";
import { mountStatic } from "../../src/server/dashboard-static.js";
import { createToken, type RunningServer, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden, PLAIN_POLICY, tempDir } from "../helpers.js";
import { apiClient } from "./api-client.js";

let warden: Warden;
let server: RunningServer;
let admin: string;
const api = apiClient(() => server.url);

beforeEach(async () => {
  ({ warden } = await openWarden(PLAIN_POLICY));
  server = await startServer(warden, { port: 0 });
  onCleanup(() => server.close());
  admin = (await createToken(warden.ledger.store, { role: "admin" })).token;
});

/** A POST of raw bytes, so a body can hold what no JS string can (invalid UTF-8). */
function postBytes(path: string, body: Buffer) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${server.url}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${admin}`,
        "content-type": "application/json",
        "content-length": body.length,
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function errorOf(res: Response): Promise<{ code: string }> {
  return ((await res.json()) as { error: { code: string } }).error;
}

async function session() {
  return (await warden.session({ agent: "err-bot", onBehalfOf: "u@example.com", intent: "errors" })).id;
}

describe("HTTP errors", () => {
  it("an age in ?since beyond what a date can hold is 400 INVALID_REQUEST, not 500", async () => {
    for (const since of ["9999999999999d", `${"9".repeat(400)}d`]) {
      const res = await api("GET", `/v1/ledger?since=${since}`, admin);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("INVALID_REQUEST");
    }
    expect((await api("GET", "/v1/ledger?since=7d", admin)).status).toBe(200);
  });

  it("a body that is not UTF-8 is refused with 400 and nothing reaches the ledger", async () => {
    const id = await session();
    const before = (await warden.ledger.head())?.seq;
    const prefix = Buffer.from(`{"session":"${id}","tool":"read_database","args":{"q":"`);
    for (const bad of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]]) {
      const body = Buffer.concat([prefix, Buffer.from(bad), Buffer.from('"}}')]);
      const res = await postBytes("/v1/decisions", body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe("INVALID_REQUEST");
    }
    expect((await warden.ledger.head())?.seq).toBe(before);
    const ok = await postBytes(
      "/v1/decisions",
      Buffer.concat([prefix, Buffer.from("é€😀"), Buffer.from('"}}')]),
    );
    expect(ok.status).toBe(200);
    const [intent] = await warden.ledger.store.query({
      callId: JSON.parse(ok.body).callId,
      kinds: ["call.intent"],
    });
    expect(intent?.data.args).toEqual({ q: "é€😀" });
  });

  it("a lone surrogate is INVALID_REQUEST in every session field", async () => {
    for (const field of ["agent", "onBehalfOf", "intent"]) {
      const body = { agent: "err-bot", onBehalfOf: "u", intent: "i", [field]: "a\ud800b" };
      const res = await api("POST", "/v1/sessions", admin, body);
      expect([field, res.status, res.body.error.code]).toEqual([field, 400, "INVALID_REQUEST"]);
    }
    await expect(
      warden.session({ agent: "err-bot", onBehalfOf: "\udc00", intent: "i" }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });

  it("arguments nested too deep get INVALID_ARGS at every depth, as in the library", async () => {
    const id = await session();
    const codes = new Map<number, string>();
    for (let depth = 58; depth <= 70; depth++) {
      const args = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const res = await api(
        "POST",
        "/v1/decisions",
        admin,
        `{"session":"${id}","tool":"read_database","args":${args}}`,
      );
      codes.set(depth, res.status === 200 ? "ok" : res.body.error.code);
    }
    const refused = [...codes.entries()].filter(([, code]) => code !== "ok");
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map(([, code]) => code))).toEqual(new Set(["INVALID_ARGS"]));
    // Deep nesting outside the arguments is a malformed request.
    const deepTool = await api(
      "POST",
      "/v1/decisions",
      admin,
      `{"session":"${id}","tool":${"[".repeat(80)}${"]".repeat(80)}}`,
    );
    expect(deepTool.body.error.code).toBe("INVALID_REQUEST");
  });

  it("every error is JSON: unknown assets, an unbuilt dashboard, unknown routes", async () => {
    const asset = await fetch(`${server.url}/assets/nope.js`);
    expect(asset.status).toBe(404);
    expect(asset.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await errorOf(asset)).code).toBe("NOT_FOUND");
    const route = await fetch(`${server.url}/nope`);
    expect((await errorOf(route)).code).toBe("NOT_FOUND");
    // An empty folder: no built dashboard.
    const app = new Hono();
    mountStatic(app, tempDir());
    const page = await app.request("/");
    expect(page.status).toBe(503);
    expect((await errorOf(page)).code).toBe("DASHBOARD_UNAVAILABLE");
  });
});
