// The env and file providers: values read as configured, errors that name the secret and never a value.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvProvider, FileProvider, type SecretSpec } from "../../src/secrets/index.js";
import { tempDir } from "../helpers.js";
import { session } from "./helpers.js";

const spec = (fields: Partial<SecretSpec>): SecretSpec => ({
  name: "api",
  provider: "env",
  tools: ["*"],
  maxTtlMs: 60_000,
  inject: { context: "api" },
  ...fields,
});

describe("EnvProvider", () => {
  it("hands out the variable's value with the requested TTL and nothing to revoke", async () => {
    const env = new EnvProvider({ env: { API_KEY: "k-123456789" } });
    const before = Date.now();
    const lease = await env.lease(spec({ variable: "API_KEY" }), session(), 30_000);
    expect(lease.secret).toBe("k-123456789");
    expect(lease).toMatchObject({ provider: "env", name: "api", ttlMs: 30_000, renewable: false });
    expect(lease.revokeHandle).toEqual({ type: "none" });
    expect(lease.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 30_000);
    await expect(env.revoke(lease)).resolves.toBeUndefined();
  });

  it("refuses a missing, empty or malformed variable with SECRET_UNAVAILABLE", async () => {
    const env = new EnvProvider({ env: { EMPTY: "" } });
    for (const variable of ["MISSING", "EMPTY", "BAD-NAME", undefined]) {
      const err = await env.lease(spec({ variable }), session(), 1000).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "SECRET_UNAVAILABLE" });
    }
  });
});

describe("FileProvider", () => {
  it("reads the file and trims one trailing newline only", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a"), "line-one-secret\n");
    writeFileSync(join(dir, "b"), "crlf-secret-value\r\n");
    writeFileSync(join(dir, "c"), "keeps  \n\n");
    const files = new FileProvider({ baseDir: dir });
    expect((await files.lease(spec({ provider: "file", path: "a" }), session(), 1000)).secret).toBe(
      "line-one-secret",
    );
    expect((await files.lease(spec({ provider: "file", path: "b" }), session(), 1000)).secret).toBe(
      "crlf-secret-value",
    );
    expect((await files.lease(spec({ provider: "file", path: "c" }), session(), 1000)).secret).toBe(
      "keeps  \n",
    );
  });

  it("re-reads a rotated file on the next lease", async () => {
    const dir = tempDir();
    const files = new FileProvider({ baseDir: dir });
    writeFileSync(join(dir, "s"), "first-value");
    expect((await files.lease(spec({ path: "s" }), session(), 1000)).secret).toBe("first-value");
    writeFileSync(join(dir, "s"), "second-value");
    expect((await files.lease(spec({ path: "s" }), session(), 1000)).secret).toBe("second-value");
  });

  it("refuses a missing, empty or oversized file without quoting its content", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "empty"), "\n");
    writeFileSync(join(dir, "big"), "x".repeat(100));
    const files = new FileProvider({ baseDir: dir, maxBytes: 64 });
    for (const path of ["missing", "empty", "big", undefined]) {
      const err = (await files.lease(spec({ path }), session(), 1000).catch((e: unknown) => e)) as Error & {
        code: string;
      };
      expect(err.code).toBe("SECRET_UNAVAILABLE");
      expect(err.message).not.toContain("xxxx");
    }
  });
});
