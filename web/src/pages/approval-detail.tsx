// One approval: everything an approver needs to judge the call, and the controls to decide it.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, describeError } from "../api.js";
import { Badge, Empty, ErrorBox, Field, Link, Time, useApi } from "../components/common.js";
import { Countdown } from "../components/countdown.js";
import { JsonView } from "../components/json-view.js";
import { VisibleText } from "../components/visible-text.js";
import { navigate, pathTo } from "../router.js";
import type { ApprovalView, Me, PreviousCall } from "../types.js";
import { useReloadOnApprovalRecords } from "./approvals.js";

type Choice = "approve" | "deny";
const REMEMBER = [
  { value: "once", label: "This call only" },
  { value: "session", label: "For the rest of this session" },
  { value: "1h", label: "For 1 hour" },
] as const;
type Remember = (typeof REMEMBER)[number]["value"];

interface Detail {
  approval: ApprovalView;
  previousCalls: PreviousCall[];
}

/** A webhook's signed action link (?action=…&link=…) preselects the action; the approver still confirms. */
function useActionLink(id: string): { preselected: Choice | null; error: unknown } {
  const [preselected, setPreselected] = useState<Choice | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const query = new URLSearchParams(location.search);
    const link = query.get("link");
    if (!link) return;
    // The single-use link leaves the address bar (and history) at once.
    navigate(pathTo("/approvals", id), true);
    api<{ action: Choice }>(`/v1/approvals/${encodeURIComponent(id)}/link`, {
      method: "POST",
      body: { link },
    })
      .then((r) => setPreselected(r.action))
      .catch(setError);
  }, [id]);
  return { preselected, error };
}

function DecisionForm(props: { approval: ApprovalView; preselected: Choice | null; onDone: () => void }) {
  const [choice, setChoice] = useState<Choice | null>(props.preselected);
  const [reason, setReason] = useState("");
  const [remember, setRemember] = useState<Remember>("once");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setChoice(props.preselected), [props.preselected]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      await api(`/v1/approvals/${encodeURIComponent(props.approval.id)}/decision`, {
        method: "POST",
        body: {
          decision: choice,
          ...(reason.trim() ? { reason: reason.trim() } : {}),
          ...(choice === "approve" ? { remember } : {}),
          digest: props.approval.digest,
        },
      });
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="decide" onSubmit={submit} data-testid="decision-form">
      <h2>Your decision</h2>
      <div class="choice">
        <button
          type="button"
          class={`choose approve ${choice === "approve" ? "selected" : ""}`}
          aria-pressed={choice === "approve"}
          onClick={() => setChoice("approve")}
        >
          Approve
        </button>
        <button
          type="button"
          class={`choose deny ${choice === "deny" ? "selected" : ""}`}
          aria-pressed={choice === "deny"}
          onClick={() => setChoice("deny")}
        >
          Deny
        </button>
      </div>
      {choice === "approve" && (
        <label>
          Remember
          <select
            name="remember"
            value={remember}
            onChange={(e) => setRemember(e.currentTarget.value as Remember)}
          >
            {REMEMBER.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {choice === "approve" && (
        <>
          <p class="note" data-testid="remember-scope">
            Approves <VisibleText text={props.approval.scope[remember]} />.
          </p>
          {remember !== "once" && (
            <p class="muted small" data-testid="remember-rules">
              A remembered approval lets a later call through without asking only in this session, for this
              agent, this user and this rule, and only when the call matches this one on the fields named
              above; anything else asks again. It ends with the session at the latest.
            </p>
          )}
        </>
      )}
      <label>
        Reason {choice === "deny" ? "(sent back to the agent)" : "(optional)"}
        <textarea
          name="reason"
          rows={3}
          maxLength={1000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={!choice || busy}>
        {choice === "deny" ? "Confirm deny" : choice === "approve" ? "Confirm approve" : "Choose an action"}
      </button>
    </form>
  );
}

/**
 * What the call will run with. A decider sees the values the policy redacts (held, sealed, until the
 * approval is decided or expires); others see the ledger's digests.
 */
function Arguments(props: { approval: ApprovalView }) {
  const a = props.approval;
  const held = a.heldArgs;
  if (held?.state === "held") {
    return (
      <div data-testid="held-args">
        <p class="note">
          Shown in full to you as a decider until this approval is decided or expires. The ledger keeps only
          digests of {a.redacted.join(", ")}.
        </p>
        <JsonView value={held.args} redacted={a.redacted} />
        <details>
          <summary class="muted small">As the ledger records them</summary>
          <JsonView value={a.args} redacted={a.redacted} />
        </details>
      </div>
    );
  }
  return (
    <>
      {held?.state === "unreadable" && (
        <p class="error">The redacted values cannot be shown: {held.message}</p>
      )}
      {a.redacted.length > 0 && (
        <p class="note">Redacted by policy: {a.redacted.join(", ")} (the ledger keeps only digests).</p>
      )}
      <JsonView value={a.args} redacted={a.redacted} />
    </>
  );
}

function MaybeLink(props: { href: string | null; children: ComponentChildren }) {
  return props.href ? <Link href={props.href}>{props.children}</Link> : <span>{props.children}</span>;
}

export function ApprovalDetailPage(props: { id: string; me: Me }) {
  const { data, error, reload } = useApi<Detail>(`/v1/approvals/${encodeURIComponent(props.id)}`);
  const link = useActionLink(props.id);
  useReloadOnApprovalRecords(reload);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const a = data.approval;
  const approvals = a.decisions.filter((d) => d.decision === "approve").length;
  const mayDecide = (props.me.role === "approver" || props.me.role === "admin") && a.status === "pending";
  // Sessions and call chains are ledger reads (auditor, admin): approvers see the ids without links.
  const readsLedger = props.me.role !== "approver";
  return (
    <section>
      <p class="crumbs">
        <Link href="/approvals">Approvals</Link> / <span class="mono">{a.id}</span>
      </p>
      <h1>
        <span class="mono">{a.tool}</span> <Badge value={a.status} />
      </h1>
      <div class="columns">
        <div>
          <dl class="facts">
            <Field label="Agent">
              <Link href={pathTo("/agents", a.agent)}>
                <VisibleText text={a.agent} />
              </Link>
            </Field>
            <Field label="On behalf of">
              <VisibleText text={a.onBehalfOf} />
            </Field>
            <Field label="Declared intent">
              <VisibleText text={a.intent} />
            </Field>
            <Field label="Agent's rationale">
              {a.rationale !== null ? (
                <VisibleText text={a.rationale} />
              ) : (
                <span class="muted">(none given)</span>
              )}
            </Field>
            <Field label="Rule">
              <span class="mono">{a.ruleId}</span> — <VisibleText text={a.reason} />
            </Field>
            {a.closed && (
              <Field label="Closed">
                <VisibleText text={a.closed.reason} /> (<Time iso={a.closed.at} />)
              </Field>
            )}
            {a.callerState && (
              <Field label="Waiting caller">
                <span class={a.callerState.state === "gone" ? "error" : ""} data-testid="caller-state">
                  {a.callerState.text}
                </span>
              </Field>
            )}
            <Field label="Approvals">
              {approvals} of {a.required} required
            </Field>
            <Field label="Requested">
              <Time iso={a.createdAt} />
            </Field>
            <Field label="Expires">
              <Time iso={a.expiresAt} />
              {a.status === "pending" && (
                <>
                  {" "}
                  (<Countdown until={a.expiresAt} />)
                </>
              )}
            </Field>
            <Field label="Session">
              <MaybeLink href={readsLedger ? pathTo("/sessions", a.session) : null}>{a.session}</MaybeLink>
            </Field>
            <Field label="Call">
              <MaybeLink href={readsLedger ? pathTo("/calls", a.callId) : null}>{a.callId}</MaybeLink>
            </Field>
          </dl>
          <h2>Arguments</h2>
          <Arguments approval={a} />
          <p class="muted small">
            Digest <span class="mono">{a.digest}</span>
          </p>
        </div>
        <div>
          {mayDecide && <DecisionForm approval={a} preselected={link.preselected} onDone={reload} />}
          {link.error ? <p class="error">Action link: {describeError(link.error)}</p> : null}
          {!mayDecide && a.status === "pending" && (
            <p class="note">Your role ({props.me.role}) can see this approval but not decide it.</p>
          )}
          <h2>Decisions</h2>
          {a.decisions.length === 0 ? (
            <Empty>No one has decided yet.</Empty>
          ) : (
            <ul class="decisions">
              {a.decisions.map((d) => (
                <li key={`${d.approver}-${d.at}`}>
                  <Badge value={d.decision} />{" "}
                  <strong>
                    {d.approver !== null ? <VisibleText text={d.approver} /> : "no one in time"}
                  </strong>{" "}
                  {d.role && (
                    <span class="muted">
                      ({d.role}, via {d.via}){" "}
                    </span>
                  )}
                  <Time iso={d.at} />
                  {d.remember && (
                    <span class="muted">
                      {" "}
                      · remembered{" "}
                      {d.remember.scope === "session" ? (
                        "for the rest of this session"
                      ) : (
                        <>
                          until <Time iso={d.remember.until} />
                        </>
                      )}
                    </span>
                  )}
                  {d.reason && (
                    <p class="reason">
                      <VisibleText text={d.reason} />
                    </p>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <h2>Earlier calls in this session</h2>
      {data.previousCalls.length === 0 ? (
        <Empty>This is the session's first call.</Empty>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th>Time</th>
              <th>Tool</th>
              <th>Decision</th>
              <th>Rule</th>
              <th>Rationale</th>
            </tr>
          </thead>
          <tbody>
            {data.previousCalls.map((c) => (
              <tr key={`${c.callId}-${c.ts}`}>
                <td>
                  <MaybeLink href={readsLedger && c.callId ? pathTo("/calls", c.callId) : null}>
                    <Time iso={c.ts} />
                  </MaybeLink>
                </td>
                <td class="mono">{c.tool}</td>
                <td>
                  <Badge value={c.effect} />
                  {c.enforced !== c.effect && <span class="muted"> (acted: {c.enforced})</span>}
                </td>
                <td class="mono">{c.ruleId}</td>
                <td>
                  {c.rationale !== null ? <VisibleText text={c.rationale} /> : <span class="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
