// `warden token create | list | revoke`: bearer tokens for the HTTP service and the dashboard.
import { existsSync } from "node:fs";
import { parseDuration } from "../config/index.js";
import type { TokenRow } from "../ledger/index.js";
import { loadPolicyFile } from "../policy/index.js";
import { safeText } from "../safe-text.js";
import { createToken, ROLES, type Role } from "../server/index.js";
import { parse, printHelp, runCommand, UsageError, unknownChoice } from "./args.js";
import type { CliIO, Command } from "./io.js";
import { withStore } from "./open-store.js";
import { PATH_OPTIONS, type WardenPaths, wardenPaths } from "./paths.js";
import { table } from "./table.js";

const HELP = `usage: warden token create --role agent|approver|auditor|admin [--agent NAME] [--name WHO]
                          [--ttl 90d] [--force] [--json] [--dir DIR] [--policy FILE] [--db FILE]
       warden token list [--json] [--db FILE]
       warden token revoke ID [--db FILE]

Roles: agent (opens sessions for its own --agent and asks for decisions; never reads the ledger or
approves), approver (decides pending approvals; --name is required and is what the ledger records as
the approver; it is stored trimmed and NFKC-normalised, and refused if it differs from an existing
token's name only by case, spacing or look-alike characters), auditor (reads the ledger and the
dashboard), admin (everything). Only the token's SHA-256 digest is stored.

create  prints the token's id and, beside it, the secret (shown once; tab-separated). An agent token
        must name an agent the policy's agents: registry knows (a typo would mint a token no rule
        is written for): refused otherwise, exit 2; --force mints it anyway, with a warning.
        --ttl DURATION (s, m, h or d: 30m, 12h, 90d): the service refuses the token after that.
list    every token: id, role, agent, name, created, last used, expires, revoked. Last use is
        noted by the service at most every 5 s per token.
revoke  the token stops working within 5 s.`;

const SUBCOMMANDS = ["create", "list", "revoke"] as const;

export const tokenCommand: Command = (argv: string[], io: CliIO) =>
  runCommand(io, HELP, async () => {
    const { values, positionals } = parse(argv, {
      ...PATH_OPTIONS,
      role: { type: "string" },
      agent: { type: "string" },
      name: { type: "string" },
      ttl: { type: "string" },
      force: { type: "boolean" },
      json: { type: "boolean" },
    });
    if (values.help) return printHelp(io, HELP);
    const paths = wardenPaths(io, values);
    const [verb, ...args] = positionals;
    if (verb === undefined) throw new UsageError("expected: warden token create | list | revoke ID");
    if (!(SUBCOMMANDS as readonly string[]).includes(verb))
      throw unknownChoice("token command", verb, SUBCOMMANDS);
    if (verb === "revoke") {
      if (args.length !== 1) throw new UsageError("expected: warden token revoke ID");
      const id = args[0]!;
      const revoked = await withStore(paths.db, (store) => store.revokeToken(id, new Date().toISOString()));
      if (!revoked) throw new UsageError(`no unrevoked token ${id}`, { showHelp: false });
      io.stdout(`revoked ${id}`);
      return 0;
    }
    if (args.length > 0) throw new UsageError(`warden token ${verb} takes no other arguments`);
    if (verb === "list") return list(io, paths.db, values.json === true);

    if (!values.role || !ROLES.includes(values.role as Role)) {
      throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    }
    const role = values.role as Role;
    if (role === "agent" && !values.agent) throw new UsageError("an agent token needs --agent NAME");
    if (role !== "agent" && values.agent) throw new UsageError("only agent tokens are bound to an agent");
    if (role === "approver" && !values.name) throw new UsageError("an approver token needs --name WHO");
    const ttlMs = values.ttl === undefined ? null : ttl(values.ttl);
    if (values.agent) await checkAgentKnown(io, paths, values.agent, values.force === true);
    const minted = await withStore(paths.db, (store) =>
      createToken(store, { role, agent: values.agent ?? null, name: values.name ?? null, ttlMs }),
    );
    io.stdout(values.json ? JSON.stringify(minted) : `${minted.id}\t${minted.token}`);
    if (!values.json) {
      const expiry = minted.expiresAt ? `; it expires at ${minted.expiresAt}` : "";
      io.stderr(`(the token is shown once; revoke it with warden token revoke ${minted.id}${expiry})`);
    }
    return 0;
  });

/** A --ttl value: a positive whole number and s, m, h or d. */
function ttl(text: string): number {
  const days = /^([1-9][0-9]{0,5})d$/.exec(text.trim());
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(text);
  if (ms === null || /ms$/.test(text.trim()))
    throw new UsageError("--ttl takes a duration such as 30m, 12h or 90d");
  return ms;
}

/** An agent token for an agent the policy does not register: refused, or minted with a warning when forced. */
async function checkAgentKnown(io: CliIO, paths: WardenPaths, agent: string, force: boolean): Promise<void> {
  let problem: string | null = null;
  if (!existsSync(paths.policy))
    problem = `no policy at ${paths.policy} to check the agent against (pass --policy FILE)`;
  else {
    const policy = await loadPolicyFile(paths.policy);
    if (!policy.agents?.has(agent)) {
      const known = [...(policy.agents?.keys() ?? [])];
      problem = `the policy ${paths.policy} has no agent "${safeText(agent)}" in its agents: registry${
        known.length > 0 ? ` (it has ${known.map(safeText).join(", ")})` : ""
      }`;
    }
  }
  if (problem === null) return;
  if (!force) throw new UsageError(`${problem}; --force mints the token anyway`, { showHelp: false });
  io.stderr(`warden: warning: ${problem}; minting the token anyway (--force)`);
}

async function list(io: CliIO, db: string, json: boolean): Promise<number> {
  const rows = await withStore(db, (store) => store.tokens());
  if (json) {
    // Never the digest: it is all an attacker needs to try guesses offline.
    for (const t of rows) io.stdout(JSON.stringify(publicView(t)));
    return 0;
  }
  if (rows.length === 0) {
    io.stdout("no tokens (create one with warden token create)");
    return 0;
  }
  const header = ["ID", "ROLE", "AGENT", "NAME", "CREATED", "LAST USED", "EXPIRES", "REVOKED"];
  const cells = rows.map((t) => [
    t.id,
    t.role,
    safeText(t.agent ?? "-"),
    safeText(t.name ?? "-"),
    t.createdAt,
    t.lastUsedAt ?? "never",
    t.expiresAt ?? "-",
    t.revokedAt ?? "-",
  ]);
  for (const line of table([header, ...cells])) io.stdout(line);
  return 0;
}

function publicView(t: TokenRow) {
  return {
    id: t.id,
    role: t.role,
    agent: t.agent,
    name: t.name,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
  };
}
