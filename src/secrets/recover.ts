// Orphan recovery: leases in the ledger with no successful revocation, whose session ended or whose process died.
import { hostname } from "node:os";
import { type LedgerStore, parseRecord, type RecordInput } from "../ledger/index.js";
import { errorCode } from "./errors.js";
import {
  type BrokerInstance,
  LIVE_INSTANCES,
  type RecordedLease,
  recordedLease,
  revokeRecord,
} from "./records.js";
import type { SecretProvider } from "./types.js";

export interface RecoverOptions {
  /**
   * Whether the process that handed a lease out still runs. Default: brokers of this process are
   * alive until closed; another process on this host is alive while its pid is; one on another host
   * is presumed alive (its leases are recovered once their session ends or they expire).
   */
  isAlive?: (instance: BrokerInstance) => boolean;
}

export interface RecoveryReport {
  /** Recorded leases without a successful revocation. */
  open: number;
  revoked: number;
  /** Leases whose revocation failed (recorded as failed; the next recovery tries again). */
  failed: { leaseId: string; name: string; provider: string; error: string }[];
  /** Open leases left alone: their session and process are alive and they have not expired. */
  live: number;
  /** Expired credentials no record named, removed by their provider (sweepExpired). */
  swept: number;
}

export interface RecoverDeps {
  store: LedgerStore;
  providers: ReadonlyMap<string, SecretProvider>;
  record: (input: RecordInput) => Promise<unknown>;
  instance: BrokerInstance;
  /** Lease ids this broker holds right now: never touched. */
  active: ReadonlySet<string>;
  now: () => Date;
}

export async function recoverOrphans(
  deps: RecoverDeps,
  options: RecoverOptions = {},
): Promise<RecoveryReport> {
  const records = await deps.store.query({ kinds: ["secret.lease", "secret.revoke"] });
  const revoked = new Set<string>();
  const leases = new Map<string, RecordedLease>();
  for (const r of records) {
    if (r.kind === "secret.revoke") {
      // A malformed revoke does not count: its lease is revoked again, the safe side.
      const read = parseRecord(r, "secret.revoke");
      if (read.ok && read.record.data.status === "revoked") revoked.add(read.record.data.leaseId);
    } else if (r.kind === "secret.lease") {
      const lease = recordedLease(r);
      if (lease) leases.set(lease.id, lease);
    }
  }
  const isAlive = options.isAlive ?? ((i: BrokerInstance) => defaultAlive(i, deps.instance));
  const ended = new Map<string, boolean>();
  const report: RecoveryReport = { open: 0, revoked: 0, failed: [], live: 0, swept: 0 };
  const now = deps.now();
  for (const lease of leases.values()) {
    if (revoked.has(lease.id)) continue;
    report.open++;
    if (deps.active.has(lease.id) || !(await orphaned(lease))) {
      report.live++;
      continue;
    }
    const provider = deps.providers.get(lease.provider);
    let error: string | null = provider ? null : "no_provider";
    if (provider) {
      try {
        await provider.revoke(lease, { final: true });
      } catch (err) {
        error = errorCode(err);
      }
    }
    await deps.record(revokeRecord(lease, lease, "orphan", error, deps.now(), deps.instance));
    if (error === null) report.revoked++;
    else report.failed.push({ leaseId: lease.id, name: lease.name, provider: lease.provider, error });
  }
  // What no record names: made by a process that died before its lease record was durable.
  for (const provider of deps.providers.values()) {
    // A sweep that fails is tried again at the next recovery, like a failed revocation.
    if (provider.sweepExpired) report.swept += await provider.sweepExpired(now).catch(() => 0);
  }
  return report;

  async function orphaned(lease: RecordedLease): Promise<boolean> {
    if (lease.expiresAt !== "" && Date.parse(lease.expiresAt) <= now.getTime()) return true;
    if (lease.instance === null || !isAlive(lease.instance)) return true;
    if (lease.session === null) return false;
    let done = ended.get(lease.session);
    if (done === undefined) {
      done = ((await deps.store.session(lease.session))?.endedAt ?? null) !== null;
      ended.set(lease.session, done);
    }
    return done;
  }
}

function defaultAlive(instance: BrokerInstance, self: BrokerInstance): boolean {
  if (instance.id === self.id || LIVE_INSTANCES.has(instance.id)) return true;
  if (instance.host !== hostname()) return true;
  // Our pid, yet no broker of this process: the process that had it is gone (a restarted container reuses pids).
  if (instance.pid === process.pid) return false;
  try {
    process.kill(instance.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
