// The policy the adapter tests share: one tool allowed, one blocked, one that needs a human.
export const ADAPTER_POLICY = {
  version: 1,
  default: "deny",
  rules: [
    { id: "weather-ok", tool: "get_weather", decision: "allow" },
    { id: "no-email", tool: "send_email", decision: "deny", reason: "agents never send email" },
    { id: "refunds-ask", tool: "refund", decision: "ask", reason: "refunds need a human" },
  ],
};
