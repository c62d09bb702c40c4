// A tool's error is screened by the same rule as its results (secrets.resultsFor): a tool whose results
// are blocked has an error holding a credential withheld; other tools' errors are masked.
import { describe, expect, it } from "vitest";
import { openWarden } from "../helpers.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";

describe("a failed tool's error", () => {
  it("is withheld for a tool whose results are blocked because it gets an env secret, masked for others", async () => {
    const { warden } = await openWarden(
      {
        default: "allow",
        secrets: {
          items: {
            token: {
              provider: "env",
              variable: "BUILD_TOKEN",
              tools: ["build_app"],
              inject: { env: "TOKEN" },
            },
          },
        },
      },
      { env: { BUILD_TOKEN: "tok-5d1e9a7c3b2f4e60" } },
    );
    const session = await warden.session({
      agent: "ci-bot",
      onBehalfOf: "alice@example.com",
      intent: "build",
    });
    const failing = (tool: string) =>
      session.guard(tool, async (_args: object) => {
        throw new Error(`upload failed with key ${KEY}`);
      })({});
    const blocked = await failing("build_app").catch((err: unknown) => err);
    expect(blocked).toMatchObject({ code: "RESULT_WITHHELD" });
    expect(String((blocked as Error).message)).not.toContain(KEY);
    const masked = await failing("other").catch((err: unknown) => err);
    expect(masked).toBeInstanceOf(Error);
    expect((masked as Error).message).toContain("upload failed");
    expect((masked as Error).message).not.toContain(KEY);
  });
});
