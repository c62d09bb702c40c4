// The redactor: registered values out of nested results in every encoding; credential formats found and masked.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/json.js";
import { redactCredentials, SecretRedactor, scanCredentials } from "../../src/secrets/index.js";

const SECRET = 'pa55"w\\rd-Ω-9f8e7d';

function strings(value: JsonValue, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

describe("SecretRedactor", () => {
  it("replaces the value in nested results, keys included", () => {
    const r = new SecretRedactor();
    r.register("ses_1", "db", SECRET);
    const out = r.redact({
      rows: [{ dsn: `postgres://u:${SECRET}@h/db`, n: 1 }, [null, true, `${SECRET}${SECRET}`]],
      [SECRET]: "as a key",
    });
    expect(out).toEqual({
      rows: [{ dsn: "postgres://u:[secret:db]@h/db", n: 1 }, [null, true, "[secret:db][secret:db]"]],
      "[secret:db]": "as a key",
    });
  });

  it("finds every percent-encoding: Python's quote, form encoding, lower-case hex, escapes mixed in", () => {
    const r = new SecretRedactor();
    const value = "k3y/with space+plus~Ω";
    r.register("ses_1", "api", value);
    const upper = encodeURIComponent(value);
    const texts = [
      // urllib.parse.quote: `/` left as it is.
      `?q=${upper.replaceAll("%2F", "/")}`,
      // quote_plus and HTML forms: a space is `+`.
      `q=${upper.replaceAll("%20", "+")}&x=1`,
      // Lower-case hex digits.
      `q=${upper.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
      // Every character escaped.
      `q=${[...Buffer.from(value, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")}`,
    ];
    for (const text of texts) {
      const out = r.redactText(text, "ses_1");
      expect(out, text).toContain("[secret:api]");
      expect(decodeURIComponent(out.replaceAll("+", " "))).not.toContain(value);
    }
  });

  it("finds JSON-escaped (once and twice), URL-encoded, hex and base64 forms", () => {
    const r = new SecretRedactor();
    r.register("ses_1", "db", SECRET);
    const once = JSON.stringify(SECRET).slice(1, -1);
    const twice = JSON.stringify(once).slice(1, -1);
    const b64 = Buffer.from(SECRET).toString("base64");
    const basic = Buffer.from(`admin:${SECRET}`).toString("base64"); // a Basic auth header
    const texts = [
      JSON.stringify({ password: SECRET }),
      `{"body":"${twice}"}`,
      `?p=${encodeURIComponent(SECRET)}`,
      Buffer.from(SECRET).toString("hex"),
      b64,
      b64.replace(/=+$/, ""),
      Buffer.from(SECRET).toString("base64url"),
      `Authorization: Basic ${basic}`,
      Buffer.from(`xy${SECRET}`).toString("base64"),
    ];
    for (const text of texts) {
      const out = r.redactText(text);
      expect(out, text).toContain("[secret:db]");
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(once);
    }
  });

  it("finds a value reversed, spelled out, split across lines, and in base32", () => {
    const r = new SecretRedactor();
    const value = "Sk4tQ9mZ-7hd2Lp";
    r.register("ses_1", "api", value);
    const chars = [...value];
    const bytes = Buffer.from(`xyz${value}`);
    const texts = [
      chars.toReversed().join(""),
      chars.join(" "),
      chars.join(", "),
      chars.join("\n"),
      chars.toReversed().join(" "),
      `key: ${chars.slice(0, 7).join("")}\n${chars.slice(7).join("")}`,
      base32(Buffer.from(value)),
      base32(Buffer.from(value)).replace(/=+$/, "").toLowerCase(),
      base32(bytes), // the value inside a longer base32 text
    ];
    for (const text of texts) {
      const out = r.redactText(text, "ses_1");
      expect(out, text).toContain("[secret:api]");
      expect(out.replace(/[^A-Za-z0-9]/g, ""), text).not.toContain(value.slice(0, 6));
    }
    // Ordinary text is left as it was; a short value is not looked for spelled out.
    r.register("ses_1", "pin", "4821");
    const text = "S k 4 t Q is a sentence, 4 8 2 1 a number";
    expect(r.redactText(text, "ses_1")).toBe(text);
  });

  it("finds a value and its encodings in any letter case", () => {
    const r = new SecretRedactor();
    const hex = "9f86d081884c7d659a2feaa0c55ad015";
    r.register("ses_1", "token", hex);
    r.register("ses_1", "pw", "Xk9-pQ2_vL7mZr4Ts8Wb");
    const b64 = Buffer.from("Xk9-pQ2_vL7mZr4Ts8Wb").toString("base64");
    const out = r.redact(
      { a: hex.toUpperCase(), b: "XK9-PQ2_VL7MZR4TS8WB", c: `auth ${b64.toLowerCase()}` },
      "ses_1",
    );
    expect(out).toEqual({ a: "[secret:token]", b: "[secret:pw]", c: "auth [secret:pw]" });
    // As Go's encoding/json and HTML write a value holding <, > or &.
    r.register("ses_1", "db", "p<ss>&w0rd\"x'");
    expect(
      r.redact(
        { go: "p\\u003css\\u003e\\u0026w0rd\\\"x'", html: "p&lt;ss&gt;&amp;w0rd&quot;x&#39;" },
        "ses_1",
      ),
    ).toEqual({
      go: "[secret:db]",
      html: "[secret:db]",
    });
    // The exact case only, when asked.
    expect(r.redactText(hex.toUpperCase(), "ses_1", { ignoreCase: false })).toBe(hex.toUpperCase());
  });

  it("finds a value in a longer base64 or hex text broken into lines, wherever the break falls", () => {
    const r = new SecretRedactor();
    const value = "Xk9-pQ2_vL7mZr4Ts8Wb";
    r.register("ses_1", "api", value);
    const config = Buffer.from(
      `{"service": "reports", "region": "eu-west-1", "token": "${value}", "retries": 3}`,
    );
    const wraps = [
      ...[64, 76].map((n) => config.toString("base64").replace(new RegExp(`(.{${n}})`, "g"), "$1\r\n")),
      ...[60, 76].map((n) => config.toString("base64").replace(new RegExp(`(.{${n}})`, "g"), "$1\n")),
      config.toString("hex").replace(/(.{64})/g, "$1\n"),
    ];
    for (const text of wraps) {
      const out = r.redactText(`data:\n${text}\nend`, "ses_1");
      expect(out, text).toContain("[secret:api]");
      expect(out, text).toMatch(/^data:\n/);
    }
    // Wrapped base64 holding no value is left as it was.
    const other = Buffer.from("x".repeat(200))
      .toString("base64")
      .replace(/(.{64})/g, "$1\n");
    expect(r.redactText(other, "ses_1")).toBe(other);
    // A value whole on one line among short lines of such characters is masked where it stands: the
    // lines around it stay.
    expect(r.redactText(`gvisor\nt=${value}\nok /report`, "ses_1")).toBe(
      "gvisor\nt=[secret:api]\nok /report",
    );
  });

  it("takes linear time on long texts of a value's own characters and separators", () => {
    const r = new SecretRedactor();
    r.register("ses_1", "api", "a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-b");
    const started = performance.now();
    const out = r.redactText(`${"a-a- ".repeat(20_000)}c`, "ses_1");
    expect(out.endsWith("c")).toBe(true);
    // A long line of base64 characters followed by broken lines: no run is looked for at every offset.
    const lines = `${"a".repeat(200_000)}${"\n \n".repeat(50_000)}`;
    expect(r.redactText(lines, "ses_1")).toBe(lines);
    // Backtracking would take minutes; a linear scan takes milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("keeps sessions apart when asked, and forgets a session", () => {
    const r = new SecretRedactor();
    r.register("ses_1", "a", "alpha-secret-1");
    r.register("ses_2", "b", "bravo-secret-2");
    expect(r.redactText("alpha-secret-1 bravo-secret-2", "ses_1")).toBe("[secret:a] bravo-secret-2");
    expect(r.redactText("alpha-secret-1 bravo-secret-2")).toBe("[secret:a] [secret:b]");
    r.forget("ses_1");
    expect(r.redactText("alpha-secret-1 bravo-secret-2")).toBe("alpha-secret-1 [secret:b]");
    expect(r.size()).toBe(1);
  });

  it("prefers the longer of two values that overlap", () => {
    const r = new SecretRedactor();
    r.register("s", "short", "token-abc");
    r.register("s", "long", "token-abc-extended");
    expect(r.redactText("x token-abc-extended y token-abc")).toBe("x [secret:long] y [secret:short]");
  });

  it("refuses values too short to redact and bad names, without quoting the value", () => {
    const r = new SecretRedactor();
    expect(() => r.register("s", "x", "abc")).toThrow(expect.objectContaining({ code: "INVALID_REQUEST" }));
    expect(() => r.register("s", "bad name", "long-enough")).toThrow(
      expect.objectContaining({ code: "INVALID_REQUEST" }),
    );
    try {
      r.register("s", "x", "abc");
    } catch (err) {
      expect((err as Error).message).not.toContain("abc");
    }
  });

  it("property: never throws and never leaves the registered value in any string or key", () => {
    const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 24 }),
        json,
        fc.string(),
        fc.string(),
        (secret, shape, pre, post) => {
          const r = new SecretRedactor();
          r.register("s", "k", secret);
          const value: JsonValue = {
            shape,
            text: `${pre}${secret}${post}`,
            list: [secret, `${secret}${secret}`],
          };
          const out = r.redact(value);
          const escaped = JSON.stringify(secret).slice(1, -1);
          for (const s of strings(out)) {
            expect(s.includes(secret)).toBe(false);
            expect(s.includes(escaped)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: a value that re-forms around its own marker is still removed", () => {
    const r = new SecretRedactor();
    r.register("s", "N", "N]ab");
    const out = r.redactText("N]abab");
    expect(out).not.toContain("N]ab");
  });
});

describe("scanCredentials / redactCredentials", () => {
  const pem = [
    "-----BEGIN RSA PRIVATE KEY-----",
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
    "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==",
    "-----END RSA PRIVATE KEY-----",
  ].join("\n");
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  const samples: [string, string][] = [
    ["aws-access-key", "AKIAIOSFODNN7EXAMPLE"],
    ["private-key", pem],
    ["jwt", jwt],
    ["bearer-token", "Bearer abcdefghijklmnopqrstuvwxyz0123"],
    ["github-token", `ghp_${"a1B2c3D4e5".repeat(4)}`],
    ["slack-token", "xoxb-1234567890-abcdefghij"],
  ];

  it("finds each format with its kind and offsets", () => {
    for (const [kind, value] of samples) {
      const text = `before ${value} after`;
      const findings = scanCredentials(text);
      expect(findings, kind).toEqual([{ kind, start: 7, end: 7 + value.length }]);
    }
  });

  it("masks a whole PEM block, and a truncated one to the end of its body", () => {
    expect(redactCredentials(`key:\n${pem}\nend`)).toBe("key:\n[credential:private-key]\nend");
    const cut = pem.split("\n").slice(0, 2).join("\n");
    expect(redactCredentials(`k=${cut}`)).toBe("k=[credential:private-key]");
    // JSON-escaped newlines, as a serialized result would carry them.
    expect(redactCredentials(JSON.stringify({ k: pem }))).toBe('{"k":"[credential:private-key]"}');
  });

  it("masks a base64 or hex run that decodes to a credential, the whole run", () => {
    const [, key] = samples[0]!;
    const b64 = (t: string) => Buffer.from(t).toString("base64");
    const secretYaml = `data:\n  aws_access_key_id: ${b64(key)}\n  region: ${b64("eu-west-1")}\n`;
    expect(redactCredentials(secretYaml)).toBe(
      `data:\n  aws_access_key_id: [credential:aws-access-key]\n  region: ${b64("eu-west-1")}\n`,
    );
    const basic = `Authorization: Basic ${b64(`deploy:${samples[4]![1]}`)}`;
    expect(redactCredentials(basic)).toBe("Authorization: Basic [credential:github-token]");
    const hex = Buffer.from(`key=${key}`).toString("hex");
    expect(redactCredentials(`cfg ${hex} end`)).toBe("cfg [credential:aws-access-key] end");
    expect(scanCredentials(`x ${b64(key)}`)).toEqual([
      { kind: "aws-access-key", start: 2, end: 2 + b64(key).length },
    ]);
    // Encoded text without a credential stays as it was.
    const plain = `note ${b64("a quarterly report for the team")}`;
    expect(redactCredentials(plain)).toBe(plain);
  });

  it("masks credentials in nested JSON, keys included", () => {
    const out = redactCredentials({ a: [`token ${jwt}`], [samples[0]![1]]: { b: "fine" } });
    expect(out).toEqual({ a: ["token [credential:jwt]"], "[credential:aws-access-key]": { b: "fine" } });
  });

  it("property: never throws, and what it masks is no longer found", () => {
    const piece = fc.oneof(fc.string(), fc.constantFrom(...samples.map(([, v]) => v)));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        const text = pieces.join(" ");
        const masked = redactCredentials(text);
        for (const [, v] of samples) expect(masked.includes(v)).toBe(false);
        for (const f of scanCredentials(text)) expect(f.start).toBeLessThan(f.end);
      }),
      { numRuns: 300 },
    );
  });
});

/** RFC 4648 base32 (padded), written out here so the test does not share the redactor's encoder. */
function base32(bytes: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, "0")).join("");
  let out = "";
  for (let i = 0; i < bits.length; i += 5)
    out += alphabet[Number.parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}
