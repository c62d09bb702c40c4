// parseRetryAfter reads both forms of RFC 9110's Retry-After and nothing else.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../src/webhooks/retry-after.js";

const NOW = Date.UTC(2026, 9, 21, 7, 28, 0);

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("0", NOW)).toBe(0);
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 5 ", NOW)).toBe(5_000);
  });

  it("reads the three HTTP-date forms as the wait from now, a past date as no wait", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", NOW)).toBe(30_000);
    // RFC 850, two-digit year: the one not more than 50 years ahead.
    expect(parseRetryAfter("Wednesday, 21-Oct-26 07:29:00 GMT", NOW)).toBe(60_000);
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).toBe(0);
    // asctime: day padded with a space, no zone (it is GMT).
    expect(parseRetryAfter("Wed Oct 21 07:28:10 2026", NOW)).toBe(10_000);
    expect(parseRetryAfter("Sun Nov  6 08:49:37 1994", NOW)).toBe(0);
    expect(parseRetryAfter("Tue, 20 Oct 2026 07:28:00 GMT", NOW)).toBe(0);
  });

  it("ignores what is neither form: absent, fractions, signs, other date formats, impossible dates", () => {
    for (const value of [
      undefined,
      "",
      "1.5",
      "-1",
      "+3",
      "1e3",
      "soon",
      "120 s",
      "2026-10-21T07:29:00Z",
      "Wed, 21 Oct 2026 07:29:00 UTC",
      "Wed, 21 Oct 2026 07:29:00",
      "21 Oct 2026 07:29:00 GMT",
      "Wed, 31 Feb 2026 07:29:00 GMT",
      "Wed, 21 Oct 2026 24:00:00 GMT",
      "Wed, 21 Foo 2026 07:29:00 GMT",
    ]) {
      expect(parseRetryAfter(value, NOW), String(value)).toBeNull();
    }
  });

  it("reads back any delay in seconds and any IMF-fixdate a server writes; never throws on other text", () => {
    fc.assert(
      fc.property(fc.nat(), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)).toBe(seconds * 1000);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e11, max: 1e11 }), (offsetMs) => {
        // toUTCString() writes IMF-fixdate, whole seconds.
        const at = Math.floor((NOW + offsetMs) / 1000) * 1000;
        expect(parseRetryAfter(new Date(at).toUTCString(), NOW)).toBe(Math.max(0, at - NOW));
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const ms = parseRetryAfter(text, NOW);
        expect(ms === null || ms >= 0).toBe(true);
      }),
    );
  });
});
