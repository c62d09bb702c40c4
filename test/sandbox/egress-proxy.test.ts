import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EgressProxy, type EgressProxyOptions, type EgressViolation } from "../../src/sandbox/index.js";
import { onCleanup, tempDir } from "../helpers.js";
import { fixedLookup, localServer } from "./fixtures.js";

async function startProxy(o: Partial<EgressProxyOptions> = {}) {
  const violations: EgressViolation[] = [];
  const lookup = fixedLookup({
    "allowed.test": "127.0.0.1",
    "evil.test": "127.0.0.1",
    "glob.example.com": "127.0.0.1",
    "rebind.example.com": ["8.8.8.8", "127.0.0.1"],
    "meta.example.com": "169.254.169.254",
  });
  const proxy = new EgressProxy({
    allow: ["allowed.test:*", "*.example.com:*"],
    deny: ["evil.test"],
    lookup,
    onViolation: (v) => {
      violations.push(v);
    },
    ...o,
  });
  const address = await proxy.start();
  onCleanup(() => proxy.close());
  return { proxy, address, violations, lookup };
}

/** A plain-HTTP request through the proxy (absolute URI). */
function viaProxy(
  proxyPort: number,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; refusal: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: proxyPort, path: url, headers: { host: new URL(url).host, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            refusal: res.headers["x-warden-refusal"] as string | undefined,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** CONNECT host:port, then a plain HTTP/1.0 request through the tunnel; the status of each. */
function tunnel(proxyPort: number, target: string): Promise<{ connect: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: proxyPort, method: "CONNECT", path: target });
    req.on("connect", (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return resolve({ connect: res.statusCode ?? 0, body: "" });
      }
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => resolve({ connect: 200, body: Buffer.concat(chunks).toString() }));
      socket.write(`GET /tunnelled HTTP/1.0\r\nHost: ${target}\r\n\r\n`);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("EgressProxy", () => {
  it("forwards plain HTTP and CONNECT to an allowed host, refuses the rest with 403 and a violation", async () => {
    const server = await localServer();
    const { address, violations } = await startProxy();
    const port = address.port!;

    expect(await viaProxy(port, `http://allowed.test:${server.port}/hello?x=1`)).toMatchObject({
      status: 200,
      body: "ok /hello?x=1",
    });
    expect(await tunnel(port, `allowed.test:${server.port}`)).toMatchObject({ connect: 200 });
    expect(server.seen.map((s) => s.url)).toEqual(["/hello?x=1", "/tunnelled"]);

    expect(await viaProxy(port, `http://evil.test:${server.port}/`)).toMatchObject({
      status: 403,
      refusal: "denied_host",
    });
    expect(await tunnel(port, `nowhere.test:${server.port}`)).toMatchObject({ connect: 403 });
    // Allowed by a glob, but it resolves to loopback: refused.
    expect(await viaProxy(port, `http://glob.example.com:${server.port}/`)).toMatchObject({
      refusal: "blocked_address",
    });
    expect(await viaProxy(port, `http://169.254.169.254/latest/meta-data/`)).toMatchObject({
      refusal: "ip_literal",
    });
    expect(await viaProxy(port, `http://127.0.0.1:${server.port}/`)).toMatchObject({ refusal: "ip_literal" });
    expect(await tunnel(port, `[::1]:${server.port}`)).toMatchObject({ connect: 403 });
    expect(await viaProxy(port, `http://meta.example.com/`)).toMatchObject({ refusal: "metadata_address" });
    expect(server.seen).toHaveLength(2);
    expect(violations.map((v) => v.reason)).toEqual([
      "denied_host",
      "not_allowed",
      "blocked_address",
      "ip_literal",
      "ip_literal",
      "ip_literal",
      "metadata_address",
    ]);
    expect(violations[0]).toEqual({ host: "evil.test", port: server.port, reason: "denied_host" });
  });

  it("is no open relay: origin-form requests and https:// absolute URIs are refused", async () => {
    const server = await localServer();
    const { address, violations } = await startProxy();
    expect(await viaProxy(address.port!, `https://allowed.test:${server.port}/`)).toMatchObject({
      status: 403,
    });
    const origin = await new Promise<number>((resolve, reject) => {
      request({ host: "127.0.0.1", port: address.port!, path: "/" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });
    expect(origin).toBe(403);
    expect(violations.every((v) => v.reason === "bad_request")).toBe(true);
    expect(server.seen).toHaveLength(0);
  });

  it("DNS rebinding: resolves once and connects only to the address it checked", async () => {
    const server = await localServer();
    const { address, violations, lookup } = await startProxy({ connectTimeoutMs: 300 });
    // First answer public (checked, then connected to: unreachable here), the second would be loopback.
    const r = await viaProxy(address.port!, `http://rebind.example.com:${server.port}/`);
    expect(r.status).toBe(502);
    expect(lookup.calls.filter((h) => h === "rebind.example.com")).toHaveLength(1);
    expect(server.seen).toHaveLength(0);
    expect(violations).toHaveLength(0);
  });

  it("injects headers into plain-HTTP requests to the named host only, replacing the client's", async () => {
    const server = await localServer();
    const { address } = await startProxy({
      allow: ["allowed.test:*", "other.test:*"],
      lookup: fixedLookup({ "allowed.test": "127.0.0.1", "other.test": "127.0.0.1" }),
      inject: [{ host: "allowed.test", header: "Authorization", value: "Bearer injected" }],
    });
    await viaProxy(address.port!, `http://allowed.test:${server.port}/a`, { authorization: "Bearer mine" });
    await viaProxy(address.port!, `http://other.test:${server.port}/b`);
    expect(server.seen[0]!.headers.authorization).toBe("Bearer injected");
    expect(server.seen[1]!.headers.authorization).toBeUndefined();
  });

  it("bounds header sizes and listens on a Unix socket", async () => {
    const dir = tempDir();
    const { address } = await startProxy({
      listen: { socketPath: join(dir, "p.sock") },
      maxHeaderBytes: 1024,
    });
    expect(address.socketPath).toBe(join(dir, "p.sock"));
    const status = await new Promise<number>((resolve) => {
      request(
        {
          socketPath: address.socketPath!,
          path: "http://allowed.test/",
          headers: { "x-big": "a".repeat(4096) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on("error", () => resolve(0))
        .end();
    });
    expect(status).toBe(431);
  });

  it("rejects a header injection with a bad name or a CR/LF in its value", () => {
    expect(
      () => new EgressProxy({ allow: [], inject: [{ host: "a.test", header: "x y", value: "v" }] }),
    ).toThrow();
    expect(
      () => new EgressProxy({ allow: [], inject: [{ host: "a.test", header: "x", value: "v\r\nx: y" }] }),
    ).toThrow();
  });
});
