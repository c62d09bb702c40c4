// Alerts: what the detectors (and Warden itself) flagged, how badly, and the calls and session behind it.
import { AgentLink } from "../components/agent-link.js";
import { Badge, Empty, ErrorBox, Link, shortId, Time } from "../components/common.js";
import { Pager, queryOf, TextFilter, useCursorPages, useUrlFilters } from "../components/paging.js";
import { VisibleText } from "../components/visible-text.js";
import { pathTo } from "../router.js";
import type { AlertView } from "../types.js";
import { TimeFilters, untilIso } from "./time-filters.js";

const FILTERS = ["severity", "detector", "agent", "call", "since", "until"] as const;
const SEVERITIES = ["critical", "high", "medium", "low", "unrated"];
const SEVERITY_CLASS: Record<string, string> = { critical: "bad", high: "bad", medium: "warn", low: "muted" };

export function SeverityBadge(props: { value: string }) {
  return <span class={`badge ${SEVERITY_CLASS[props.value] ?? "muted"}`}>{props.value}</span>;
}

export function AlertsPage() {
  const [f, set] = useUrlFilters(FILTERS);
  const base = `/v1/alerts?${queryOf({ ...f, until: untilIso(f.until), limit: "50" })}`;
  const { data, error, loading, pageNumber, newer, older } = useCursorPages<{
    alerts: AlertView[];
    next: string | null;
  }>(base);
  return (
    <section>
      <h1>Alerts</h1>
      <div class="filters">
        <label>
          Severity{" "}
          <select value={f.severity} onChange={(e) => set("severity", e.currentTarget.value)}>
            <option value="">any</option>
            <option value="critical,high">high or worse</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <TextFilter label="Detector" value={f.detector} onApply={(v) => set("detector", v)} />
        <TextFilter label="Agent" value={f.agent} onApply={(v) => set("agent", v)} />
        <TimeFilters since={f.since} until={f.until} set={set} />
        {f.call && (
          <span>
            call <span class="mono">{shortId(f.call)}</span>{" "}
            <button type="button" class="plain" onClick={() => set("call", "")}>
              ✕
            </button>
          </span>
        )}
      </div>
      <ErrorBox error={error} />
      {data && data.alerts.length === 0 && <Empty>{loading ? "Loading…" : "No alerts match."}</Empty>}
      {data && data.alerts.length > 0 && (
        <table class="grid" data-testid="alerts">
          <thead>
            <tr>
              <th>Time</th>
              <th>Severity</th>
              <th>Detector</th>
              <th>What</th>
              <th>Agent</th>
              <th>Calls</th>
              <th>Session</th>
            </tr>
          </thead>
          <tbody>
            {data.alerts.map((a) => (
              <tr key={`${a.chain}:${a.seq}`}>
                <td>
                  <Time iso={a.ts} />
                </td>
                <td>
                  <SeverityBadge value={a.severity} />
                </td>
                <td class="mono">{a.detector}</td>
                <td class="wrap">
                  <VisibleText text={a.message} />
                  {a.action && <span class="muted"> ({a.action})</span>}
                </td>
                <td>
                  <AgentLink agent={a.agent} />
                </td>
                <td class="mono">
                  {a.callIds.length === 0
                    ? "—"
                    : a.callIds.map((id) => (
                        <div key={id}>
                          <Link href={pathTo("/calls", id)}>{shortId(id)}</Link>
                        </div>
                      ))}
                </td>
                <td class="mono">
                  {a.session ? <Link href={pathTo("/sessions", a.session)}>{shortId(a.session)}</Link> : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pageNumber={pageNumber} newer={newer} older={older} />
    </section>
  );
}

/** A row's alert as a one-line badge, for the call page. */
export function AlertLine(props: { alert: AlertView }) {
  const a = props.alert;
  return (
    <li>
      <SeverityBadge value={a.severity} /> <span class="mono">{a.detector}</span>:{" "}
      <VisibleText text={a.message} />{" "}
      <span class="muted">
        <Time iso={a.ts} />
      </span>
      {a.action && <Badge value={a.action} />}
    </li>
  );
}
