// Wires the approvals stage for one Warden: the queue over its ledger, webhook notifications, the
// action-link key and the chat-ops integrations, all from the policy's `approvals:` section.
import type { KeyObject } from "node:crypto";
import { WardenError } from "../errors.js";
import type { JsonObject, JsonValue } from "../json.js";
import type { Ledger } from "../ledger/index.js";
import { MIN_SECRET_BYTES, webhookSigner } from "../webhooks/index.js";
import type { ApprovalChannels } from "./config.js";
import { ArgsSeal, HeldArgs } from "./held-args/index.js";
import { type Integration, SeenIds } from "./inbound.js";
import { ActionLinks } from "./links.js";
import { ApprovalNotifier, type NotifyEntry } from "./notify.js";
import { Approvals, type SessionEnd } from "./queue.js";
import { SlackChannel } from "./slack/channel.js";
import type { ApprovalView } from "./state.js";

export interface ApprovalStage {
  queue: Approvals;
  links: ActionLinks;
  /** Chat-ops bots that may POST decisions, with their secrets. */
  integrations: Integration[];
  /**
   * The webhook ids of their requests already taken: one memory for every listener of this Warden
   * (a second `startServer` on it refuses a replay as the first does).
   */
  integrationIds: SeenIds;
  /** Native Slack channels (policy `approvals.slack`), by name: their interactivity endpoint's handlers. */
  slack: ReadonlyMap<string, SlackChannel>;
  /** Where action links point when the policy names no `publicUrl` (`warden start` sets its own address). */
  useServerUrl(url: string): void;
  close(): Promise<void>;
}

/**
 * Webhooks and integrations are read once (like `export:`): a reload does not change them. A secret
 * the environment lacks stops the start, so no approval is ever announced unsigned or not at all.
 */
export async function openApprovals(deps: {
  ledger: Ledger;
  channels: ApprovalChannels;
  maxRememberMs: () => number;
  signingKey: KeyObject;
  env: Record<string, string | undefined>;
  sessionEnd?: (session: string) => Promise<SessionEnd | null>;
}): Promise<ApprovalStage> {
  const { ledger, channels, env } = deps;
  const secretOf = (what: string, name: string, envName: string) => {
    const secret = env[envName];
    if (!secret) {
      throw new WardenError(
        "APPROVAL_CONFIG_INVALID",
        `approvals ${what} "${name}": environment variable ${envName} is not set`,
      );
    }
    return secret;
  };
  const webhooks = channels.webhooks.map((w) => ({
    name: w.name,
    url: w.url,
    secret: secretOf("webhook", w.name, w.secretEnv),
    includeArgs: w.includeArgs,
  }));
  const slackSecrets = channels.slack.map((s) => ({
    settings: s,
    botToken: secretOf("slack channel", s.name, s.botTokenEnv),
    signingSecret: secretOf("slack channel", s.name, s.signingSecretEnv),
  }));
  const integrations = channels.integrations.map((i) => {
    const secret = secretOf("integration", i.name, i.secretEnv);
    // The rule the senders keep: a weak secret would let anyone forge decisions.
    if (webhookSigner(secret) === null) {
      throw new WardenError(
        "APPROVAL_CONFIG_INVALID",
        `approvals integration "${i.name}": ${i.secretEnv} is not whsec_<base64> of at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    return { name: i.name, secret };
  });
  const links = ActionLinks.fromSigningKey(deps.signingKey);
  let serverUrl: string | null = null;
  const record = async (entry: NotifyEntry) => {
    await ledger.append({
      kind: "approval.notify",
      session: entry.session,
      agent: entry.agent,
      callId: entry.callId,
      data: {
        approvalId: entry.approvalId,
        webhook: entry.webhook,
        attempt: entry.attempt,
        status: entry.status,
        httpStatus: entry.httpStatus,
        error: entry.error,
        ...(entry.message ? { message: entry.message } : {}),
      },
    });
  };
  // After a restart, the message an earlier process posted is found in its approval.notify record.
  const findMessage = async (view: ApprovalView, webhook: string) => {
    const notes = await ledger.store.query({ callId: view.callId, kinds: ["approval.notify"] });
    for (const r of notes) {
      const d = r.data as {
        approvalId?: unknown;
        webhook?: unknown;
        message?: { channel: string; ts: string };
      };
      if (d.approvalId === view.id && d.webhook === webhook && d.message) return d.message;
    }
    return null;
  };
  const notifier = webhooks.length === 0 ? null : newNotifier({ webhooks, record });
  const argsToWebhooks = webhooks.some((w) => w.includeArgs);
  let slack: SlackChannel[] = [];
  const queue = new Approvals({
    ledger,
    held: heldArgsOf(ledger, deps.signingKey),
    maxRememberMs: deps.maxRememberMs,
    ...(deps.sessionEnd ? { sessionEnd: deps.sessionEnd } : {}),
    announce:
      notifier || slackSecrets.length > 0
        ? (view) => {
            for (const channel of slack) channel.announce(view);
            if (!notifier) return;
            const data = notificationData(view, links, channels.publicUrl ?? serverUrl);
            const event = {
              approvalId: view.id,
              callId: view.callId,
              session: view.session,
              agent: view.agent,
              data,
            };
            if (!argsToWebhooks) return notifier.notify(event);
            // Read after the request is durable; a failed read sends digests only, never delays the call.
            void heldFor(queue, view.id).then((heldArgs) => notifier.notify({ ...event, heldArgs }));
          }
        : undefined,
  });
  slack = slackSecrets.map((s) => new SlackChannel({ ...s, queue, record, findMessage }));
  const unsubscribe = queue.onSettled((view, decidedHere) => {
    for (const channel of slack) channel.settled(view, decidedHere);
  });
  await queue.start();
  return {
    queue,
    links,
    integrations,
    integrationIds: new SeenIds(),
    slack: new Map(slack.map((c) => [c.name, c])),
    useServerUrl(url) {
      serverUrl = url.replace(/\/+$/, "");
    },
    async close() {
      unsubscribe();
      queue.stop();
      await Promise.all([notifier?.close(), ...slack.map((c) => c.close())]);
    },
  };
}

async function heldFor(queue: Approvals, id: string): Promise<JsonValue | null> {
  const read = await queue.held?.read(id).catch(() => null);
  return read?.state === "held" ? read.args : null;
}

/** Held arguments on the ledger's own database, under a key derived from its signing key. */
export function heldArgsOf(ledger: Ledger, signingKey: KeyObject): HeldArgs | null {
  const table = ledger.store.heldArgs ?? null;
  return table ? new HeldArgs(table, ArgsSeal.fromSigningKey(signingKey)) : null;
}

function newNotifier(options: ConstructorParameters<typeof ApprovalNotifier>[0]): ApprovalNotifier {
  try {
    return new ApprovalNotifier(options);
  } catch (err) {
    throw new WardenError("APPROVAL_CONFIG_INVALID", `approvals webhooks: ${(err as Error).message}`);
  }
}

/** The body's `data`: what a chat message shows, and links to the dashboard page (never a one-click approve). */
function notificationData(view: ApprovalView, links: ActionLinks, publicUrl: string | null): JsonObject {
  const expiresAt = new Date(view.expiresAt);
  return {
    approval: {
      id: view.id,
      callId: view.callId,
      session: view.session,
      agent: view.agent,
      onBehalfOf: view.onBehalfOf,
      intent: view.intent,
      tool: view.tool,
      args: view.args,
      redacted: view.redacted,
      rationale: view.rationale,
      ruleId: view.ruleId,
      reason: view.reason,
      digest: view.digest,
      required: view.required,
      expiresAt: view.expiresAt,
      scope: { ...view.scope },
    },
    links:
      publicUrl === null
        ? null
        : {
            approve: links.url(publicUrl, { approvalId: view.id, action: "approve", expiresAt }),
            deny: links.url(publicUrl, { approvalId: view.id, action: "deny", expiresAt }),
          },
  };
}
