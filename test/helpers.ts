// Shared test helpers: temporary folders and a Warden on a real SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { WardenError } from "../src/errors.js";
import { Warden, type WardenOptions } from "../src/index.js";

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A fresh folder removed after the test. */
export function tempDir(prefix = "warden-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Warden on a real SQLite ledger in a temp folder, closed after the test. */
export async function openWarden(policy: WardenOptions["policy"], options: Partial<WardenOptions> = {}) {
  const dir = tempDir();
  const warden = await Warden.open({ policy, db: join(dir, "ledger.db"), ...options });
  onCleanup(() => warden.close());
  return { warden, dir, db: join(dir, "ledger.db") };
}

export const PLAIN_POLICY = {
  allowed_tools: ["read_database", "summarize_text"],
  blocked_tools: ["send_email", "execute_shell"],
};

/** Plays an approver: decides every pending approval of `warden` as soon as it appears, until the test ends. */
export function answerApprovals(
  warden: Warden,
  decision: "approve" | "deny",
  reason = "decided by the test",
) {
  const approver = { name: "approver@test.example", role: "approver" as const, via: "api" };
  const timer = setInterval(() => {
    for (const view of warden.approvals.queue.book.list((v) => v.status === "pending", 10)) {
      warden.approvals.queue.decide(view.id, { decision, approver, reason }).catch(() => undefined);
    }
  }, 5);
  onCleanup(() => clearInterval(timer));
}

/** An HTTP request that may set Host and Origin (fetch may not): its status and body text. */
export function rawRequest(
  url: string | URL,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The code and `details.reason` of the WardenError a promise rejects with; anything else fails the test. */
export async function wardenRefusal(p: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof WardenError)) throw new Error(`expected a WardenError, got ${String(err)}`);
  return { code: err.code, reason: err.details?.reason };
}
