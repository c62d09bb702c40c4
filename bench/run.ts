// `npm run bench`: every benchmark side by side in one run, printed as tables.
// `npm run bench -- core|scan|postgres|mcp|export|detect|approvals|held-args|sandbox|identity` runs one part.
import { approvalsTable, benchApprovals } from "./approvals.js";
import { benchDurable, benchHttp, benchPerCall, benchPolicy, benchRss, coreTable } from "./core.js";
import { benchDetect, benchTrackedValues } from "./detect.js";
import { benchExport, exportTable } from "./export.js";
import { benchHeldArgs, heldArgsTable } from "./held-args.js";
import { benchIdentity } from "./identity.js";
import { benchMcp, mcpTable } from "./mcp.js";
import { benchPostgres } from "./postgres.js";
import { benchRuntimes, benchSandbox, runtimesTable, sandboxTable } from "./sandbox.js";
import { benchScan } from "./scan.js";
import { fmt, table } from "./stats.js";

const only = process.argv[2];

if (!only || only === "core") {
  console.log("# Warden core\n");
  const perCall = await benchPerCall();
  const durable = await benchDurable();
  const policy = benchPolicy();
  const http = await benchHttp();
  const rss = await benchRss(Number(process.env.BENCH_RSS_RECORDS ?? 1_000_000));
  console.log(coreTable({ perCall, durable, policy, http, rss }));
}

if (!only || only === "scan") {
  console.log("\n# warden scan\n");
  const r = await benchScan();
  console.log(
    table([
      ["measure", "value", "target"],
      [
        `files scanned per second (${fmt(r.files)}-file TypeScript project)`,
        fmt(r.filesPerSecond),
        "≥ 1,000",
      ],
      ["seconds for the whole scan", fmt(r.seconds, 2), ""],
    ]),
  );
}

if (!only || only === "postgres") {
  console.log("\n# PostgreSQL: several instances on one database\n");
  const rows = await benchPostgres(Number(process.env.BENCH_PG_DECISIONS ?? 50_000));
  const sqliteOne = rows.find((r) => r.backend === "sqlite" && r.instances === 1)!.perSec;
  console.log(
    table([
      ["backend", "instances", "callers", "durable decisions/s", "p50", "p99", "records/commit", "target"],
      ...rows.map((r) => [
        r.backend,
        String(r.instances),
        String(r.callers),
        `${fmt(r.perSec)}${r.backend === "postgres" ? ` (${fmt(r.perSec / sqliteOne, 2)}× SQLite)` : ""}`,
        `${fmt(r.p50Ms, 2)} ms`,
        `${fmt(r.p99Ms, 2)} ms`,
        fmt(r.recordsPerBatch, 1),
        r.backend === "postgres" && r.instances === 2 ? "≥ 10,000" : "",
      ]),
    ]),
  );
}

if (!only || only === "mcp") {
  console.log("\n# warden mcp\n");
  console.log(mcpTable(await benchMcp()));
}

if (!only || only === "export") {
  console.log("\n# export sinks\n");
  console.log(exportTable(await benchExport()));
}

if (!only || only === "identity") {
  console.log("\n# identity-provider tokens (ES256, keys cached)\n");
  const r = await benchIdentity();
  console.log(
    table([
      ["measure", "per second", "per token"],
      [
        "ProviderTokens.verify (signature, iss, aud, exp, typ, claims → role)",
        fmt(r.verifyPerSec),
        `${fmt(r.verifyUs, 1)} µs`,
      ],
      ["jose jwtVerify alone, same key (the floor)", fmt(r.joseOnlyPerSec), `${fmt(r.joseOnlyUs, 1)} µs`],
      ["first token after a key rotation (JWKS fetched again), p50", "", `${fmt(r.rotationP50Ms, 2)} ms`],
    ]),
  );
}

if (!only || only === "detect") {
  console.log("\n# detections (all pre-execution detectors, one call)\n");
  const d = benchDetect();
  const v = benchTrackedValues();
  console.log(
    table([
      ["measure", "p50", "p99", "target"],
      [
        `${fmt(d.bytes)}-byte arguments to an external tool`,
        `${fmt(d.p50Us, 2)} µs`,
        `${fmt(d.p99Us, 2)} µs`,
        "p50 ≤ 20 µs",
      ],
      [
        `${fmt(v.bytes)}-byte arguments against ${fmt(v.values)} tracked values`,
        `${fmt(v.p50Us, 2)} µs`,
        `${fmt(v.p99Us, 2)} µs`,
        "p50 ≤ 100 µs",
      ],
    ]),
  );
}

if (!only || only === "approvals") {
  console.log("\n# approvals\n");
  console.log(approvalsTable(await benchApprovals(Number(process.env.BENCH_APPROVALS ?? 500))));
}

if (!only || only === "held-args") {
  console.log("\n# held arguments of approvals\n");
  console.log(heldArgsTable(await benchHeldArgs(Number(process.env.BENCH_HELD_ARGS ?? 2_000))));
}

if (!only || only === "sandbox") {
  console.log("\n# sandbox and egress proxy\n");
  console.log(sandboxTable(await benchSandbox()));
  console.log("\n# sandbox runtimes\n");
  console.log(runtimesTable(await benchRuntimes()));
}
