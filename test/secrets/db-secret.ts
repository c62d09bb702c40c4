// A Warden whose `query_db` tool gets the `db` secret (from DB_PASS) in its context, and a session of it.
import { openWarden } from "../helpers.js";

export const DB_SECRET = "dbpass-7f3a9c2e5b1d4f60";

export async function wardenWithDbSecret(
  extra: { results?: "redact" | "block"; redact?: Record<string, string[]> } = {},
) {
  const { warden } = await openWarden(
    {
      default: "allow",
      ...(extra.redact ? { redact: extra.redact } : {}),
      secrets: {
        ...(extra.results ? { results: extra.results } : {}),
        items: {
          db: { provider: "env", variable: "DB_PASS", tools: ["query_db"], inject: { context: "db" } },
        },
      },
    },
    { env: { DB_PASS: DB_SECRET } },
  );
  const session = await warden.session({
    agent: "db-bot",
    onBehalfOf: "alice@example.com",
    intent: "report",
  });
  return { warden, session };
}
