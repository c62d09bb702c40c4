// Ledger integrity: the latest signed checkpoint per chain and the verifier's last verdict.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { Badge, ErrorBox, Field, Time, useApi } from "../components/common.js";
import type { ChainIntegrity, Me, Verification } from "../types.js";

export function IntegrityPage(props: { me: Me }) {
  const { data, error, reload } = useApi<{ chains: ChainIntegrity[]; lastVerification: Verification | null }>(
    "/v1/integrity",
  );
  const [busy, setBusy] = useState(false);
  const [verifyError, setVerifyError] = useState<unknown>(null);
  const mayVerify = props.me.role === "auditor" || props.me.role === "admin";

  const verify = async () => {
    setBusy(true);
    setVerifyError(null);
    try {
      await api("/v1/integrity/verify", { method: "POST" });
      reload();
    } catch (err) {
      setVerifyError(err);
    } finally {
      setBusy(false);
    }
  };

  const v = data?.lastVerification ?? null;
  return (
    <section>
      <h1>Ledger integrity</h1>
      <ErrorBox error={error} />
      <div class="verdict" data-testid="verdict">
        {v === null ? (
          <p class="muted">Not verified since the server started.</p>
        ) : v.ok ? (
          <p>
            <Badge value="intact" /> <strong>Intact</strong>: {v.records} records and {v.checkpoints} signed
            checkpoints verified in {v.durationMs} ms, <Time iso={v.at} />.
          </p>
        ) : (
          <p>
            <Badge value="failed" /> <strong>Verification failed</strong> at chain{" "}
            <span class="mono">{v.failure?.chain ?? "—"}</span>, record{" "}
            <span class="mono">{v.failure?.seq ?? "—"}</span>: {v.failure?.problem} — {v.failure?.message} (
            <Time iso={v.at} />)
          </p>
        )}
        {v && v.keySource === "beside-ledger" && (
          <p class="note small">
            Checked with the public key stored beside the ledger: this shows the ledger agrees with itself.
            For the strong check run <span class="mono">warden verify --key</span> with a copy of the key kept
            elsewhere.
          </p>
        )}
        {mayVerify && (
          <button type="button" class="primary" disabled={busy} onClick={verify}>
            {busy ? "Verifying…" : "Verify now"}
          </button>
        )}
        <ErrorBox error={verifyError} />
      </div>
      <h2>Chains</h2>
      {data?.chains.map((c) => (
        <dl class="facts" key={c.chain}>
          <Field label="Chain">
            <span class="mono">{c.chain}</span>
          </Field>
          <Field label="Head">
            {c.head ? (
              <>
                record {c.head.seq} · <span class="mono small">{c.head.hash}</span> · <Time iso={c.head.ts} />
              </>
            ) : (
              "empty"
            )}
          </Field>
          <Field label="Last checkpoint">
            {c.checkpoint ? (
              <>
                record {c.checkpoint.seq} · <Time iso={c.checkpoint.ts} /> · key{" "}
                <span class="mono small">{c.checkpoint.keyId}</span>
                {c.head && c.head.seq > c.checkpoint.seq && (
                  <span class="muted"> ({c.head.seq - c.checkpoint.seq} records not yet signed)</span>
                )}
              </>
            ) : (
              <span class="muted">none yet</span>
            )}
          </Field>
        </dl>
      ))}
    </section>
  );
}
