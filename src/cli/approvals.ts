// `warden approvals | approve | deny`: list pending approvals and decide them, on the local ledger
// file or through a running Warden's API (--url, with an approver's token in WARDEN_TOKEN).
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import {
  Approvals,
  type ApprovalView,
  type DecisionInput,
  type HeldArgsRead,
  heldArgsOf,
} from "../approvals/index.js";
import { parseDuration } from "../config/index.js";
import type { JsonValue } from "../json.js";
import { isPostgresUrl, Ledger, ledgerSigningKey, SqliteStore } from "../ledger/index.js";
import { normalizeName } from "../people.js";
import { loadPolicyFile } from "../policy/index.js";
import { safeText } from "../safe-text.js";
import { missing, parse, printHelp, runCommand, UsageError } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { PATH_OPTIONS, wardenPaths } from "./paths.js";

const REMOTE = `Through a running Warden: --url URL (or WARDEN_URL) and an approver's token in WARDEN_TOKEN;
the ledger records the token's name. On the local ledger file (no --url): the approver is --as NAME
(default: your login name), recorded as role admin via cli — holding the ledger file and its key is
an administrator's power.`;

const LIST_HELP = `usage: warden approvals [--all] [--json] [--url URL] [--dir DIR] [--db FILE]

Lists pending approvals (--all: decided and closed ones too): id, status, tool, agent, user, expiry,
the arguments as recorded (redacted fields hold digests) and, for a pending approval you may decide,
the held arguments (the values the policy redacts, in clear until it is decided or expires), the
digest an approval is bound to, what --remember would cover, whether the waiting caller is still
there, and for a closed approval (its session ended) why.

${REMOTE}`;

const DECIDE_HELP = (
  verb: "approve" | "deny",
) => `usage: warden ${verb} ID ${verb === "approve" ? "[--remember session|DURATION] [--reason TEXT]" : "--reason TEXT"} [--digest sha256:…]
       [--as NAME] [--url URL] [--dir DIR] [--db FILE]

${
  verb === "approve"
    ? `Approves pending approval ID.

${REMEMBER_HELP}`
    : "Denies pending approval ID. The reason goes back to the agent as the tool's error; a denial is\nnever remembered."
}
--digest refuses the decision unless the approval is bound to exactly that digest (APPROVAL_MISMATCH).

${REMOTE}`;

/** What a remembered approval covers, exactly (docs/approvals.md, "Remembering"). */
const REMEMBER_HELP = `--remember (default once: this call only) lets later calls through without asking:
  session   for the rest of this session       1h, 30m, …  for that long (up to maxRemember)
A remembered approval covers a later call only when all of these hold:
  - the same session (never another one; it ends with the session), the same agent, the same user
    the agent acts for, and the same rule asking;
  - the call matches this one on the rule's remember: fields and on every argument the rule's when:
    reads, or on all arguments when the rule names no remember: fields (then only identical calls).
Other arguments may differ. warden approvals prints, as "remember", what it covers for this call.
With several approvers the narrowest choice wins; one "once" means nothing is remembered.`;

const OPTIONS = {
  ...PATH_OPTIONS,
  url: { type: "string" },
  as: { type: "string" },
  json: { type: "boolean" },
  all: { type: "boolean" },
  reason: { type: "string" },
  remember: { type: "string" },
  digest: { type: "string" },
} as const;

export const approvalsCommand: Command = (argv, io) =>
  runCommand(io, LIST_HELP, async () => {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) return printHelp(io, LIST_HELP);
    if (positionals.length > 0) throw new UsageError("warden approvals takes no arguments");
    const status = values.all ? "all" : "pending";
    const views = await access(io, values).list(status);
    if (values.json) {
      io.stdout(JSON.stringify(views));
      return 0;
    }
    if (views.length === 0) io.stdout(values.all ? "no approvals" : "no pending approvals");
    for (const v of views) io.stdout(describe(v));
    return 0;
  });

export const approveCommand: Command = (argv, io) => decideCommand("approve", argv, io);
export const denyCommand: Command = (argv, io) => decideCommand("deny", argv, io);

function decideCommand(verb: "approve" | "deny", argv: string[], io: CliIO): Promise<number> {
  const help = DECIDE_HELP(verb);
  return runCommand(io, help, async () => {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) return printHelp(io, help);
    const [id] = positionals;
    if (id === undefined || positionals.length !== 1) throw new UsageError(`expected: warden ${verb} ID`);
    if (verb === "deny" && !values.reason?.trim())
      throw new UsageError("a denial needs --reason (the agent reads it)");
    if (verb === "deny" && values.remember) throw new UsageError("a denial is never remembered");
    let remember: DecisionInput["remember"] = null;
    if (values.remember === "session") remember = "session";
    else if (values.remember !== undefined && values.remember !== "once") {
      remember = parseDuration(values.remember);
      if (remember === null) throw new UsageError("--remember is once, session or a duration such as 1h");
    }
    const view = await access(io, values).decide(id, {
      decision: verb,
      reason: values.reason ?? null,
      remember,
      digest: values.digest ?? null,
    });
    io.stdout(`${verb === "approve" ? "approved" : "denied"} ${id}: now ${view.status}`);
    return 0;
  });
}

type Values = { url?: string; as?: string; dir?: string; policy?: string; db?: string };
type Decision = Omit<DecisionInput, "approver">;

/** An approval as listed: with its held arguments when the reader may decide it (null otherwise). */
type Listed = ApprovalView & { heldArgs?: HeldView | null };
type HeldView = { state: "held"; args: JsonValue; until: string } | { state: "unreadable"; message: string };

interface Access {
  list(status: "pending" | "all"): Promise<Listed[]>;
  decide(id: string, decision: Decision): Promise<ApprovalView>;
}

function access(io: CliIO, values: Values): Access {
  const url = values.url ?? io.env.WARDEN_URL;
  return url ? remote(url, io.env.WARDEN_TOKEN) : local(io, values);
}

/** Through the HTTP API: the server authenticates the token and records its name. */
function remote(base: string, token: string | undefined): Access {
  if (!token) throw new UsageError("--url needs an approver's token in WARDEN_TOKEN");
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (!res.ok) {
      const error = (json?.error ?? {}) as { code?: string; message?: string };
      throw Object.assign(new Error(error.message ?? `HTTP ${res.status}`), {
        code: error.code ?? `HTTP_${res.status}`,
      });
    }
    return json ?? {};
  };
  return {
    list: async (status) => (await call("GET", `/v1/approvals?status=${status}`)).approvals as Listed[],
    decide: async (id, d) => {
      const remember = typeof d.remember === "number" ? `${d.remember}ms` : (d.remember ?? undefined);
      const body = {
        decision: d.decision,
        reason: d.reason ?? undefined,
        remember,
        digest: d.digest ?? undefined,
      };
      return (await call("POST", `/v1/approvals/${encodeURIComponent(id)}/decision`, body))
        .approval as ApprovalView;
    },
  };
}

/** On the SQLite ledger file beside its signing key, as the local administrator. */
function local(io: CliIO, values: Values): Access {
  const paths = wardenPaths(io, values);
  if (isPostgresUrl(paths.db))
    throw new UsageError("with PostgreSQL, decide through a running Warden: --url URL");
  if (!existsSync(paths.db)) throw missing(`no ledger at ${paths.db}`);
  const withQueue = async <T>(body: (queue: Approvals) => Promise<T>): Promise<T> => {
    const maxRememberMs = existsSync(paths.policy)
      ? (await loadPolicyFile(paths.policy)).approvalChannels.maxRememberMs
      : 24 * 3_600_000;
    const store = await SqliteStore.open(paths.db);
    const signingKey = await ledgerSigningKey(paths.db);
    const ledger = await Ledger.open({ store, signingKey });
    const queue = new Approvals({
      ledger,
      held: heldArgsOf(ledger, signingKey),
      maxRememberMs: () => maxRememberMs,
      sessionEnd: async (id) => {
        const row = await store.session(id);
        return row?.endedAt ? { at: row.endedAt, reason: row.endReason } : null;
      },
    });
    try {
      await queue.start();
      return await body(queue);
    } finally {
      queue.stop();
      await ledger.close();
    }
  };
  const name = normalizeName(values.as ?? userInfo().username);
  return {
    list: (status) =>
      withQueue(async (q) => {
        const views = await Promise.all(q.book.list(() => true, 1_000).map((v) => q.current(v)));
        const shown = views.filter((v) => status === "all" || v.status === "pending");
        // The local administrator reads what an admin deciding the approval would.
        return Promise.all(
          shown.map(async (v) => ({
            ...v,
            heldArgs: heldView(await q.heldArgsFor(v, { name, role: "admin" })),
          })),
        );
      }),
    decide: (id, d) =>
      withQueue((q) => q.decide(id, { ...d, approver: { name, role: "admin", via: "cli" } })),
  };
}

function heldView(read: HeldArgsRead | null): HeldView | null {
  if (read === null || read.state === "none") return null;
  return read;
}

/** One approval, several lines; every value from the agent or its user is escaped on its own line. */
function describe(v: Listed): string {
  const t = safeText;
  const who = v.decisions.map((d) => `${d.decision} by ${d.approver ?? "timeout"}`).join(", ");
  return [
    `${v.id}  ${v.status}  ${t(v.tool)}  agent ${t(v.agent)} for ${t(v.onBehalfOf)}  expires ${v.expiresAt}`,
    `  intent     ${t(v.intent)}`,
    `  rationale  ${t(v.rationale ?? "(none given)")}`,
    `  arguments  ${t(JSON.stringify(v.args))}${v.redacted.length ? `  (redacted: ${t(v.redacted.join(", "))})` : ""}`,
    ...(v.heldArgs?.state === "held"
      ? [
          `  held args  ${t(JSON.stringify(v.heldArgs.args))}  (in clear for deciders until ${v.heldArgs.until})`,
        ]
      : v.heldArgs?.state === "unreadable"
        ? [`  held args  ${t(v.heldArgs.message)}`]
        : []),
    `  rule       ${t(v.ruleId)}: ${t(v.reason)}`,
    `  needs      ${v.required} approver(s) from ${v.by.join(", ")}${who ? `; so far: ${t(who)}` : ""}`,
    `  digest     ${v.digest}`,
    ...(v.closed ? [`  closed     ${t(v.closed.reason)} at ${v.closed.at}`] : []),
    ...(v.callerState ? [`  caller     ${t(v.callerState.text)}`] : []),
    `  remember   ${t(v.scope.covers)}`,
    `             (--remember session: for the rest of this session; --remember 1h: for 1 hour, in this session)`,
  ].join("\n");
}
