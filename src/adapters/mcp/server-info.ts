// The serverInfo a client sees with one upstream: that server's name and version, checked as its
// instructions are; its free text (title, description, icons, website) is neither pinned nor passed on.
import type { Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { Ledger } from "../../ledger/index.js";
import { checkTexts } from "../../tool-poisoning.js";
import type { ReviewContext } from "./review.js";

export interface ServerInfoDeps {
  ledger: Ledger;
  poisoning: "block" | "warn";
  context: ReviewContext;
  gatewayInfo: Implementation;
}

/**
 * What the client is told it talks to. A name or version that looks like prompt injection is recorded
 * as an `mcp.tool.poisoning` alert (item `server-info`) and, under `poisoning: block`, replaced by the
 * gateway's own.
 */
export async function shownServerInfo(
  server: string,
  upstream: Implementation | undefined,
  deps: ServerInfoDeps,
): Promise<Implementation> {
  if (upstream === undefined) return deps.gatewayInfo;
  const info = { name: String(upstream.name), version: String(upstream.version) };
  const signals = checkTexts([info.name, info.version]);
  if (signals.length === 0) return info;
  const blocking = deps.poisoning === "block";
  await deps.ledger.append({
    kind: "alert",
    session: deps.context.session,
    agent: deps.context.agent,
    callId: null,
    data: {
      type: "mcp.tool.poisoning",
      server,
      item: "server-info",
      name: "",
      mode: deps.poisoning,
      severity: blocking ? "high" : "medium",
      action: blocking ? "replaced" : "warned",
      message: `the serverInfo of server ${server} looks like prompt injection (${signals.map((s) => s.kind).join(", ")})${blocking ? "; the gateway's own is shown" : ""}`,
      findings: signals.map((s) => ({ kind: s.kind, excerpt: s.excerpt })),
    },
  });
  return blocking ? deps.gatewayInfo : info;
}
