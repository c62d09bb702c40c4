import { describe, expect, it } from "vitest";
import { compileGlobs } from "../../src/config/index.js";

describe("compileGlobs", () => {
  it("matches whole names with * and ?", () => {
    const m = compileGlobs(["github__*", "a?c", "exact", "*_admin", "x**y"]);
    for (const yes of ["github__", "github__a/b__c", "abc", "a_c", "exact", "db_admin", "xy", "x123y"]) {
      expect(m(yes), yes).toBe(true);
    }
    for (const no of ["github_x", "ac", "abcd", "exactly", "admin", "xyz", "GITHUB__x"])
      expect(m(no), no).toBe(false);
  });

  it("handles the empty list, the catch-all and literal-only lists", () => {
    expect(compileGlobs([])("x")).toBe(false);
    expect(compileGlobs(["*"])("")).toBe(true);
    expect(compileGlobs(["a.b", "c:d", "e/f", "g@h", "i-j"])("c:d")).toBe(true);
    expect(compileGlobs(["a.b"])("aXb")).toBe(false);
  });

  it("refuses characters outside the glob alphabet", () => {
    for (const bad of ["a b", "x[1]", "{a,b}", "a|b", "(x)", "a+", "^a", "a$", "a\\b", ""]) {
      expect(() => compileGlobs([bad]), bad).toThrow();
    }
  });

  it("matches names containing newlines only as wildcards allow", () => {
    expect(compileGlobs(["a*"])("a\nb")).toBe(true);
    expect(compileGlobs(["ab"])("ab\n")).toBe(false);
  });
});
