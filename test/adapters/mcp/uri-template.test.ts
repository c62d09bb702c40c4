// templateCovers: which URIs a resource template may have made, without the SDK matcher's backtracking.
import { describe, expect, it } from "vitest";
import { templateCovers } from "../../../src/adapters/mcp/uri-template.js";

describe("templateCovers", () => {
  it("matches expansions, a simple variable never spanning a `/`", () => {
    expect(templateCovers("rs://owner/doc/{id}", "rs://owner/doc/7")).toBe(true);
    expect(templateCovers("rs://owner/doc/{id}", "rs://owner/doc/7/more")).toBe(false);
    expect(templateCovers("rs://owner/doc/{id}", "rs://other/doc/7")).toBe(false);
    expect(templateCovers("file:///{+path}", "file:///home/dana/notes.md")).toBe(true);
    expect(templateCovers("file:///{+path}.md", "file:///home/dana/notes.txt")).toBe(false);
    expect(templateCovers("api://{org}/{repo}{?ref,page}", "api://a/b?ref=main&page=2")).toBe(true);
    expect(templateCovers("api://{org}{/path*}", "api://a/b/c")).toBe(true);
    // A template named as it is (a completion's ref/resource) covers itself.
    expect(templateCovers("rs://owner/doc/{id}", "rs://owner/doc/{id}")).toBe(true);
  });

  it("errs towards a match on a malformed template, which could still serve the URI", () => {
    expect(templateCovers("rs://owner/doc/{id", "rs://owner/doc/anything/at/all")).toBe(true);
    expect(templateCovers("rs://owner/doc/{id", "rs://other/doc/1")).toBe(false);
  });

  it("takes linear time on templates that make the SDK's regex backtrack for seconds", () => {
    const template = `x://${Array.from({ length: 12 }, (_, i) => `{+a${i}}`).join("/")}/end`;
    const uri = `x://${"/".repeat(50_000)}zz`;
    const started = performance.now();
    expect(templateCovers(template, uri)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
