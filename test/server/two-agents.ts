// The agent registry the API tests share: a support bot that may mail, and another agent that may not.
export const TWO_AGENTS = {
  "support-bot": { team: "support", developer: "dana@example.com", tools: ["read_ticket", "send_email"] },
  "other-bot": { team: "other", developer: "x@example.com", tools: ["read_ticket"] },
};
