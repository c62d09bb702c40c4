// The `file` provider: a secret read from a file (a mounted Kubernetes or Docker secret), trailing newline trimmed.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { SecretSpec } from "../config.js";
import { SecretError } from "../errors.js";
import type { Lease, RevokeTarget, SecretProvider } from "../types.js";
import { staticLease } from "./static.js";

export interface FileProviderOptions {
  /** Provider name secret specs refer to (default "file"). */
  name?: string;
  /** Relative `spec.path`s resolve against it (default the working directory). */
  baseDir?: string;
  /** Larger files are refused (default 64 KiB): a secret is small, a mistake is not. */
  maxBytes?: number;
}

/**
 * Reads `spec.path` on every lease, so a rotated file is picked up. One trailing `\n` (or `\r\n`) is
 * removed; the rest is the secret as written.
 *
 * @example
 * const files = new FileProvider({ baseDir: "/run/secrets" });
 * const lease = await files.lease(
 *   { name: "db", provider: "file", tools: ["query"], maxTtlMs: 60_000, path: "db-password" },
 *   { id: "ses_1", agent: "bot", onBehalfOf: "alice@example.com", deadline: new Date(Date.now() + 60_000) },
 *   60_000,
 * );
 */
export class FileProvider implements SecretProvider {
  readonly name: string;
  readonly #baseDir: string;
  readonly #maxBytes: number;

  constructor(options: FileProviderOptions = {}) {
    this.name = options.name ?? "file";
    this.#baseDir = options.baseDir ?? process.cwd();
    this.#maxBytes = options.maxBytes ?? 64 * 1024;
  }

  async lease(spec: SecretSpec, _session: unknown, ttlMs: number): Promise<Lease> {
    if (!spec.path) {
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${spec.name}: no path`, { secret: spec.name });
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(resolve(this.#baseDir, spec.path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${spec.name}: cannot read its file (${code})`, {
        secret: spec.name,
        error: code,
      });
    }
    if (bytes.length > this.#maxBytes) {
      throw new SecretError(
        "SECRET_UNAVAILABLE",
        `secret ${spec.name}: file larger than ${this.#maxBytes} bytes`,
        {
          secret: spec.name,
        },
      );
    }
    const value = bytes.toString("utf8").replace(/\r?\n$/, "");
    if (value === "") {
      throw new SecretError("SECRET_UNAVAILABLE", `secret ${spec.name}: the file is empty`, {
        secret: spec.name,
      });
    }
    return staticLease(this.name, spec, value, ttlMs, new Date());
  }

  /** Nothing to take back: the value is static. */
  async revoke(_lease: RevokeTarget): Promise<void> {}

  async close(): Promise<void> {}
}
