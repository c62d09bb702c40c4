// Agents as an employee directory: owner team, developer, job description, recent activity, denials.
import { Badge, Empty, ErrorBox, Field, Link, Time, useApi } from "../components/common.js";
import { VisibleText } from "../components/visible-text.js";
import { pathTo } from "../router.js";
import type { AgentEntry, CallSummary, SessionRow } from "../types.js";

function Activity(props: { entry: AgentEntry }) {
  const a = props.entry.activity;
  const plus = a.capped ? "+" : "";
  return (
    <span>
      {a.calls}
      {plus} calls · <span class={a.denials > 0 ? "bad-text" : ""}>{a.denials} denied</span> · {a.asks} asked
    </span>
  );
}

export function AgentsPage() {
  const { data, error } = useApi<{ registry: boolean; agents: AgentEntry[] }>("/v1/agents");
  return (
    <section>
      <h1>Agents</h1>
      <ErrorBox error={error} />
      {data && !data.registry && (
        <p class="note">The policy has no agent registry; these agents are known from their sessions.</p>
      )}
      {data && data.agents.length === 0 && <Empty>No agents registered or seen.</Empty>}
      <div class="cards">
        {data?.agents.map((a) => (
          <article class="card" key={a.name}>
            <h2>
              <Link href={pathTo("/agents", a.name)}>
                <VisibleText text={a.name} />
              </Link>
              {!a.registered && <span class="badge warn">unregistered</span>}
            </h2>
            <p class="job">{a.description ?? <span class="muted">No job description.</span>}</p>
            <dl class="facts compact">
              <Field label="Team">{a.team ?? "—"}</Field>
              <Field label="Developer">{a.developer ?? "—"}</Field>
              <Field label="Tools">{a.tools ? <span class="mono">{a.tools.join(", ")}</span> : "—"}</Field>
              <Field label="Last 24 h">
                <Activity entry={a} />
              </Field>
              <Field label="Last seen">
                <Time iso={a.activity.lastSeen} />
              </Field>
            </dl>
          </article>
        ))}
      </div>
    </section>
  );
}

function CallTable(props: { calls: CallSummary[] }) {
  return (
    <table class="grid">
      <thead>
        <tr>
          <th>Time</th>
          <th>Tool</th>
          <th>Decision</th>
          <th>Rule</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {props.calls.map((c) => (
          <tr key={`${c.callId}-${c.ts}`}>
            <td>
              {c.callId ? (
                <Link href={pathTo("/calls", c.callId)}>
                  <Time iso={c.ts} />
                </Link>
              ) : (
                <Time iso={c.ts} />
              )}
            </td>
            <td class="mono">{c.tool}</td>
            <td>
              <Badge value={c.effect} />
            </td>
            <td class="mono">{c.ruleId}</td>
            <td>
              <VisibleText text={c.reason} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AgentDetailPage(props: { name: string }) {
  const { data, error } = useApi<{
    agent: AgentEntry;
    /** False for approvers: calls and sessions are for auditors and admins. */
    ledgerAccess: boolean;
    recentCalls: CallSummary[];
    denials: CallSummary[];
    sessions: SessionRow[];
  }>(`/v1/agents/${encodeURIComponent(props.name)}`);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const a = data.agent;
  return (
    <section>
      <p class="crumbs">
        <Link href="/agents">Agents</Link> / {a.name}
      </p>
      <h1>{a.name}</h1>
      <p class="job">{a.description ?? <span class="muted">No job description.</span>}</p>
      <dl class="facts">
        <Field label="Team">{a.team ?? "—"}</Field>
        <Field label="Developer">{a.developer ?? "—"}</Field>
        <Field label="May use">
          {a.tools ? <span class="mono">{a.tools.join(", ")}</span> : "any tool the rules allow"}
        </Field>
        <Field label="Last 24 h">
          <Activity entry={a} />
        </Field>
      </dl>
      {data.ledgerAccess ? (
        <AgentHistory {...data} />
      ) : (
        <Empty>Calls and sessions are shown to auditors and admins.</Empty>
      )}
    </section>
  );
}

function AgentHistory(data: { recentCalls: CallSummary[]; denials: CallSummary[]; sessions: SessionRow[] }) {
  return (
    <>
      <h2>Denials</h2>
      {data.denials.length === 0 ? (
        <Empty>No denials in the last 24 hours.</Empty>
      ) : (
        <CallTable calls={data.denials} />
      )}
      <h2>Recent calls</h2>
      {data.recentCalls.length === 0 ? (
        <Empty>No calls in the last 24 hours.</Empty>
      ) : (
        <CallTable calls={data.recentCalls} />
      )}
      <h2>Sessions</h2>
      {data.sessions.length === 0 ? (
        <Empty>No sessions.</Empty>
      ) : (
        <ul class="plain">
          {data.sessions.map((s) => (
            <li key={s.id}>
              <Link href={pathTo("/sessions", s.id)}>
                <Time iso={s.startedAt} />
              </Link>{" "}
              for <VisibleText text={s.onBehalfOf} />: <VisibleText text={s.intent} />{" "}
              {s.endedAt ? <span class="muted">(ended)</span> : <Badge value="active" />}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
