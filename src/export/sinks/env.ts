// What a sink factory reads from outside the policy: secrets from the environment, CA bundles from files.
import { readFileSync } from "node:fs";
import { WardenError } from "../../errors.js";

/** The value of env variable `name`; the error names the variable, never a value. */
export function secret(env: Record<string, string | undefined>, name: string, sink: string): string {
  const value = env[name];
  if (!value) {
    throw new WardenError(
      "EXPORT_CONFIG_INVALID",
      `export sink ${sink}: environment variable ${name} is not set`,
    );
  }
  return value;
}

/** Reads a CA bundle named in the config (a missing file fails at start, not on the first event). */
export function readCa(path: string | undefined): string | undefined {
  return path === undefined ? undefined : readFileSync(path, "utf8");
}
