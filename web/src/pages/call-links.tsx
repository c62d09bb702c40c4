// What a call page links to besides its chain: the call's alerts, its approval, and its records in the ledger browser.
import { ErrorBox, Link, useApi } from "../components/common.js";
import { pathTo } from "../router.js";
import type { AlertView, RecordsPage } from "../types.js";
import { AlertLine } from "./alerts.js";

export function CallLinks(props: { callId: string }) {
  const id = encodeURIComponent(props.callId);
  const alerts = useApi<{ alerts: AlertView[] }>(`/v1/alerts?call=${id}&limit=50`);
  const requests = useApi<RecordsPage>(`/v1/records?call=${id}&kind=approval.request&verify=0&limit=10`);
  const approvalIds = (requests.data?.records ?? [])
    .map((r) => r.data.approvalId)
    .filter((a): a is string => typeof a === "string");
  return (
    <>
      <h2>Approval</h2>
      <ErrorBox error={requests.error} />
      <p data-testid="call-approval">
        {requests.data && approvalIds.length === 0 && (
          <span class="muted">No approval was asked for this call.</span>
        )}
        {approvalIds.map((a) => (
          <Link key={a} href={pathTo("/approvals", a)}>
            Open approval <span class="mono">{a}</span>
          </Link>
        ))}
      </p>
      <h2>Alerts</h2>
      <ErrorBox error={alerts.error} />
      {alerts.data && alerts.data.alerts.length === 0 && <p class="muted">No alert names this call.</p>}
      {alerts.data && alerts.data.alerts.length > 0 && (
        <ul class="plain alerts" data-testid="call-alerts">
          {alerts.data.alerts.map((a) => (
            <AlertLine key={`${a.chain}:${a.seq}`} alert={a} />
          ))}
        </ul>
      )}
      <p>
        <Link href={`/ledger?call=${id}`}>All records of this call</Link>
        {" · "}
        <Link href={`/alerts?call=${id}`}>Its alerts on the Alerts page</Link>
      </p>
    </>
  );
}
