// The argument fields a `when:` reads, as remembered approvals re-check them.
import { parse } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { argsRead } from "../../src/policy/cel-reads.js";

const reads = (source: string) => argsRead(parse(source).expr);

describe("argsRead", () => {
  it("names the longest field and constant-index chain under args", () => {
    expect(reads('args.to.endsWith("@example.com") && has(args.cc)')).toEqual(['$["cc"]', '$["to"]']);
    expect(reads('args["a b"][0].name == "x"')).toEqual(['$["a b"][0]["name"]']);
    expect(reads("args.items.all(i, i.price < 10)")).toEqual(['$["items"]']);
    expect(reads("args.map[session.id] == 1")).toEqual(['$["map"]']);
    expect(reads('tool == "x" && agent.team == "ops"')).toEqual([]);
  });

  it("reads all arguments when a path cannot name what is read", () => {
    expect(reads("size(args) > 2")).toBe("all");
    expect(reads('args[tool] == "x"')).toBe("all");
    expect(reads('args.exists(k, k == "bcc")')).toBe("all");
    expect(reads('"bcc" in args')).toBe("all");
  });
});
