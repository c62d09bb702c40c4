import { describe, expect, it } from "vitest";
import { EgressDeniedError, type EgressViolation, guardedFetch } from "../../src/sandbox/index.js";
import { fixedLookup, localServer } from "./fixtures.js";

describe("guardedFetch", () => {
  it("fetches from an allowed host at the checked address, bodies and redirects included", async () => {
    const server = await localServer((s) =>
      s.url === "/old"
        ? { status: 302, body: "", headers: { location: "/new" } }
        : { status: 200, body: `${s.method} ${s.url} ${s.body}` },
    );
    const lookup = fixedLookup({ "local.test": "127.0.0.1" });
    const fetch = guardedFetch(["local.test:*"], [], lookup);
    const get = await fetch(`http://local.test:${server.port}/a?b=1`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("GET /a?b=1 ");
    const post = await fetch(`http://local.test:${server.port}/p`, { method: "POST", body: "payload" });
    expect(await post.text()).toBe("POST /p payload");
    const moved = await fetch(`http://local.test:${server.port}/old`);
    expect(await moved.text()).toBe("GET /new ");
    expect(server.seen[0]!.headers.host).toBe(`local.test:${server.port}`);
  });

  it("sends the checked host as Host, whatever Host the caller set, after a redirect too", async () => {
    let port = 0;
    const server = await localServer((s) =>
      s.url === "/old"
        ? { status: 302, body: "", headers: { location: `http://other.test:${port}/new` } }
        : { status: 200, body: "ok" },
    );
    port = server.port;
    const fetch = guardedFetch(
      ["local.test:*", "other.test:*"],
      [],
      fixedLookup({ "local.test": "127.0.0.1", "other.test": "127.0.0.1" }),
    );
    // Another virtual host at the allowed address (a shared load balancer) is not the allowed host.
    await fetch(`http://local.test:${server.port}/a`, { headers: { Host: "admin.internal" } });
    await fetch(`http://local.test:${server.port}/old`, { headers: { host: "admin.internal" } });
    expect(server.seen.map((s) => s.headers.host)).toEqual([
      `local.test:${server.port}`,
      `local.test:${server.port}`,
      `other.test:${server.port}`,
    ]);
  });

  it("refuses denied, unlisted, IP-literal, metadata and loopback-by-glob targets with EGRESS_DENIED", async () => {
    const server = await localServer();
    const violations: EgressViolation[] = [];
    const fetch = guardedFetch(
      ["*.example.com:*", "local.test"],
      ["bad.example.com"],
      fixedLookup({
        "bad.example.com": "93.184.216.34",
        "loop.example.com": "127.0.0.1",
        "local.test": "127.0.0.1",
      }),
      { onViolation: (v) => violations.push(v) },
    );
    const cases: [string, string][] = [
      [`http://bad.example.com:${server.port}/`, "denied_host"],
      [`http://other.test:${server.port}/`, "not_allowed"],
      [`http://127.0.0.1:${server.port}/`, "ip_literal"],
      ["http://169.254.169.254/latest/meta-data/", "ip_literal"],
      ["http://[fd00:ec2::254]/", "ip_literal"],
      [`http://loop.example.com:${server.port}/`, "blocked_address"],
      // An exact allow without a port covers 443 and 80 only.
      [`http://local.test:${server.port}/`, "port_not_allowed"],
      ["file:///etc/passwd", "bad_request"],
    ];
    for (const [url, reason] of cases) {
      const err = await fetch(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EgressDeniedError);
      expect(err).toMatchObject({ code: "EGRESS_DENIED", violation: { reason } });
    }
    expect(violations).toHaveLength(cases.length);
    expect(server.seen).toHaveLength(0);
  });

  it("checks every redirect target", async () => {
    const server = await localServer(() => ({
      status: 301,
      body: "",
      headers: { location: "http://169.254.169.254/" },
    }));
    const fetch = guardedFetch(["local.test:*"], [], fixedLookup({ "local.test": "127.0.0.1" }));
    await expect(fetch(`http://local.test:${server.port}/`)).rejects.toMatchObject({ code: "EGRESS_DENIED" });
    const manual = await fetch(`http://local.test:${server.port}/`, { redirect: "manual" });
    expect(manual.status).toBe(301);
  });

  it("refuses a redirect to a location that is no URL with EGRESS_DENIED", async () => {
    const server = await localServer(() => ({
      status: 302,
      body: "",
      headers: { location: "http://other.test:99999/" },
    }));
    const violations: EgressViolation[] = [];
    const fetch = guardedFetch(["local.test:*"], [], fixedLookup({ "local.test": "127.0.0.1" }), {
      onViolation: (v) => violations.push(v),
    });
    const err = await fetch(`http://local.test:${server.port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressDeniedError);
    expect(err).toMatchObject({ code: "EGRESS_DENIED", violation: { reason: "bad_request" } });
    expect(violations).toHaveLength(1);
  });

  it("DNS rebinding: one resolution, the connection goes to the checked public address only", async () => {
    const server = await localServer();
    const lookup = fixedLookup({ "rebind.example.com": ["8.8.8.8", "127.0.0.1"] });
    const fetch = guardedFetch(["*.example.com:*"], [], lookup, { timeoutMs: 300 });
    const err = await fetch(`http://rebind.example.com:${server.port}/`).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(EgressDeniedError); // allowed, then unreachable here
    expect(lookup.calls).toEqual(["rebind.example.com"]);
    expect(server.seen).toHaveLength(0);
  });
});
