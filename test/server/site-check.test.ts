// DNS rebinding defence: loopback listeners answer only to loopback names; browsers only from known origins.
import { describe, expect, it } from "vitest";
import { siteCheck, startServer } from "../../src/server/index.js";
import { onCleanup, openWarden, rawRequest } from "../helpers.js";

describe("siteCheck", () => {
  const loopback = siteCheck("127.0.0.1", () => ["https://agents.example.com"]);

  it("lets a loopback listener answer loopback names on any port, and nothing else", () => {
    for (const host of ["127.0.0.1:8787", "localhost:9000", "LOCALHOST", "[::1]:8787", "127.0.0.2:1"])
      expect(loopback(host, undefined)).toBeNull();
    for (const host of [
      undefined,
      "evil.example:8787",
      "127.0.0.1.evil.example",
      "[::2]:8787",
      "0.0.0.0:8787",
    ])
      expect(loopback(host, undefined)).toMatch(/^host not allowed/);
  });

  it("takes browser requests from loopback pages, the listener's own origin and allowed origins only", () => {
    expect(loopback("127.0.0.1:8787", "http://127.0.0.1:8787")).toBeNull();
    expect(loopback("127.0.0.1:8787", "http://localhost:6274")).toBeNull();
    expect(loopback("127.0.0.1:8787", "https://AGENTS.example.com")).toBeNull();
    for (const origin of ["http://evil.example", "null", "file://", "http://agents.example.com", "not a url"])
      expect(loopback("127.0.0.1:8787", origin)).toBe(`origin ${origin} not allowed`);
  });

  it("lets a reverse proxy pass the public host of an allowed origin", () => {
    expect(loopback("agents.example.com", "https://agents.example.com")).toBeNull();
    expect(loopback("agents.example.com:444", undefined)).toMatch(/^host not allowed/);
    const odd = siteCheck("127.0.0.1", () => ["http://[bad"]);
    expect(odd(undefined, undefined)).toMatch(/^host not allowed/);
  });

  it("on a network listener, checks origins only: same-origin pages pass under any host name", () => {
    const network = siteCheck("0.0.0.0");
    expect(network("warden.internal:8787", undefined)).toBeNull();
    expect(network("warden.internal:8787", "http://warden.internal:8787")).toBeNull();
    expect(network("warden.internal:8787", "http://evil.example")).toBe(
      "origin http://evil.example not allowed",
    );
  });
});

describe("warden start behind the check", () => {
  it("refuses a rebound host name and a foreign origin before any route, /healthz included", async () => {
    const { warden } = await openWarden({ default: "allow" });
    const server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    onCleanup(() => server.close());
    const get = (path: string, headers: Record<string, string>) =>
      rawRequest(`${server.url}${path}`, { headers });
    expect((await get("/healthz", {})).status).toBe(200);
    const rebound = await get("/healthz", { host: `evil.example:${server.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe("FORBIDDEN");
    expect((await get("/metrics", { origin: "http://evil.example" })).status).toBe(403);
    expect((await get("/healthz", { origin: `http://localhost:${server.port}` })).status).toBe(200);
  });

  it("takes the dashboard's pages from approvals.publicUrl, behind a reverse proxy", async () => {
    const { warden } = await openWarden({
      default: "allow",
      approvals: { publicUrl: "https://warden.corp.example/" },
    });
    const server = await startServer(warden, { host: "127.0.0.1", port: 0 });
    onCleanup(() => server.close());
    const status = async (headers: Record<string, string>) =>
      (await rawRequest(`${server.url}/healthz`, { headers })).status;
    expect(await status({ origin: "https://warden.corp.example" })).toBe(200);
    expect(await status({ host: "warden.corp.example", origin: "https://warden.corp.example" })).toBe(200);
    expect(await status({ origin: "https://evil.example" })).toBe(403);
  });
});
