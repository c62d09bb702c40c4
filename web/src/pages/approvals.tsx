// Approvals: the pending queue (live) and the decided ones with who decided.
import { useEffect, useRef } from "preact/hooks";
import { Badge, Empty, ErrorBox, Link, Time, useApi } from "../components/common.js";
import { Countdown } from "../components/countdown.js";
import { VisibleText } from "../components/visible-text.js";
import { useLiveRecords, useLiveState } from "../live.js";
import { pathTo } from "../router.js";
import type { ApprovalView } from "../types.js";

/**
 * Refetches on approval records, at most once per 250 ms (a burst of records is one reload), and each time
 * the live stream (re)opens: an approval asked between the page's first fetch and the stream's start, or
 * while it was reconnecting, reaches no listener, so the list is read again once records flow.
 */
function useReloadOnApprovalRecords(reload: () => void): void {
  const timer = useRef<number | null>(null);
  const soon = () => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      reload();
    }, 250);
  };
  useLiveRecords((r) => {
    if (r.kind.startsWith("approval.")) soon();
  });
  const live = useLiveState();
  const wasLive = useRef(live === "live");
  useEffect(() => {
    if (live === "live" && !wasLive.current) soon();
    wasLive.current = live === "live";
  }, [live]);
}

function ApprovalTable(props: { approvals: ApprovalView[]; decided: boolean }) {
  return (
    <table class="grid" data-testid={props.decided ? "decided-approvals" : "pending-approvals"}>
      <thead>
        <tr>
          <th>Requested</th>
          <th>Agent</th>
          <th>On behalf of</th>
          <th>Tool</th>
          <th>Rule</th>
          <th>Status</th>
          {!props.decided && <th>Expires</th>}
          <th>{props.decided ? "Decided by" : "Approvals"}</th>
        </tr>
      </thead>
      <tbody>
        {props.approvals.map((a) => (
          <tr key={a.id}>
            <td>
              <Link href={pathTo("/approvals", a.id)}>
                <Time iso={a.createdAt} />
              </Link>
            </td>
            <td>
              <VisibleText text={a.agent} />
            </td>
            <td>
              <VisibleText text={a.onBehalfOf} />
            </td>
            <td class="mono">
              <Link href={pathTo("/approvals", a.id)}>{a.tool}</Link>
            </td>
            <td class="mono" title={a.reason}>
              {a.ruleId}
            </td>
            <td>
              <Badge value={a.status} />
            </td>
            {!props.decided && (
              <td>
                <Countdown until={a.expiresAt} />
              </td>
            )}
            <td>
              {props.decided ? (
                <VisibleText
                  text={
                    a.decisions.map((d) => `${d.approver ?? "timeout"} (${d.decision})`).join(", ") || "—"
                  }
                />
              ) : (
                `${a.decisions.filter((d) => d.decision === "approve").length} of ${a.required}`
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ApprovalsPage() {
  const pending = useApi<{ approvals: ApprovalView[] }>("/v1/approvals?status=pending&limit=200");
  const decided = useApi<{ approvals: ApprovalView[] }>("/v1/approvals?status=decided&limit=50");
  useReloadOnApprovalRecords(() => {
    pending.reload();
    decided.reload();
  });
  return (
    <section>
      <h1>Approvals</h1>
      <h2>Waiting for a decision</h2>
      <ErrorBox error={pending.error} />
      {pending.data && pending.data.approvals.length === 0 && <Empty>Nothing is waiting.</Empty>}
      {pending.data && pending.data.approvals.length > 0 && (
        <ApprovalTable approvals={pending.data.approvals} decided={false} />
      )}
      <h2>Decided</h2>
      <ErrorBox error={decided.error} />
      {decided.data && decided.data.approvals.length === 0 && <Empty>No decisions yet.</Empty>}
      {decided.data && decided.data.approvals.length > 0 && (
        <ApprovalTable approvals={decided.data.approvals} decided={true} />
      )}
    </section>
  );
}

export { useReloadOnApprovalRecords };
