// Progress relay: the gateway's own token goes upstream; notifications come back under the client's
// original token. While a call waits for a human approval, the gateway sends its own progress first.
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification } from "@modelcontextprotocol/sdk/types.js";

interface Notifier {
  sendNotification: (notification: ServerNotification) => Promise<void>;
}

export interface ProgressRelay {
  /** True when the downstream request asked for progress. */
  readonly wanted: boolean;
  /** `onprogress` for the upstream request when the downstream request asked for progress; {} otherwise. */
  options: Pick<RequestOptions, "onprogress">;
  /** One "still waiting" notice from the gateway itself (a no-op when no progress was asked for). */
  waiting(message: string): void;
  /** Resolves once every relayed notification is sent: the result must not overtake the last progress. */
  sent(): Promise<void>;
}

export function progressRelay(meta: Record<string, unknown> | undefined, extra: Notifier): ProgressRelay {
  const token = meta?.progressToken;
  if (typeof token !== "string" && typeof token !== "number")
    return { wanted: false, options: {}, waiting: () => undefined, sent: async () => undefined };
  let chain: Promise<void> = Promise.resolve();
  // Progress must only grow per token: upstream values come after the gateway's own, shifted past them.
  let own = 0;
  const send = (params: ServerNotification["params"] & object) => {
    chain = chain.then(() =>
      extra
        .sendNotification({ method: "notifications/progress", params } as ServerNotification)
        .catch(() => undefined),
    );
  };
  return {
    wanted: true,
    options: {
      onprogress: (progress) => {
        const shifted =
          own === 0
            ? progress
            : {
                ...progress,
                progress: progress.progress + own,
                ...(progress.total !== undefined ? { total: progress.total + own } : {}),
              };
        send({ ...shifted, progressToken: token });
      },
    },
    waiting: (message) => {
      own++;
      send({ progressToken: token, progress: own, message });
    },
    sent: () => chain,
  };
}
