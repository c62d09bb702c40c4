// `npm run bench`: every benchmark side by side in one run, printed as tables.
import { benchDurable, benchHttp, benchPerCall, benchPolicy, benchRss, coreTable } from "./core.js";

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
