// The policy in force: swapped atomically on reload, every load and refusal written to the ledger.
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { PolicyInvalidError, WardenError } from "../errors.js";
import type { LedgerRecord, RecordInput } from "../ledger/index.js";
import { type CompiledPolicy, type LimitSpec, loadPolicyFile, RateLimiter } from "../policy/index.js";
import type { Limiter } from "./shared-limiter.js";

export type ReloadResult =
  | { ok: true; digest: string; changed: boolean }
  | { ok: false; error: PolicyInvalidError | WardenError };

export class LivePolicy {
  #current: CompiledPolicy;
  readonly limiter: Limiter;
  readonly #path: string | null;
  readonly #append: (input: RecordInput) => Promise<LedgerRecord>;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #reloading: Promise<ReloadResult> | null = null;

  constructor(
    initial: CompiledPolicy,
    path: string | null,
    append: (input: RecordInput) => Promise<LedgerRecord>,
    /** A limiter shared by several instances; default the in-memory one (this process only). */
    limiter: (limits: readonly LimitSpec[]) => Limiter = (limits) => new RateLimiter(limits),
  ) {
    this.#current = initial;
    this.#path = path;
    this.#append = append;
    this.limiter = limiter(initial.limits);
  }

  get current(): CompiledPolicy {
    return this.#current;
  }

  /** Records the policy in force (at open). */
  async recordLoaded(): Promise<void> {
    await this.#append(loadRecord(this.#current, "loaded"));
  }

  /** Re-reads the policy file. A valid policy replaces the old one; an invalid one is refused and recorded. */
  reload(): Promise<ReloadResult> {
    // Reloads queue behind each other so two file events cannot interleave their swaps.
    const next = (this.#reloading ?? Promise.resolve()).then(() => this.#reload());
    this.#reloading = next.finally(() => {
      if (this.#reloading === next) this.#reloading = null;
    });
    return next;
  }

  async #reload(): Promise<ReloadResult> {
    if (!this.#path) {
      return {
        ok: false,
        error: new WardenError("INVALID_REQUEST", "this policy was not loaded from a file"),
      };
    }
    let candidate: CompiledPolicy;
    try {
      candidate = await loadPolicyFile(this.#path);
    } catch (err) {
      if (!(err instanceof PolicyInvalidError)) throw err;
      await this.#append({
        kind: "policy.load",
        session: null,
        agent: null,
        callId: null,
        data: {
          status: "refused",
          source: this.#path,
          digest: null,
          inForce: this.#current.digest,
          issues: err.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`),
        },
      }).catch(() => undefined);
      return { ok: false, error: err };
    }
    if (candidate.digest === this.#current.digest)
      return { ok: true, digest: candidate.digest, changed: false };
    // Recorded before it takes effect: no decision is ever made under a policy the ledger has not seen.
    await this.#append(loadRecord(candidate, "loaded"));
    this.#current = candidate;
    this.limiter.replaceLimits(candidate.limits);
    return { ok: true, digest: candidate.digest, changed: true };
  }

  /** Reloads when the file changes (debounced: editors write in several steps). */
  watch(onResult: (result: ReloadResult) => void): void {
    if (!this.#path || this.#watcher) return;
    const name = basename(this.#path);
    // The folder, not the file: editors replace files by rename, which would orphan a file watch.
    this.#watcher = watch(dirname(this.#path), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.#debounce) clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => {
        this.reload().then(onResult, (err) => onResult({ ok: false, error: asWardenError(err) }));
      }, 100);
      this.#debounce.unref();
    });
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#debounce) clearTimeout(this.#debounce);
  }
}

function loadRecord(policy: CompiledPolicy, status: "loaded"): RecordInput {
  return {
    kind: "policy.load",
    session: null,
    agent: null,
    callId: null,
    data: { status, source: policy.source, digest: policy.digest, mode: policy.mode },
  };
}

function asWardenError(err: unknown): WardenError {
  return err instanceof WardenError ? err : new WardenError("LEDGER_UNAVAILABLE", String(err));
}
