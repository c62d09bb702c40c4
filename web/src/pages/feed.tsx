// Live feed: each tool call with its agent, user, decision, rule and latency, as it happens.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { Badge, Empty, ErrorBox, formatMs, Link, Time } from "../components/common.js";
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
  };
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
    api<{ records: LedgerRecord[] }>("/v1/ledger?kind=call.intent,call.outcome&limit=1000")
      .then(({ records }) => {
        const outcomes = new Map<string, LedgerRecord>();
        for (const r of records) if (r.kind === "call.outcome" && r.callId) outcomes.set(r.callId, r);
        const intents = records.filter((r) => r.kind === "call.intent");
        const loaded = intents.map((r) => {
          const o = r.callId ? outcomes.get(r.callId) : undefined;
          return o ? withOutcome(rowOf(r), o) : rowOf(r);
        });
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
                <td>{r.agent ? <Link href={pathTo("/agents", r.agent)}>{r.agent}</Link> : "—"}</td>
                <td>{r.user || "—"}</td>
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
