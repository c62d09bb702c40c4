// The stages around running a tool: secrets leased for the call (secrets/), the contained run of a
// command tool (sandbox/), and the result the model sees, with handed-out values and credentials masked.
import { inspect } from "node:util";
import { keyPath } from "../config/index.js";
import { WardenError } from "../errors.js";
import type { SessionInfo } from "../identity/index.js";
import { type JsonValue, toJsonValue } from "../json.js";
import { guardedFetch } from "../sandbox/index.js";
import {
  type Injections,
  injectionsOf,
  redactCredentials,
  type SecretStage,
  scanCredentials,
} from "../secrets/index.js";
import type { LivePolicy } from "./live-policy.js";
import type { ToolContext } from "./request.js";

/** Leases of a session with no `sessions.maxDuration` still end this long after it started. */
const DEFAULT_LEASE_HORIZON_MS = 8 * 3_600_000;

const NONE: Injections = Object.freeze({ env: {}, headers: [], context: {} }) as Injections;

export class Execution {
  readonly #secrets: SecretStage | null;
  readonly #policy: LivePolicy;

  constructor(deps: { secrets: SecretStage | null; policy: LivePolicy }) {
    this.#secrets = deps.secrets;
    this.#policy = deps.policy;
  }

  /** Leases the secrets the policy gives `tool`; each lease is recorded before its value is used. */
  async inject(
    tool: string,
    callId: string,
    resolveSession: () => Promise<SessionInfo>,
  ): Promise<Injections> {
    const stage = this.#secrets;
    if (!stage || stage.broker.secretsFor(tool).length === 0) return NONE;
    const session = await resolveSession();
    const maxMs = this.#policy.current.sessionLimits.maxDurationMs ?? DEFAULT_LEASE_HORIZON_MS;
    const deadline = new Date(Date.parse(session.startedAt) + maxMs);
    const leases = await stage.broker.leaseFor(
      { id: session.id, agent: session.agent, onBehalfOf: session.onBehalfOf, deadline },
      tool,
      { callId },
    );
    return injectionsOf(leases, stage.items);
  }

  /** What an in-process tool receives besides its arguments. */
  context(callId: string, injections: Injections, signal: AbortSignal): ToolContext {
    const { allow, deny } = this.#policy.current.containment;
    return { callId, secrets: { ...injections.context }, fetch: guardedFetch(allow, deny), signal };
  }

  /**
   * The result as the model may see it: values handed out to the session become `[secret:NAME]`, and
   * credential formats are masked; under `results: block` (see SecretsSettings.resultsFor) a result
   * holding either is refused instead. Without a `secrets:` section results pass unchanged.
   */
  screenResult<R>(result: R, session: string, tool: string): R {
    const stage = this.#secrets;
    if (!stage || result === undefined) return result;
    let json: JsonValue;
    try {
      json = toJsonValue(result);
    } catch {
      this.screenUnseen(session, tool, "is not plain JSON");
      return result;
    }
    return this.#screenJson(json, session, stage, tool, `the result of tool "${tool}"`) as R;
  }

  /**
   * What an entry point relays from an upstream besides results (MCP progress, log messages, an
   * upstream's own requests), screened as a result is: by `tool`'s rule while it belongs to a call, else
   * the policy-wide `secrets.results`. RESULT_WITHHELD when it must not pass (or is not plain JSON).
   */
  screenRelayed<T>(value: T, session: string, tool: string | null): T {
    const stage = this.#secrets;
    if (!stage || value === undefined) return value;
    let json: JsonValue;
    try {
      json = toJsonValue(value);
    } catch {
      throw withheldError(
        "a message that is not plain JSON could not be screened for secrets; it was withheld",
      );
    }
    return this.#screenJson(json, session, stage, tool, "a relayed message") as T;
  }

  /** Handed-out values and credential formats masked; under `block` either withholds the value instead. */
  #screenJson(json: JsonValue, session: string, stage: SecretStage, tool: string | null, what: string) {
    const masked = stage.redactor.redact(json, session);
    const rule = tool === null ? stage.settings.results : stage.settings.resultsFor(tool);
    // Under block a handed-out value (in a form masking recognises) withholds it like a credential.
    if (
      rule === "block" &&
      (scanCredentials(JSON.stringify(masked)).length > 0 || JSON.stringify(masked) !== JSON.stringify(json))
    ) {
      throw withheldError(`${what} holds a credential; it was withheld`);
    }
    return redactCredentials(masked);
  }

  /**
   * Whether `session` could have leased secrets whose values this process does not hold now (none are
   * registered here for it): only then does a reported result need the ledger's word on its leases.
   */
  mayMissLeasedValues(session: string): boolean {
    const stage = this.#secrets;
    return stage !== null && stage.items.size > 0 && stage.redactor.size(session) === 0;
  }

  /**
   * The JSON paths of `args` (a call of `session`) holding a value handed out to the session, in a form
   * masking recognises: the intent record keeps them as digests, as it keeps credentials DLP finds. A
   * key holding one takes its whole object (a path must not spell it). None while it holds no value.
   */
  leasedPaths(args: JsonValue, session: string): string[] {
    const stage = this.#secrets;
    if (!stage || stage.redactor.size(session) === 0) return [];
    const holds = (text: string) => stage.redactor.redactText(text, session) !== text;
    const paths: string[] = [];
    const visit = (value: JsonValue, path: string): void => {
      if (typeof value === "string" || typeof value === "number") {
        if (holds(typeof value === "string" ? value : JSON.stringify(value))) paths.push(path);
      } else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) visit(value[i] as JsonValue, `${path}[${i}]`);
      } else if (value !== null && typeof value === "object") {
        const keys = Object.keys(value);
        if (keys.some(holds)) paths.push(path);
        else {
          for (const key of keys) visit(value[key] as JsonValue, keyPath(path, key));
        }
      }
    };
    visit(args, "$");
    return paths;
  }

  /** `text` with the values handed out to `session` masked (`[secret:NAME]`), as in a result. */
  maskLeased(text: string, session: string): string {
    const stage = this.#secrets;
    if (!stage || stage.redactor.size(session) === 0) return text;
    return stage.redactor.redactText(text, session);
  }

  /**
   * A result Warden cannot look inside (not plain JSON, or one its caller did not send): fine while the
   * session holds no secret; otherwise it must not pass unscreened (RESULT_WITHHELD).
   */
  screenUnseen(session: string, tool: string, why: string): void {
    const stage = this.#secrets;
    if (!stage || stage.redactor.size(session) === 0) return;
    throw new WardenError(
      "RESULT_WITHHELD",
      `the result of tool "${tool}" ${why} and could not be screened for secrets; it was withheld`,
    );
  }

  /**
   * A result its caller ran and could not send (not JSON, too large): under `results: block` it is
   * withheld, since nothing proves it holds no credential; otherwise as screenUnseen.
   */
  screenUnsent(session: string, tool: string): void {
    const stage = this.#secrets;
    if (stage?.settings.resultsFor(tool) === "block") {
      throw new WardenError(
        "RESULT_WITHHELD",
        `the result of tool "${tool}" was not sent to Warden and could not be screened under results: block; it was withheld`,
      );
    }
    this.screenUnseen(session, tool, "was not sent to Warden");
  }

  /**
   * The error a tool threw, as its caller (and the model) may see it, by the rule of `tool`'s results
   * (SecretsSettings.resultsFor): values handed out to the session and credential formats are masked in
   * an Error's message and stack; what else it carries (its name and code, however defined, its cause
   * chain, an AggregateError's errors, its own fields) is not rewritten, so an error still holding one
   * there is withheld (RESULT_WITHHELD), as is every error holding one under `block`, and one whose
   * chain of causes is too long to read. A thrown string or object is screened as a result is. The
   * ledger keeps only the error's code either way (its `code`, else its `name`: both screened here).
   */
  screenError(err: unknown, session: string, tool: string): unknown {
    const stage = this.#secrets;
    if (!stage) return err;
    try {
      if (!(err instanceof Error)) return this.screenResult(err, session, tool);
      const leased = stage.redactor.size(session) > 0;
      const holdsSecret = (text: string) =>
        (leased && stage.redactor.redactText(text, session) !== text) || scanCredentials(text).length > 0;
      if (!holdsSecret(exposedText(err))) return err;
      if (stage.settings.resultsFor(tool) === "block") {
        return withheldError("the tool failed with an error that held a secret; it was withheld");
      }
      const mask = (text: string) => redactCredentials(stage.redactor.redactText(text, session)) as string;
      err.message = mask(err.message);
      if (typeof err.stack === "string") err.stack = mask(err.stack);
      if (holdsSecret(exposedText(err))) {
        return withheldError("the tool failed with an error whose details held a secret; it was withheld");
      }
      return err;
    } catch (thrown) {
      if (thrown instanceof WardenError && thrown.code === "RESULT_WITHHELD") return thrown;
      return withheldError("the tool failed; its error could not be screened for secrets");
    }
  }
}

/** Errors linked from one error (causes, an AggregateError's members) read at most: a longer chain is withheld. */
const MAX_LINKED_ERRORS = 256;

/**
 * Everything a caller may read of an error: each error of its cause chain and AggregateError members
 * as inspectError shows it (which reaches 8 levels down only) and as JSON.stringify does, with the
 * `name` and `code` a caller reads (a getter or a hidden field too; the ledger records one of them).
 * Throws when the chain is longer than MAX_LINKED_ERRORS (or a getter throws): not screened, withheld.
 */
function exposedText(err: Error): string {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  const parts: string[] = [];
  for (let at = 0; at < queue.length; at++) {
    const link = queue[at];
    if (link === null || (typeof link !== "object" && typeof link !== "function") || seen.has(link)) continue;
    seen.add(link);
    if (seen.size > MAX_LINKED_ERRORS) throw new Error("too many linked errors to screen");
    const fields = link as { name?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
    parts.push(
      link instanceof Error ? inspectError(link) : "",
      String(fields.name),
      String(fields.code),
      serialized(link),
    );
    queue.push(fields.cause);
    if (Array.isArray(fields.errors)) queue.push(...fields.errors);
  }
  return parts.join("\n");
}

/** `value` as JSON.stringify shows it (its toJSON and getters run); "" when it cannot be (a cycle). */
function serialized(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/**
 * Everything an error shows when logged or serialized: message, stack, cause chain, an AggregateError's
 * errors, own fields (to depth 8, no getters or custom inspection run, no string or array cut short).
 */
function inspectError(err: Error): string {
  return inspect(err, {
    depth: 8,
    customInspect: false,
    getters: false,
    maxStringLength: Number.POSITIVE_INFINITY,
    maxArrayLength: Number.POSITIVE_INFINITY,
    breakLength: Number.POSITIVE_INFINITY,
  });
}

function withheldError(message: string): WardenError {
  return new WardenError("RESULT_WITHHELD", message);
}
