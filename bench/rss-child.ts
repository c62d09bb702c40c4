// Child process for the RSS benchmark: makes N records durable through the gate, then reports its RSS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Warden } from "../src/index.js";
import { timeConcurrent } from "./stats.js";

const records = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), "warden-rss-"));
const warden = await Warden.open({ policy: { allowed_tools: ["read"] }, db: join(dir, "l.db") });
const session = await warden.session({ agent: "bench", onBehalfOf: "u", intent: "rss" });
const run = await timeConcurrent(records, 64, (i) => session.check("read", { i, pad: "x".repeat(64) }));
globalThis.gc?.();
const rssMb = process.memoryUsage().rss / 1024 / 1024;
await warden.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ records, rssMb, seconds: run.seconds }));
