// A call's accountability chain: the user, each agent down to the caller, the decision, approvals, outcome.
import { Badge, ErrorBox, Field, formatMs, Link, Time, useApi } from "../components/common.js";
import { JsonView } from "../components/json-view.js";
import { VisibleText } from "../components/visible-text.js";
import { pathTo } from "../router.js";
import type { AccountabilityChain } from "../types.js";
import { CallLinks } from "./call-links.js";

/** One sentence: asked → decided by whom → ran (or not) → its outcome. */
function became(data: AccountabilityChain): string {
  const { enforced } = data.decision;
  const o = data.outcome;
  const ran = o
    ? `ran: ${o.status}${o.error ? ` (${o.error})` : ""}${o.durationMs !== null ? ` in ${formatMs(o.durationMs)}` : ""}`
    : null;
  if (data.approval?.status === "remembered") {
    return `let through by a remembered approval, ${ran ?? "no outcome recorded yet"}`;
  }
  if (enforced === "ask") {
    const denied = data.approvals.find((a) => a.decision === "deny");
    if (denied) return `asked, denied by ${who(denied)}: did not run`;
    if (data.approvals.some((a) => a.decision === "expire"))
      return "asked, nobody decided in time: did not run";
    const by = data.approvals
      .filter((a) => a.decision === "approve")
      .map(who)
      .join(", ");
    if (ran) return `asked, approved by ${by}, ${ran}`;
    return by ? `asked, approved by ${by}, not run yet` : "asked, waiting for a decision";
  }
  if (enforced === "deny") return "refused: did not run";
  return ran ?? "allowed, no outcome recorded yet";
}

function who(a: AccountabilityChain["approvals"][number]): string {
  return `${a.approver ?? "?"}${a.via ? ` (${a.via})` : ""}`;
}

export function CallPage(props: { id: string }) {
  const { data, error } = useApi<AccountabilityChain>(`/v1/calls/${encodeURIComponent(props.id)}/chain`);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const d = data.decision;
  return (
    <section>
      <p class="crumbs">
        Call / <span class="mono">{data.callId}</span>
      </p>
      <h1>
        <span class="mono">{data.tool}</span> <Badge value={d.effect} />
      </h1>
      <h2>Accountability chain</h2>
      <ol class="chain" data-testid="chain">
        <li>
          <span class="label">prompted by</span>{" "}
          <strong>{data.user ? <VisibleText text={data.user} /> : "—"}</strong>{" "}
          {data.userVerified ? (
            <span class="muted" data-testid="user-verified">
              (verified by <VisibleText text={data.userVerified.issuer} /> as subject{" "}
              <VisibleText text={data.userVerified.subject} />)
            </span>
          ) : (
            <span class="muted" data-testid="user-verified">
              (asserted by the caller, not verified)
            </span>
          )}
        </li>
        {data.agents.map((a) => (
          <li key={a.session}>
            <span class="label">agent</span>{" "}
            <Link href={pathTo("/agents", a.name)}>
              <VisibleText text={a.name} />
            </Link>
            {(a.team || a.developer) && (
              <span class="muted">
                {" "}
                ({[a.team && `team ${a.team}`, a.developer].filter(Boolean).join(", ")})
              </span>
            )}
            <div class="sub">
              session <Link href={pathTo("/sessions", a.session)}>{a.session}</Link>
              {a.intent && (
                <>
                  {" "}
                  — intent: <VisibleText text={a.intent} />
                </>
              )}
            </div>
          </li>
        ))}
        <li>
          <span class="label">tool</span> <span class="mono">{data.tool}</span>
        </li>
      </ol>
      <dl class="facts">
        <Field label="Decision">
          <Badge value={d.effect} /> by rule <span class="mono">{d.ruleId}</span>:{" "}
          <VisibleText text={d.reason} />
          {d.enforced !== d.effect && (
            <span class="muted">
              {" "}
              (acted: {d.enforced}, {data.mode} mode)
            </span>
          )}
        </Field>
        <Field label="Rationale">
          {data.rationale ? <VisibleText text={data.rationale} /> : <span class="muted">(none given)</span>}
        </Field>
        <Field label="Decided">
          <Time iso={data.decidedAt} />
        </Field>
        <Field label="Policy">
          <span class="mono small">{data.policyDigest}</span>
        </Field>
        <Field label="What became of it">
          <span data-testid="call-became">
            <VisibleText text={became(data)} />
          </span>
          {data.approval && (
            <>
              {" "}
              · <Link href={pathTo("/approvals", data.approval.id)}>the approval</Link>
            </>
          )}
        </Field>
        <Field label="Approvals">
          {data.approvals.length === 0
            ? "none"
            : data.approvals.map((a) => (
                <div key={a.at}>
                  <Badge value={a.decision ?? "?"} /> by <VisibleText text={who(a)} /> <Time iso={a.at} />
                </div>
              ))}
        </Field>
        <Field label="Outcome">
          {data.outcome ? (
            <>
              <Badge value={data.outcome.status} />
              {data.outcome.error && ` (${data.outcome.error})`}
              {data.outcome.durationMs !== null && ` in ${formatMs(data.outcome.durationMs)}`}
            </>
          ) : (
            <span class="muted">none recorded</span>
          )}
        </Field>
      </dl>
      <h2>Arguments</h2>
      <JsonView value={data.args} redacted={data.redacted} />
      <CallLinks callId={data.callId} />
    </section>
  );
}
