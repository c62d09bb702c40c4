// Slack's interactivity endpoint: POST /slack/{channel name}/interactions, verified by Slack's signing secret.
import { Hono } from "hono";
import type { Warden } from "../warden.js";
import { readText } from "./body.js";
import { errorBody } from "./http-errors.js";

/**
 * Outside /v1 and its bearer check: Slack carries no token, its signature (v0, the channel's signing
 * secret) is what authenticates the request. Set the Slack app's Interactivity Request URL to
 * `<publicUrl>/slack/<name>/interactions`.
 */
export function slackRoutes(warden: Warden): Hono {
  const app = new Hono();
  app.post("/:name/interactions", async (c) => {
    const channel = warden.approvals.slack.get(c.req.param("name"));
    if (!channel) return c.json(errorBody("NOT_FOUND", "no such Slack channel"), 404);
    const raw = await readText(c);
    const reply = await channel.interact(
      { signature: c.req.header("x-slack-signature"), timestamp: c.req.header("x-slack-request-timestamp") },
      raw,
    );
    return c.body(reply.body, reply.status as 200);
  });
  return app;
}
