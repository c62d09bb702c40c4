// Sandbox test helpers: a loopback HTTP server, a fixed resolver, a webhook receiver, process-tree inspection.
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { LookupFn } from "../../src/sandbox/index.js";
import { onCleanup } from "../helpers.js";

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on 127.0.0.1 answering `ok <path>`; `seen` lists the requests it got. */
export async function localServer(
  answer?: (seen: Seen) => { status: number; body: string; headers?: Record<string, string> },
) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      const a = answer?.(s) ?? { status: 200, body: `ok ${req.url}` };
      res.writeHead(a.status, { "content-type": "text/plain", ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onCleanup(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen };
}

/** A resolver from a fixed table (values: one address or a list per call, the last one repeated). */
export function fixedLookup(table: Record<string, string | string[]>): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string) => {
    const n = calls.filter((c) => c === host).length;
    calls.push(host);
    const entry = table[host];
    if (entry === undefined) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
    const address = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)]! : entry;
    return [{ address, family: address.includes(":") ? (6 as const) : (4 as const) }];
  };
  return Object.assign(fn, { calls });
}

/** Every live (not zombie) descendant of `pid`, from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (!st || st.state === "Z") continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** True once a live descendant of `pid` runs the program `name` (its /proc/PID/comm). */
export function runsProgram(pid: number, name: string): boolean {
  return descendants(pid).some((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, "utf8").trim() === name;
    } catch {
      return false;
    }
  });
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  const st = procStat(pid);
  return st !== null && st.state !== "Z";
}

function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** Polls `cond` every millisecond up to `ms`. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return cond();
}

/** The pids whose /proc/PID/cmdline (any process on the machine) contains `value`. */
export function cmdlinesHolding(value: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`).includes(value)) found.push(Number(name));
    } catch {}
  }
  return found;
}
