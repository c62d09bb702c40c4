// Progress relay: the gateway's own token goes upstream; notifications come back under the client's original token.
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification } from "@modelcontextprotocol/sdk/types.js";

interface Notifier {
  sendNotification: (notification: ServerNotification) => Promise<void>;
}

export interface ProgressRelay {
  /** `onprogress` for the upstream request when the downstream request asked for progress; {} otherwise. */
  options: Pick<RequestOptions, "onprogress">;
  /** Resolves once every relayed notification is sent: the result must not overtake the last progress. */
  sent(): Promise<void>;
}

export function progressRelay(meta: Record<string, unknown> | undefined, extra: Notifier): ProgressRelay {
  const token = meta?.progressToken;
  if (typeof token !== "string" && typeof token !== "number")
    return { options: {}, sent: async () => undefined };
  let chain: Promise<void> = Promise.resolve();
  return {
    options: {
      onprogress: (progress) => {
        const params = { ...progress, progressToken: token };
        chain = chain.then(() =>
          extra.sendNotification({ method: "notifications/progress", params }).catch(() => undefined),
        );
      },
    },
    sent: () => chain,
  };
}
