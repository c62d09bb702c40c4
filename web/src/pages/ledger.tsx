// The ledger browser: records by agent, user, tool, kind and time, page by page, each page's range verified by the server.
import { AgentLink } from "../components/agent-link.js";
import { Empty, ErrorBox, Link, shortId, Time } from "../components/common.js";
import { Pager, queryOf, TextFilter, useCursorPages, useUrlFilters } from "../components/paging.js";
import { VisibleText } from "../components/visible-text.js";
import { pathTo } from "../router.js";
import type { LedgerRecord, RangeSegment, RangeVerification, RecordsPage } from "../types.js";
import { summary } from "./sessions.js";
import { TimeFilters, untilIso } from "./time-filters.js";

const FILTERS = ["agent", "user", "tool", "kind", "session", "call", "since", "until"] as const;
const KINDS = [
  "call.intent",
  "call.outcome",
  "approval.request",
  "approval.decision",
  "approval.notify",
  "alert",
  "session.start",
  "session.end",
  "secret.lease",
  "secret.revoke",
  "sandbox.violation",
  "policy.load",
  "mcp.tool.pin",
  "canary.create",
  "key.rotate",
];

/** The verifier's verdict on this page, in words; the color only helps. */
function VerificationBanner(props: { v: RangeVerification | null }) {
  const v = props.v;
  if (!v || v.state === "empty") return null;
  const stretches = `${v.segments.length} stretch${v.segments.length === 1 ? "" : "es"}, ${v.records} records re-hashed`;
  if (v.state === "failed") {
    const f = v.failure;
    return (
      <p class="error" data-testid="range-verification" data-state="failed">
        <strong>Verification failed</strong> for this page's range: {f?.problem}
        {f?.chain && ` at ${f.chain}#${f.seq}`} — {f?.message}. Run <code>warden verify</code> on the ledger.
      </p>
    );
  }
  if (v.state === "unchecked") {
    return (
      <p class="note" data-testid="range-verification" data-state="unchecked">
        Part of this page's range is too long to check here ({stretches}); run <code>warden verify</code>.
      </p>
    );
  }
  return (
    <p class={`verified ${v.state}`} data-testid="range-verification" data-state={v.state}>
      {v.state === "sealed" ? (
        <>
          <strong>Verified:</strong> every record on this page is hash-chained to a signed checkpoint (
          {stretches}).
        </>
      ) : (
        <>
          <strong>Chain intact:</strong> the hashes check ({stretches}); the newest records are not signed by
          a checkpoint yet.
        </>
      )}
    </p>
  );
}

function segmentOf(r: LedgerRecord, segments: readonly RangeSegment[]): RangeSegment | undefined {
  return segments.find((s) => s.chain === r.chain && s.from <= r.seq && r.seq <= s.through);
}

const SEGMENT_WORD: Record<RangeSegment["state"], [string, string]> = {
  sealed: ["signed", "ok"],
  unsealed: ["unsigned yet", "warn"],
  failed: ["failed", "bad"],
  unchecked: ["unchecked", "muted"],
};

export function LedgerPage() {
  const [f, set] = useUrlFilters(FILTERS);
  const base = `/v1/records?${queryOf({ ...f, until: untilIso(f.until), limit: "50" })}`;
  const { data, error, loading, pageNumber, newer, older } = useCursorPages<RecordsPage>(base);
  const text = (key: "agent" | "user" | "tool", label: string) => (
    <TextFilter label={label} value={f[key]} onApply={(v) => set(key, v)} />
  );
  return (
    <section>
      <h1>Ledger</h1>
      <div class="filters">
        {text("agent", "Agent")}
        {text("user", "User")}
        {text("tool", "Tool")}
        <label>
          Kind{" "}
          <select value={f.kind} onChange={(e) => set("kind", e.currentTarget.value)}>
            <option value="">any</option>
            <option value="call.intent,call.outcome">calls</option>
            <option value="approval.request,approval.decision">approvals</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <TimeFilters since={f.since} until={f.until} set={set} />
        {(["session", "call"] as const).map(
          (k) =>
            f[k] && (
              <span key={k}>
                {k} <span class="mono">{shortId(f[k])}</span>{" "}
                <button type="button" class="plain" title={`any ${k}`} onClick={() => set(k, "")}>
                  ✕
                </button>
              </span>
            ),
        )}
      </div>
      <ErrorBox error={error} />
      {data && <VerificationBanner v={data.verification} />}
      {data && data.records.length === 0 && <Empty>{loading ? "Loading…" : "No records match."}</Empty>}
      {data && data.records.length > 0 && (
        <table class="grid" data-testid="records">
          <thead>
            <tr>
              <th class="num">Seq</th>
              <th>Time</th>
              <th>Kind</th>
              <th>Agent</th>
              <th>Summary</th>
              <th>Call</th>
              <th>Session</th>
              <th>Checked</th>
            </tr>
          </thead>
          <tbody>
            {data.records.map((r) => {
              const segment = data.verification ? segmentOf(r, data.verification.segments) : undefined;
              const [word, tone] = segment ? SEGMENT_WORD[segment.state] : ["—", "muted"];
              return (
                <tr key={`${r.chain}:${r.seq}`}>
                  <td class="num mono" title={r.hash}>
                    {r.chain === "main" ? r.seq : `${r.chain}#${r.seq}`}
                  </td>
                  <td>
                    <Time iso={r.ts} />
                  </td>
                  <td class="mono">{r.kind}</td>
                  <td>
                    <AgentLink agent={r.agent} />
                  </td>
                  <td class="wrap">
                    <VisibleText text={summary(r)} />
                  </td>
                  <td class="mono">
                    {r.callId ? <Link href={pathTo("/calls", r.callId)}>{shortId(r.callId)}</Link> : "—"}
                  </td>
                  <td class="mono">
                    {r.session ? (
                      <Link href={pathTo("/sessions", r.session)}>{shortId(r.session)}</Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td>
                    <span class={`badge ${tone}`}>{word}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager pageNumber={pageNumber} newer={newer} older={older} />
    </section>
  );
}
