import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAddress, EgressRules, SandboxError } from "../../src/sandbox/index.js";
import { fixedLookup } from "./fixtures.js";

describe("classifyAddress", () => {
  it.each([
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.31.0.1", "private"],
    ["192.168.1.1", "private"],
    ["100.100.1.1", "cgnat"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fc00::1", "private"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b:1:a00::1", "reserved"],
    ["64:ff9b:1::8.8.8.8", "reserved"],
    ["2002:0a00:0001::1", "private"],
    ["not an ip", "reserved"],
  ])("%s is %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "%s is public",
    (ip) => {
      expect(classifyAddress(ip)).toBeNull();
    },
  );

  it("every 10/8, 127/8 and 192.168/16 address is refused, in IPv4 and IPv4-mapped form", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(10, 127, 192),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (a, b, c, d) => {
          const ip = a === 192 ? `192.168.${c}.${d}` : `${a}.${b}.${c}.${d}`;
          return classifyAddress(ip) !== null && classifyAddress(`::ffff:${ip}`) !== null;
        },
      ),
    );
  });
});

describe("EgressRules", () => {
  const lookup = fixedLookup({
    "api.example.com": "93.184.216.34",
    "deep.sub.example.com": "93.184.216.35",
    "example.com": "93.184.216.36",
    "internal.example.com": "10.0.0.5",
    "meta.example.com": "169.254.169.254",
    "named.test": "127.0.0.1",
  });
  const rules = new EgressRules({
    allow: ["*.example.com", "named.test", "10.9.9.9"],
    deny: ["evil.example.com"],
    lookup,
  });

  it("allows by exact name and *.domain glob (subdomains, not the base)", async () => {
    expect(await rules.check("api.example.com", 443)).toMatchObject({
      ok: true,
      address: { address: "93.184.216.34" },
    });
    expect(await rules.check("DEEP.sub.example.com.", 443)).toMatchObject({
      ok: true,
      host: "deep.sub.example.com",
    });
    expect(await rules.check("example.com", 443)).toMatchObject({
      ok: false,
      violation: { reason: "not_allowed" },
    });
  });

  it("deny wins, IP literals and bad names are refused", async () => {
    expect(await rules.check("evil.example.com", 443)).toMatchObject({
      violation: { reason: "denied_host" },
    });
    expect(await rules.check("93.184.216.34", 443)).toMatchObject({ violation: { reason: "ip_literal" } });
    expect(await rules.check("[::1]", 443)).toMatchObject({ violation: { reason: "ip_literal" } });
    expect(await rules.check("a b.example.com", 443)).toMatchObject({
      violation: { reason: "invalid_host" },
    });
    expect(await rules.check("api.example.com", 0)).toMatchObject({
      violation: { reason: "port_not_allowed" },
    });
    expect(await rules.check("unknown.example.com", 443)).toMatchObject({
      violation: { reason: "dns_failed" },
    });
  });

  it("shows a refused target over 255 characters by length and digest, never cut (a cut would split what was written into it)", async () => {
    const written = "Q7vLm2XsP9kTr4Wz";
    const host = `${"a".repeat(248)}.${written}.evil.test`;
    const refused = await rules.check(host, 443);
    expect(refused).toMatchObject({ ok: false, violation: { reason: "invalid_host" } });
    const shown = refused.ok ? "" : refused.violation.host;
    expect(shown).toMatch(/^\[275 characters, sha256:[0-9a-f]{16}…\]$/);
    expect(shown).not.toContain(written.slice(0, 4));
    const short = await rules.check("a b.example.com", 443);
    expect(short.ok ? "" : short.violation.host).toBe("a b.example.com");
  });

  it("refuses private answers for glob-allowed names, allows them for exactly named hosts, never metadata", async () => {
    expect(await rules.check("internal.example.com", 80)).toMatchObject({
      violation: { reason: "blocked_address", address: "10.0.0.5" },
    });
    expect(await rules.check("named.test", 80)).toMatchObject({
      ok: true,
      address: { address: "127.0.0.1" },
    });
    expect(await rules.check("meta.example.com", 80)).toMatchObject({
      violation: { reason: "metadata_address" },
    });
    // An IP literal listed exactly is a deliberate choice.
    expect(await rules.check("10.9.9.9", 80)).toMatchObject({ ok: true });
  });

  it("refuses a name whose answers mix public and private addresses, and a slow resolver", async () => {
    const mixed = new EgressRules({
      allow: ["*.example.com"],
      lookup: async () => [
        { address: "93.184.216.34", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ],
    });
    expect(await mixed.check("a.example.com", 80)).toMatchObject({
      violation: { reason: "blocked_address" },
    });
    const slow = new EgressRules({
      allow: ["*.example.com"],
      dnsTimeoutMs: 20,
      lookup: () => new Promise(() => {}),
    });
    expect(await slow.check("a.example.com", 80)).toMatchObject({ violation: { reason: "dns_failed" } });
  });

  it("matches ? and * inside one label; a glob never matches an IP literal", async () => {
    const r = new EgressRules({
      allow: ["api-?.example.org", "*-eu.cdn.example.org", "*.0.0.1"],
      lookup: async () => [{ address: "93.184.216.34", family: 4 }],
    });
    expect((await r.check("api-1.example.org", 443)).ok).toBe(true);
    expect((await r.check("api-12.example.org", 443)).ok).toBe(false);
    expect((await r.check("img-eu.cdn.example.org", 443)).ok).toBe(true);
    expect((await r.check("a.b-eu.cdn.example.org", 443)).ok).toBe(false);
    expect(await r.check("127.0.0.1", 443)).toMatchObject({ violation: { reason: "ip_literal" } });
  });

  it("allows ports 443 and 80 unless an entry names its ports; deny without a port covers every port", async () => {
    const r = new EgressRules({
      allow: ["api.example.com", "git.example.com:22", "*.cdn.example.com:*", "[::1]:8080", "localhost"],
      deny: ["bad.cdn.example.com:25"],
      lookup: fixedLookup({
        "api.example.com": "93.184.216.34",
        "git.example.com": "93.184.216.35",
        "img.cdn.example.com": "93.184.216.36",
        "bad.cdn.example.com": "93.184.216.37",
        localhost: "127.0.0.1",
      }),
    });
    expect((await r.check("api.example.com", 443)).ok).toBe(true);
    expect((await r.check("api.example.com", 80)).ok).toBe(true);
    expect(await r.check("api.example.com", 8443)).toMatchObject({
      violation: { host: "api.example.com", port: 8443, reason: "port_not_allowed" },
    });
    expect((await r.check("git.example.com", 22)).ok).toBe(true);
    expect(await r.check("git.example.com", 443)).toMatchObject({
      violation: { reason: "port_not_allowed" },
    });
    expect((await r.check("img.cdn.example.com", 5432)).ok).toBe(true);
    expect((await r.check("bad.cdn.example.com", 443)).ok).toBe(true);
    expect(await r.check("bad.cdn.example.com", 25)).toMatchObject({ violation: { reason: "denied_host" } });
    expect((await r.check("::1", 8080)).ok).toBe(true);
    expect(await r.check("::1", 8081)).toMatchObject({ violation: { reason: "port_not_allowed" } });
    // An exact allow of localhost reaches its web ports only, not every service on the machine.
    expect((await r.check("localhost", 80)).ok).toBe(true);
    expect(await r.check("localhost", 8787)).toMatchObject({ violation: { reason: "port_not_allowed" } });

    const denyAll = new EgressRules({ allow: ["*.example.com:*"], deny: ["evil.example.com"] });
    expect(denyAll.checkName("evil.example.com", 8080)).toMatchObject({
      violation: { reason: "denied_host" },
    });
  });

  it("rejects malformed patterns", () => {
    for (const bad of [
      "*",
      "*.*",
      "*.?",
      "",
      "exa mple.com",
      "a..com",
      "http://a.com",
      "a.com:0",
      "a.com:65536",
      "a.com:",
      "a.com:80:81",
      "a.com:http",
      "*:*",
      "[::1:80",
    ]) {
      expect(() => new EgressRules({ allow: [bad] })).toThrow(SandboxError);
    }
  });
});
