// `npm run bench`: every benchmark side by side in one run, printed as tables.
// `npm run bench -- core` or `npm run bench -- scan` runs one part.
import { benchDurable, benchHttp, benchPerCall, benchPolicy, benchRss, coreTable } from "./core.js";
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
