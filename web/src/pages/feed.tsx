// Live feed: each tool call with its agent, user, decision, rule and latency, as it happens.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { AgentLink } from "../components/agent-link.js";
import { Badge, Empty, ErrorBox, formatMs, Link, Time } from "../components/common.js";
import { VisibleText } from "../components/visible-text.js";
import { useLiveRecords } from "../live.js";
import { pathTo } from "../router.js";
import type { Json, LedgerRecord } from "../types.js";

const MAX_ROWS = 500;

interface CallRow {
  key: string;
  callId: string | null;
  ts: string;
  agent: string;
  user: string;
  tool: string;
  effect: string;
  enforced: string;
  ruleId: string;
  reason: string;
  latencyMs: number | null;
  status: string | null;
  /** For an asked call: what people decided so far (null: not asked). */
  approval: ApprovalState | null;
}

/** What became of an ask, folded from its approval.decision records. */
interface ApprovalState {
  status: "pending" | "approved" | "denied" | "expired";
  approvers: string[];
  deniedBy: string | null;
}

function str(v: Json | undefined): string {
  return typeof v === "string" ? v : "";
}

function userOf(data: LedgerRecord["data"]): string {
  const principal = data.principal;
  if (!Array.isArray(principal)) return "";
  for (const p of principal) {
    if (p && typeof p === "object" && !Array.isArray(p) && p.kind === "user") return str(p.id);
  }
  return "";
}

function rowOf(r: LedgerRecord): CallRow {
  const d = r.data.decision;
  const decision = d && typeof d === "object" && !Array.isArray(d) ? d : {};
  return {
    key: `${r.chain}:${r.seq}`,
    callId: r.callId,
    ts: r.ts,
    agent: r.agent ?? "",
    user: userOf(r.data),
    tool: str(r.data.tool),
    effect: str(decision.effect),
    enforced: str(decision.enforced),
    ruleId: str(decision.ruleId),
    reason: str(decision.reason),
    latencyMs: null,
    status: null,
    approval: str(decision.enforced) === "ask" ? { status: "pending", approvers: [], deniedBy: null } : null,
  };
}

function withDecision(row: CallRow, record: LedgerRecord): CallRow {
  const d = record.data;
  const was = row.approval ?? { status: "pending" as const, approvers: [], deniedBy: null };
  if (was.status !== "pending") return row;
  const who = str(d.approver);
  if (d.decision === "deny") return { ...row, approval: { ...was, status: "denied", deniedBy: who } };
  if (d.decision === "expire") return { ...row, approval: { ...was, status: "expired" } };
  const approvers = was.approvers.includes(who) ? was.approvers : [...was.approvers, who];
  const required = typeof d.required === "number" ? d.required : 1;
  return {
    ...row,
    approval: { ...was, approvers, status: approvers.length >= required ? "approved" : "pending" },
  };
}

/** "approved by alice, ran: ok", "denied by bob", "waiting for approval", "ran: error". */
function Became(props: { row: CallRow }) {
  const { approval: a, status, enforced } = props.row;
  const ran = status ? (
    <>
      ran: <Badge value={status} />
    </>
  ) : null;
  if (a) {
    if (a.status === "denied")
      return (
        <span>
          denied by <VisibleText text={a.deniedBy || "?"} />, did not run
        </span>
      );
    if (a.status === "expired") return <span class="muted">expired, did not run</span>;
    if (a.status === "approved")
      return (
        <span>
          approved by <VisibleText text={a.approvers.join(", ")} />
          {ran ? <>, {ran}</> : <span class="muted">, no outcome yet</span>}
        </span>
      );
    return (
      <span class="muted">
        waiting for approval
        {a.approvers.length > 0 && (
          <>
            {" "}
            (approved so far: <VisibleText text={a.approvers.join(", ")} />)
          </>
        )}
        {ran && <>, {ran}</>}
      </span>
    );
  }
  if (ran) return <span>{ran}</span>;
  return <span class="muted">{enforced === "deny" ? "refused, did not run" : "—"}</span>;
}

function withOutcome(row: CallRow, outcome: LedgerRecord): CallRow {
  const ms = outcome.data.durationMs;
  return { ...row, latencyMs: typeof ms === "number" ? ms : null, status: str(outcome.data.status) };
}

export function FeedPage() {
  const [rows, setRows] = useState<CallRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [historyDenied, setHistoryDenied] = useState(false);
  const [agent, setAgent] = useState("");
  const [tool, setTool] = useState("");
  const [decision, setDecision] = useState("");

  useEffect(() => {
    api<{ records: LedgerRecord[] }>("/v1/ledger?kind=call.intent,call.outcome,approval.decision&limit=1000")
      .then(({ records: newestFirst }) => {
        // Folded oldest first, so a call's decisions and outcome land on its row.
        const records = [...newestFirst].reverse();
        const byCall = new Map<string, CallRow>();
        const loaded: CallRow[] = [];
        for (const r of records) {
          if (r.kind === "call.intent") {
            const row = rowOf(r);
            loaded.push(row);
            if (r.callId) byCall.set(r.callId, row);
            continue;
          }
          const row = r.callId ? byCall.get(r.callId) : undefined;
          if (!row) continue;
          const next = r.kind === "call.outcome" ? withOutcome(row, r) : withDecision(row, r);
          byCall.set(r.callId!, next);
          loaded[loaded.indexOf(row)] = next;
        }
        loaded.reverse();
        // Live rows that arrived while history loaded stay on top.
        setRows((live) => {
          const seen = new Set(live.map((x) => x.key));
          return [...live, ...loaded.filter((l) => !seen.has(l.key))];
        });
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 403) setHistoryDenied(true);
        else setError(e);
      });
  }, []);

  useLiveRecords((r) => {
    if (r.kind === "call.intent") setRows((old) => [rowOf(r), ...old].slice(0, MAX_ROWS));
    else if (r.kind === "call.outcome" && r.callId)
      setRows((old) => old.map((row) => (row.callId === r.callId ? withOutcome(row, r) : row)));
    else if (r.kind === "approval.decision" && r.callId)
      setRows((old) => old.map((row) => (row.callId === r.callId ? withDecision(row, r) : row)));
  });

  const shown = useMemo(
    () =>
      rows.filter(
        (r) =>
          (!agent || r.agent.includes(agent)) &&
          (!tool || r.tool.includes(tool)) &&
          (!decision || r.effect === decision || r.enforced === decision),
      ),
    [rows, agent, tool, decision],
  );

  return (
    <section>
      <h1>Live feed</h1>
      <div class="filters">
        <label>
          Agent <input value={agent} onInput={(e) => setAgent(e.currentTarget.value)} placeholder="any" />
        </label>
        <label>
          Tool <input value={tool} onInput={(e) => setTool(e.currentTarget.value)} placeholder="any" />
        </label>
        <label>
          Decision{" "}
          <select value={decision} onChange={(e) => setDecision(e.currentTarget.value)}>
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="ask">ask</option>
            <option value="deny">deny</option>
          </select>
        </label>
        <span class="muted">
          {shown.length} of {rows.length} calls
        </span>
      </div>
      {historyDenied && (
        <p class="note">Your role does not read the ledger history; calls appear here as they happen.</p>
      )}
      <ErrorBox error={error} />
      {shown.length === 0 ? (
        <Empty>No calls yet.</Empty>
      ) : (
        <table class="grid" data-testid="feed">
          <thead>
            <tr>
              <th>Time</th>
              <th>Agent</th>
              <th>User</th>
              <th>Tool</th>
              <th>Decision</th>
              <th>Rule</th>
              <th class="num">Latency</th>
              <th>What became of it</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.key}>
                <td>
                  {r.callId ? (
                    <Link href={pathTo("/calls", r.callId)}>
                      <Time iso={r.ts} />
                    </Link>
                  ) : (
                    <Time iso={r.ts} />
                  )}
                </td>
                <td>
                  <AgentLink agent={r.agent} />
                </td>
                <td>{r.user ? <VisibleText text={r.user} /> : "—"}</td>
                <td class="mono">{r.tool}</td>
                <td>
                  <Badge value={r.effect} title={r.reason} />
                  {r.enforced && r.enforced !== r.effect && <span class="muted"> (acted: {r.enforced})</span>}
                </td>
                <td class="mono" title={r.reason}>
                  {r.ruleId}
                </td>
                <td class="num">
                  {r.latencyMs === null ? "—" : formatMs(r.latencyMs)}
                  {r.status === "error" && <span class="badge bad">error</span>}
                </td>
                <td data-testid="became">
                  <Became row={r} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
