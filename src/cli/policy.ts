// `warden policy check | eval | test | replay`: lint a policy, try it on one call, run its tests, replay history.
import { readFile } from "node:fs/promises";
import { PolicyInvalidError } from "../errors.js";
import type { JsonValue } from "../json.js";
import { type LedgerRecord, readRecord } from "../ledger/index.js";
import {
  type CompiledPolicy,
  checkPolicyText,
  formatIssue,
  loadPolicyFile,
  type ReplayCall,
  replayCalls,
  runPolicyTests,
  testPositions,
} from "../policy/index.js";
import {
  parse,
  printHelp,
  requireValue,
  runCommand,
  sinceOption,
  UsageError,
  unknownChoice,
} from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";
import {
  formatTestResults,
  type LocatedResult,
  TEST_FORMATS,
  type TestFormat,
} from "./policy-test-report.js";
import { progressBar } from "./progress.js";

const HELP = `usage: warden policy <command> FILE …

  check FILE [--no-tests]        list every problem as file:line:column (exit 2 on any error;
                                 warnings, e.g. a field missing from a tool's args schema, exit 0),
                                 then run the policy's tests: section (exit 1 on a failing test)
  eval FILE --agent A --tool T [--args JSON] [--user U] [--intent TEXT] [--json] [--fail-on deny|ask]
                                 print the decision and the rule that made it; --fail-on deny exits 1
                                 on deny, --fail-on ask on ask or deny
  test FILE [--format text|json|junit]
                                 run the policy's own tests: section (exit 1 on any miss); each
                                 failure names the test's file and line
  replay FILE [--since 7d] [--db LEDGER] [--json] [--fail-on-change] [--quiet]
                                 evaluate FILE against the calls in the ledger and print what would
                                 change; --fail-on-change exits 1 when any decision would change

Exit codes: 0 as expected, 1 a failing test or a --fail-on condition met, 2 a usage error or an
invalid policy.`;

const SUBCOMMANDS = ["check", "eval", "test", "replay"] as const;

export const policyCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "check":
        return check(rest, io);
      case "eval":
        return evaluate(rest, io);
      case "test":
        return test(rest, io);
      case "replay":
        return replay(rest, io);
      case undefined:
        io.stderr(HELP);
        return 2;
      case "-h":
      case "--help":
        io.stdout(HELP);
        return 0;
      default:
        throw unknownChoice("policy command", sub, SUBCOMMANDS);
    }
  });

function fileArg(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError("give exactly one policy FILE");
  return positionals[0]!;
}

/** Loads a policy, printing its issues and returning null when it is invalid. */
async function load(file: string, io: CliIO): Promise<CompiledPolicy | null> {
  try {
    return await loadPolicyFile(file);
  } catch (err) {
    if (!(err instanceof PolicyInvalidError)) throw err;
    for (const i of err.issues) io.stderr(`${i.file}:${i.line}:${i.column}: ${i.message}`);
    return null;
  }
}

async function check(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { "no-tests": { type: "boolean" } });
  if (values.help) return printHelp(io, HELP);
  const file = fileArg(positionals);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    io.stderr(`${file}:1:1: cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    return 2;
  }
  const issues = checkPolicyText(text, file);
  for (const i of issues) io.stderr(formatIssue(i));
  // Warnings are shown but leave the policy valid and the exit code 0.
  const errors = issues.filter((i) => i.severity !== "warning").length;
  if (errors > 0) {
    io.stderr(`${errors} problem${errors === 1 ? "" : "s"}`);
    return 2;
  }
  const policy = await loadPolicyFile(file);
  io.stdout(`OK ${file} (${policy.digest})`);
  if (values["no-tests"] || policy.tests.length === 0) return 0;
  const results = locatedResults(policy, text, file);
  const failed = results.filter((r) => !r.ok);
  // Only the failures, then the count: what a CI log needs from a check.
  const report = formatTestResults(failed, "text", file).split("\n");
  for (const line of report.slice(0, -1)) io.stdout(line);
  io.stdout(`tests: ${results.length - failed.length} passed, ${failed.length} failed`);
  return failed.length > 0 ? 1 : 0;
}

async function evaluate(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    agent: { type: "string" },
    tool: { type: "string" },
    args: { type: "string" },
    user: { type: "string" },
    intent: { type: "string" },
    json: { type: "boolean" },
    "fail-on": { type: "string" },
  });
  if (values.help) return printHelp(io, HELP);
  const failOn = values["fail-on"];
  if (failOn !== undefined && failOn !== "deny" && failOn !== "ask")
    throw new UsageError("--fail-on must be deny or ask");
  const policy = await load(fileArg(positionals), io);
  if (!policy) return 2;
  let args: JsonValue = {};
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args) as JsonValue;
    } catch {
      throw new UsageError("--args must be JSON");
    }
  }
  const agent = requireValue(values.agent, "--agent NAME");
  const profile = policy.agents?.get(agent);
  const decision = policy.evaluate({
    tool: requireValue(values.tool, "--tool NAME"),
    args,
    agent: { name: agent, team: profile?.team ?? null, developer: profile?.developer ?? null },
    session: {
      id: "ses_eval",
      onBehalfOf: values.user ?? "user@example.com",
      intent: values.intent ?? "policy eval",
      parent: null,
    },
    now: new Date(),
  });
  if (values.json) io.stdout(JSON.stringify({ ...decision, mode: policy.mode, policy: policy.digest }));
  else
    io.stdout(
      `${decision.effect}  rule ${decision.ruleId}: ${decision.reason}${policy.mode === "monitor" ? "  (monitor mode: would be let through)" : ""}`,
    );
  const fails =
    (failOn === "deny" && decision.effect === "deny") ||
    (failOn === "ask" && (decision.effect === "ask" || decision.effect === "deny"));
  return fails ? 1 : 0;
}

async function test(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: "string" } });
  if (values.help) return printHelp(io, HELP);
  const format = values.format ?? "text";
  if (!(TEST_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${TEST_FORMATS.join(", ")}`);
  const file = fileArg(positionals);
  const policy = await load(file, io);
  if (!policy) return 2;
  const results = locatedResults(policy, await readFile(file, "utf8"), file);
  io.stdout(formatTestResults(results, format as TestFormat, file));
  return results.some((r) => !r.ok) ? 1 : 0;
}

/** The policy's test results, each with the file and line where the test is written. */
function locatedResults(policy: CompiledPolicy, text: string, file: string): LocatedResult[] {
  const positions = testPositions(text, file);
  return runPolicyTests(policy).map((r, i) => ({ ...r, ...(positions[i] ?? { file, line: 1, column: 1 }) }));
}

async function replay(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...PATH_OPTIONS,
    since: { type: "string" },
    json: { type: "boolean" },
    "fail-on-change": { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  });
  if (values.help) return printHelp(io, HELP);
  const policy = await load(fileArg(positionals), io);
  if (!policy) return 2;
  const since = sinceOption(values.since);
  const progress = progressBar(io, "replaying", values.quiet === true);
  const calls = await withStore(wardenPaths(io, values).db, async (store) => {
    const intents = await store.query({
      kinds: ["call.intent"],
      since,
      newestFirst: false,
      limit: Number.MAX_SAFE_INTEGER,
    });
    const sessions = new Map<string, Awaited<ReturnType<typeof store.session>>>();
    const out: ReplayCall[] = [];
    for (const [i, r] of intents.entries()) {
      if (i % 256 === 0) progress.update(i, intents.length);
      if (!r.session) continue;
      if (!sessions.has(r.session)) sessions.set(r.session, await store.session(r.session));
      const call = replayCallOf(r, sessions.get(r.session) ?? null);
      if (call) out.push(call);
    }
    return out;
  }).finally(() => progress.stop());
  const report = replayCalls(policy, calls);
  const exit = values["fail-on-change"] && report.changed.length > 0 ? 1 : 0;
  if (values.json) {
    io.stdout(JSON.stringify(report));
    return exit;
  }
  io.stdout(`replayed ${calls.length} calls against ${positionals[0]} (${policy.digest})`);
  for (const change of report.changed) {
    io.stdout(
      `  ${change.callId}  ${change.tool}  ${change.before.effect} [${change.before.ruleId}] → ${change.after.effect} [${change.after.ruleId}]`,
    );
  }
  for (const [transition, count] of Object.entries(report.transitions)) io.stdout(`${transition}: ${count}`);
  if (report.changed.length === 0) io.stdout("no decision would change");
  return exit;
}

function replayCallOf(
  r: LedgerRecord,
  session: { onBehalfOf: string; intent: string; parent: string | null } | null,
): ReplayCall | null {
  // A malformed intent stops the replay (LEDGER_RECORD_MALFORMED, with chain and seq): it is not a call to skip.
  const { data: d } = readRecord(r, "call.intent");
  const { decision } = d;
  if (!r.agent || !r.callId) return null;
  return {
    callId: r.callId,
    ts: r.ts,
    tool: d.tool,
    args: d.args,
    agent: r.agent,
    session: {
      id: r.session ?? "",
      onBehalfOf: session?.onBehalfOf ?? "",
      intent: session?.intent ?? d.intent ?? "",
      parent: session?.parent ?? null,
    },
    before: { effect: decision.effect, ruleId: decision.ruleId ?? "" },
  };
}
