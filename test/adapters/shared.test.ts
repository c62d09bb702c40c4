// Call-id mapping, rationale shaping and denial text shared by the framework adapters.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { denialText, rationaleOf, wardenCallId } from "../../src/adapters/shared.js";
import { RateLimitedError, ToolDeniedError } from "../../src/index.js";

const CALLER_ID = /^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$/;

describe("adapter helpers", () => {
  it("keeps ids Warden accepts and maps every other id deterministically into the accepted shape", () => {
    expect(wardenCallId("call_abc-1.2:3")).toBe("call_abc-1.2:3");
    expect(wardenCallId(undefined)).toBeUndefined();
    expect(wardenCallId("")).toBeUndefined();
    // Path segments a URL drops (/v1/calls/../outcome) are mapped too.
    expect(wardenCallId("..")).toMatch(/^h:[0-9a-f]{32}$/);
    expect(wardenCallId(".")).toMatch(/^h:[0-9a-f]{32}$/);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (id) => {
        const mapped = wardenCallId(id);
        expect(mapped).toMatch(CALLER_ID);
        expect(wardenCallId(id)).toBe(mapped);
        if (!CALLER_ID.test(id)) expect(mapped).toMatch(/^h:[0-9a-f]{32}$/);
      }),
    );
  });

  it("records a mapped id's original in the rationale and cuts long text without splitting a surrogate pair", () => {
    expect(rationaleOf("why", "call_1")).toBe("why");
    expect(rationaleOf(undefined, "call_1")).toBeUndefined();
    expect(rationaleOf("  ", "a b")).toBe('[framework call id: "a b"]');
    const long = `${"x".repeat(16 * 1024 - 2)}😀😀`;
    const cut = rationaleOf(long, "call_1") ?? "";
    expect(cut.length).toBeLessThanOrEqual(16 * 1024);
    expect(cut).toMatch(/x…$/);
  });

  it("tells the model what was refused and what to do", () => {
    const info = { callId: "c", tool: "send_email", ruleId: "r", reason: "no mail." };
    expect(denialText(new ToolDeniedError(info))).toBe(
      'Warden refused this tool call (TOOL_DENIED): tool "send_email" denied: no mail. The tool did not run. ' +
        "Do not retry this call; use another tool or tell the user it is not permitted.",
    );
    expect(denialText(new RateLimitedError(info, 2500))).toMatch(/Wait 3 s before trying again\.$/);
  });
});
