// Sessions: who acted for whom and why; one session's records in chain order.
import { Badge, Empty, ErrorBox, Field, Link, Time, useApi } from "../components/common.js";
import { VisibleText } from "../components/visible-text.js";
import { pathTo } from "../router.js";
import type { Json, LedgerRecord, SessionRow } from "../types.js";

export function SessionsPage() {
  const { data, error } = useApi<{ sessions: SessionRow[] }>("/v1/sessions?limit=200");
  return (
    <section>
      <h1>Sessions</h1>
      <ErrorBox error={error} />
      {data && data.sessions.length === 0 && <Empty>No sessions yet.</Empty>}
      {data && data.sessions.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th>Started</th>
              <th>Agent</th>
              <th>On behalf of</th>
              <th>Intent</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {data.sessions.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link href={pathTo("/sessions", s.id)}>
                    <Time iso={s.startedAt} />
                  </Link>
                </td>
                <td>
                  <Link href={pathTo("/agents", s.agent)}>
                    <VisibleText text={s.agent} />
                  </Link>
                </td>
                <td>
                  <VisibleText text={s.onBehalfOf} />
                </td>
                <td>
                  <VisibleText text={s.intent} />
                </td>
                <td>
                  {s.endedAt ? <span class="muted">ended ({s.endReason})</span> : <Badge value="active" />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One line on what a record says, by kind. */
export function summary(r: LedgerRecord): string {
  const d = r.data;
  const text = (v: Json | undefined) =>
    typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
  switch (r.kind) {
    case "call.intent": {
      const dec =
        d.decision && typeof d.decision === "object" && !Array.isArray(d.decision) ? d.decision : {};
      return `${text(d.tool)} → ${text(dec.effect)} (${text(dec.ruleId)})`;
    }
    case "call.outcome":
      return `${text(d.tool)} ${text(d.status)} in ${text(d.durationMs)} ms`;
    case "approval.decision":
      return `${text(d.decision)} by ${text(d.approver)}`;
    case "alert":
      return `${text(d.type)}: ${text(d.message)}`;
    default:
      return "";
  }
}

export function SessionDetailPage(props: { id: string }) {
  const id = encodeURIComponent(props.id);
  const session = useApi<SessionRow>(`/v1/sessions/${id}`);
  const records = useApi<{ records: LedgerRecord[] }>(`/v1/ledger?session=${id}&order=asc&limit=1000`);
  const s = session.data;
  return (
    <section>
      <p class="crumbs">
        <Link href="/sessions">Sessions</Link> / <span class="mono">{props.id}</span>
      </p>
      <h1>Session</h1>
      <ErrorBox error={session.error} />
      {s && (
        <dl class="facts">
          <Field label="Agent">
            <Link href={pathTo("/agents", s.agent)}>
              <VisibleText text={s.agent} />
            </Link>
          </Field>
          <Field label="On behalf of">
            <VisibleText text={s.onBehalfOf} />
          </Field>
          <Field label="Intent">
            <VisibleText text={s.intent} />
          </Field>
          <Field label="Parent">
            {s.parent ? <Link href={pathTo("/sessions", s.parent)}>{s.parent}</Link> : "—"}
          </Field>
          <Field label="Started">
            <Time iso={s.startedAt} />
          </Field>
          <Field label="Ended">
            {s.endedAt ? (
              <>
                <Time iso={s.endedAt} /> ({s.endReason})
              </>
            ) : (
              "active"
            )}
          </Field>
        </dl>
      )}
      <h2>Records</h2>
      <ErrorBox error={records.error} />
      {records.data && (
        <table class="grid">
          <thead>
            <tr>
              <th class="num">Seq</th>
              <th>Time</th>
              <th>Kind</th>
              <th>Call</th>
              <th>Summary</th>
            </tr>
          </thead>
          <tbody>
            {records.data.records.map((r) => (
              <tr key={`${r.chain}:${r.seq}`}>
                <td class="num mono">{r.seq}</td>
                <td>
                  <Time iso={r.ts} />
                </td>
                <td class="mono">{r.kind}</td>
                <td class="mono">
                  {r.callId ? <Link href={pathTo("/calls", r.callId)}>{r.callId}</Link> : "—"}
                </td>
                <td>
                  <VisibleText text={summary(r)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
