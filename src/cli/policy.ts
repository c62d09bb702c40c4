// `warden policy check | eval | test | replay`: lint a policy, try it on one call, run its tests, replay history.
import { readFile } from "node:fs/promises";
import { PolicyInvalidError } from "../errors.js";
import type { JsonValue } from "../json.js";
import type { LedgerRecord } from "../ledger/index.js";
import {
  type CompiledPolicy,
  checkPolicyText,
  formatIssue,
  loadPolicyFile,
  type ReplayCall,
  replayCalls,
  runPolicyTests,
} from "../policy/index.js";
import { parse, requireValue, runCommand, sinceOption, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const HELP = `usage: warden policy <command> FILE …

  check FILE                     list every problem as file:line:column (exit 2 on any error;
                                 warnings, e.g. a field missing from a tool's args schema, exit 0)
  eval FILE --agent A --tool T [--args JSON] [--user U] [--intent TEXT]
                                 print the decision and the rule that made it
  test FILE                      run the policy's own tests: section (exit 1 on any miss)
  replay FILE [--since 7d] [--db LEDGER]
                                 evaluate FILE against the calls in the ledger and print what would change`;

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
      case "-h":
      case "--help":
        io.stdout(HELP);
        return sub ? 0 : 2;
      default:
        throw new UsageError(`unknown policy command "${sub}"`);
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
  const { positionals } = parse(argv, {});
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
  return 0;
}

async function evaluate(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    agent: { type: "string" },
    tool: { type: "string" },
    args: { type: "string" },
    user: { type: "string" },
    intent: { type: "string" },
    json: { type: "boolean" },
  });
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
  return 0;
}

async function test(argv: string[], io: CliIO): Promise<number> {
  const { positionals } = parse(argv, {});
  const policy = await load(fileArg(positionals), io);
  if (!policy) return 2;
  const results = runPolicyTests(policy);
  for (const r of results) {
    const rule = r.expectedRule ? ` by ${r.expectedRule}` : "";
    io.stdout(
      r.ok
        ? `ok    ${r.name}`
        : `FAIL  ${r.name}: expected ${r.expected}${rule}, got ${r.got.effect} by ${r.got.ruleId} (${r.got.reason})`,
    );
  }
  const failed = results.filter((r) => !r.ok).length;
  io.stdout(`${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

async function replay(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...PATH_OPTIONS,
    since: { type: "string" },
    json: { type: "boolean" },
  });
  const policy = await load(fileArg(positionals), io);
  if (!policy) return 2;
  const since = sinceOption(values.since);
  const calls = await withStore(wardenPaths(io, values).db, async (store) => {
    const intents = await store.query({
      kinds: ["call.intent"],
      since,
      newestFirst: false,
      limit: Number.MAX_SAFE_INTEGER,
    });
    const sessions = new Map<string, Awaited<ReturnType<typeof store.session>>>();
    const out: ReplayCall[] = [];
    for (const r of intents) {
      if (!r.session) continue;
      if (!sessions.has(r.session)) sessions.set(r.session, await store.session(r.session));
      const call = replayCallOf(r, sessions.get(r.session) ?? null);
      if (call) out.push(call);
    }
    return out;
  });
  const report = replayCalls(policy, calls);
  if (values.json) {
    io.stdout(JSON.stringify(report));
    return 0;
  }
  io.stdout(`replayed ${calls.length} calls against ${positionals[0]} (${policy.digest})`);
  for (const change of report.changed) {
    io.stdout(
      `  ${change.callId}  ${change.tool}  ${change.before.effect} [${change.before.ruleId}] → ${change.after.effect} [${change.after.ruleId}]`,
    );
  }
  for (const [transition, count] of Object.entries(report.transitions)) io.stdout(`${transition}: ${count}`);
  if (report.changed.length === 0) io.stdout("no decision would change");
  return 0;
}

function replayCallOf(
  r: LedgerRecord,
  session: { onBehalfOf: string; intent: string; parent: string | null } | null,
): ReplayCall | null {
  const d = r.data as Record<string, JsonValue>;
  const decision = d.decision as { effect?: string; ruleId?: string } | null;
  if (!decision?.effect || !r.agent || !r.callId) return null;
  return {
    callId: r.callId,
    ts: r.ts,
    tool: String(d.tool),
    args: d.args ?? {},
    agent: r.agent,
    session: {
      id: r.session ?? "",
      onBehalfOf: session?.onBehalfOf ?? "",
      intent: session?.intent ?? String(d.intent ?? ""),
      parent: session?.parent ?? null,
    },
    before: { effect: decision.effect as ReplayCall["before"]["effect"], ruleId: decision.ruleId ?? "" },
  };
}
