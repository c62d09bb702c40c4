import { describe, expect, it } from "vitest";
import { parseTraceparent, traceparentOf } from "../src/trace.js";

describe("W3C traceparent", () => {
  it("parses version 00 and later versions by their first fields", () => {
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentSpanId: "00f067aa0ba902b7",
      flags: "01",
    });
    expect(
      parseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds"),
    ).not.toBeNull();
  });

  it("refuses malformed, all-zero and forbidden values", () => {
    for (const bad of [
      "",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    ]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
    expect(() => traceparentOf("nope")).toThrow(expect.objectContaining({ code: "INVALID_REQUEST" }));
    expect(traceparentOf(undefined)).toBeNull();
  });
});
