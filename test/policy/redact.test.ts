import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/json.js";
import { applyRedactions } from "../../src/policy/index.js";

const digest = (canonical: string) => `sha256:${createHash("sha256").update(canonical).digest("hex")}`;

describe("applyRedactions", () => {
  it("replaces a value with the digest of its canonical JSON", () => {
    const { args, redacted } = applyRedactions({ to: "a@b.c", body: "secret" }, ["$.body"]);
    expect(args).toEqual({ to: "a@b.c", body: digest('"secret"') });
    expect(redacted).toEqual(["$.body"]);
  });

  it("hashes objects canonically (key order does not matter)", () => {
    const one = applyRedactions({ x: { b: 2, a: 1 } }, ["$.x"]).args as { x: string };
    const two = applyRedactions({ x: { a: 1, b: 2 } }, ["$.x"]).args as { x: string };
    expect(one.x).toBe(digest('{"a":1,"b":2}'));
    expect(two.x).toBe(one.x);
  });

  it("follows nested keys, quoted keys, indexes and wildcards", () => {
    const input: JsonValue = {
      body: "hi",
      attachments: [{ name: "a.txt", content: "AAA" }, { name: "b.txt", content: "BBB" }, { name: "c" }],
      headers: { "x-api-key": "k", "odd key": "v" },
      list: [1, 2, 3],
    };
    const { args, redacted } = applyRedactions(input, [
      "$.attachments[*].content",
      '$.headers["odd key"]',
      "$.headers.x-api-key",
      "$.list[1]",
    ]);
    expect(redacted).toEqual([
      "$.attachments[0].content",
      "$.attachments[1].content",
      '$.headers["odd key"]',
      '$.headers["x-api-key"]',
      "$.list[1]",
    ]);
    expect(args).toEqual({
      body: "hi",
      attachments: [
        { name: "a.txt", content: digest('"AAA"') },
        { name: "b.txt", content: digest('"BBB"') },
        { name: "c" },
      ],
      headers: { "x-api-key": digest('"k"'), "odd key": digest('"v"') },
      list: [1, digest("2"), 3],
    });
  });

  it("wildcards cover object values too, and $ is the whole value", () => {
    expect(applyRedactions({ a: 1, b: 2 }, ["$[*]"]).args).toEqual({ a: digest("1"), b: digest("2") });
    expect(applyRedactions({ a: 1 }, ["$"])).toEqual({ args: digest('{"a":1}'), redacted: ["$"] });
  });

  it("a missing path is a no-op, and the input is never mutated", () => {
    const input = { a: { b: [1] }, c: "x" };
    const frozen = structuredClone(input);
    const out = applyRedactions(input, ["$.nope", "$.a.b[5]", "$.c.d", "$.a[0]", "$.a.b.k", "$.a.b[0]"]);
    expect(out.redacted).toEqual(["$.a.b[0]"]);
    expect(input).toEqual(frozen);
    expect(out.args).not.toBe(input);
    expect(applyRedactions(input, ["$.nope"]).args).toBe(input);
  });

  it("does not hash a digest twice when paths overlap", () => {
    const out = applyRedactions({ body: "x" }, ["$.body", "$[*]"]);
    expect(out).toEqual({ args: { body: digest('"x"') }, redacted: ["$.body"] });
  });

  it("keeps a key named __proto__ as plain data", () => {
    const input = JSON.parse('{"__proto__": {"secret": "s"}, "x": 1}') as JsonValue;
    const out = applyRedactions(input, ['$["__proto__"].secret']).args as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"secret":"${digest('"s"')}"},"x":1}`);
  });
});
