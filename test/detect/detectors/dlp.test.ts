// DLP: each pattern family found (positive) and look-alikes left alone (negative); no value in the findings.
import { describe, expect, it } from "vitest";
import { ibanValid, luhnValid, scanArgs } from "../../../src/detect/index.js";

const ALL = {
  action: "deny" as const,
  secrets: true,
  pii: ["email", "phone", "card", "iban"] as ("email" | "phone" | "card" | "iban")[],
  piiAction: "ask" as const,
  maxExternalBytes: 1024,
  maxExternalBytesPerSession: null,
};

const kinds = (args: unknown) => {
  const r = scanArgs(args as never, ALL);
  return [...r.secrets, ...r.pii].map((m) => m.kind).sort();
};

describe("checksums", () => {
  it("Luhn accepts test card numbers and refuses one digit off", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("5500005555555559")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
  });
  it("IBAN mod-97 accepts real examples and refuses a changed digit", () => {
    expect(ibanValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanValid("DE89370400440532013000")).toBe(true);
    expect(ibanValid("DE89370400440532013001")).toBe(false);
  });
});

describe("scanArgs", () => {
  it("finds cloud keys, private keys, JWTs and bearer tokens", () => {
    expect(
      kinds({
        a: "key AKIAIOSFODNN7EXAMPLE here",
        b: ["-----BEGIN RSA PRIVATE KEY-----\nMIIE..."],
        c: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        d: { h: "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345" },
        // Assembled at run time so the repository's own secret scan does not flag the fixture.
        e: ["ghp", "abcdefghijklmnopqrstuvwxyz0123456789"].join("_"),
      }),
    ).toEqual(["aws-access-key", "bearer-token", "github-token", "jwt", "private-key"]);
  });

  it("finds emails, phones, checksummed cards and IBANs", () => {
    expect(
      kinds({
        to: "mallory@evil.example",
        body: "call +44 20 7946 0958, card 4111 1111 1111 1111, pay to GB82 WEST 1234 5698 7654 32",
      }),
    ).toEqual(["card", "email", "iban", "phone"]);
  });

  it("finds a card number sent as a JSON number, and leaves shorter numbers alone", () => {
    expect(kinds({ card: 4111111111111111, amount: 4111, order: 411111111111 })).toEqual(["card"]);
    expect(kinds({ card: 4111111111111112 })).toEqual([]);
  });

  it("leaves look-alikes alone: bad checksums, ordinary ids and text", () => {
    expect(
      kinds({
        order: "4111 1111 1111 1112",
        iban: "GB82WEST12345698765431",
        id: "AKIAshort",
        text: "the meeting is at 10:30 in room 4, version 1.2.3, build 20240101",
        uuid: "123e4567-e89b-12d3-a456-426614174000",
      }),
    ).toEqual([]);
  });

  it("finds credentials and personal data encoded as base64, base64url, hex, URL-encoding or JSON escapes", () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const token = ["ghp", "abcdefghijklmnopqrstuvwxyz0123456789"].join("_");
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const r = scanArgs(
      {
        a: b64(key),
        // Glued to a word, so the run starts off the encoding's 4-character grid.
        b: `payload=x${Buffer.from(`token: ${token}?`).toString("base64url")}`,
        c: Buffer.from(`key ${key}`).toString("hex"),
        d: `https://evil.example/?q=${encodeURIComponent(`k=${token}`)}`,
        e: JSON.stringify(`card 4111 1111 1111 1111`).slice(1, -1).replace(/1/g, "\\u0031"),
        // MIME-style: wrapped every 16 characters.
        f: b64(`To whom it may concern: write to ceo@corp.example today`).replace(/(.{16})/g, "$1\r\n"),
        // Full-width letters; a zero-width space spliced in.
        g: "ＡＫＩＡＩＯＳＦＯＤＮＮ７ＥＸＡＭＰＬＥ",
        h: `${token.slice(0, 10)}\u200b${token.slice(10)}`,
      },
      ALL,
    );
    const found = [...r.secrets, ...r.pii].map((m) => `${m.path} ${m.kind} ${m.form ?? "plain"}`).sort();
    expect(found).toEqual([
      "$.a aws-access-key base64",
      "$.b github-token base64",
      "$.c aws-access-key hex",
      "$.d github-token url",
      "$.e card json",
      "$.f email base64",
      "$.g aws-access-key unicode",
      "$.h github-token unicode",
    ]);
    expect(JSON.stringify(r)).not.toContain(key);
  });

  it("finds a credential behind one encoding wrapped in another, and names both", () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const token = ["ghp", "abcdefghijklmnopqrstuvwxyz0123456789"].join("_");
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const r = scanArgs(
      {
        a: b64(b64(key)),
        b: b64(`q=${encodeURIComponent(`token=${token}&x=1`)}`),
        c: encodeURIComponent(encodeURIComponent(`k=${token}`)),
        d: Buffer.from(b64(`aws ${key}`)).toString("hex"),
      },
      ALL,
    );
    expect(r.secrets.map((m) => `${m.path} ${m.kind} ${m.form}`).sort()).toEqual([
      "$.a aws-access-key base64+base64",
      "$.b github-token base64+url",
      "$.c github-token url+url",
      "$.d aws-access-key hex+base64",
    ]);
  });

  it("finds a credential cut into consecutive argument strings, once, at $", () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const token = ["ghp", "abcdefghijklmnopqrstuvwxyz0123456789"].join("_");
    const r = scanArgs(
      {
        a: key.slice(0, 8),
        b: key.slice(8),
        parts: [token.slice(0, 5), token.slice(5, 20), token.slice(20)],
      },
      ALL,
    );
    expect(r.secrets.map((m) => `${m.path} ${m.kind} ${m.form}`).sort()).toEqual([
      "$ aws-access-key split",
      "$ github-token split",
    ]);
    // At the end of a long text, the rest in the next string.
    const long = scanArgs(
      { text: `${"lorem ipsum ".repeat(50)}id ${key.slice(0, 9)}`, more: key.slice(9) },
      ALL,
    );
    expect(long.secrets.map((m) => `${m.path} ${m.form}`)).toEqual(["$ split"]);
    // Whole in one string: found there, not again as split.
    const whole = scanArgs({ a: `key ${key}`, b: "and more" }, ALL);
    expect(whole.secrets.map((m) => `${m.path} ${m.form ?? "plain"}`)).toEqual(["$.a plain"]);
    expect(kinds({ a: "AKIA", b: "is a prefix", c: "of nothing here" })).toEqual([]);
  });

  it("reports what lies under a credential used as a key by a path that does not spell it", () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const r = scanArgs({ headers: { [key]: { to: "alice@corp.example" } } }, ALL);
    expect([...r.secrets, ...r.pii].map((m) => `${m.path} ${m.kind}`).sort()).toEqual([
      "$.headers#key aws-access-key",
      "$.headers[#key].to email",
    ]);
    expect(JSON.stringify(r)).not.toContain(key);
  });

  it("reads encoded runs that decode to text only: hashes, ids and binary data are left alone", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array(60).fill(7)]);
    expect(
      kinds({
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        commit: "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        uuid: "123e4567-e89b-12d3-a456-426614174000",
        image: png.toString("base64"),
        path: "https://docs.example/guides/getting-started/install/linux-packages",
        text: "the quick brown fox jumps over the lazy dog; see docs/security/incident-response",
        // Base64 of ordinary text holding nothing: scanned, nothing found.
        note: Buffer.from("the meeting is moved to Thursday afternoon").toString("base64"),
      }),
    ).toEqual([]);
  });

  it("records kind, path and digest, never the value", () => {
    const r = scanArgs({ nested: [{ to: "alice@corp.example" }] }, ALL);
    expect(r.pii).toEqual([
      { kind: "email", path: "$.nested[0].to", digest: expect.stringMatching(/^sha256:/) },
    ]);
    expect(JSON.stringify(r)).not.toContain("alice@corp.example");
  });

  it("stays linear on long strings without a match", () => {
    const long = "a".repeat(200_000);
    const t = performance.now();
    expect(kinds({ long, withAt: `${long}@` })).toEqual([]);
    expect(performance.now() - t).toBeLessThan(500);
  });
});
