// Which tools' results are withheld rather than masked: secrets.results, or block for tools that get an env secret.
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/index.js";

const items = `
  items:
    token: { provider: env, variable: T, tools: ["build_*"], inject: { env: TOKEN } }
    key: { provider: env, variable: K, tools: [fetch_page], inject: { header: { host: a.example.com, name: X-Key } } }
    db: { provider: env, variable: D, tools: [query], inject: { context: db } }
`;

describe("secrets.resultsFor", () => {
  it("blocks the results of a tool that receives a secret through env unless the policy says otherwise", () => {
    const implicit = parsePolicy(`secrets:${items}`, "p.yaml").secrets!;
    expect(implicit.resultsFor("build_app")).toBe("block");
    expect(implicit.resultsFor("fetch_page")).toBe("redact");
    expect(implicit.resultsFor("query")).toBe("redact");
    expect(implicit.resultsFor("other")).toBe("redact");
    const redact = parsePolicy(`secrets:\n  results: redact${items}`, "p.yaml").secrets!;
    expect(redact.resultsFor("build_app")).toBe("redact");
    const block = parsePolicy(`secrets:\n  results: block${items}`, "p.yaml").secrets!;
    expect(block.resultsFor("query")).toBe("block");
  });
});
