// The Block Kit messages of a Slack approval: the question with its buttons, then the answer in its place.
import type { JsonObject, JsonValue } from "../../json.js";
import { HIDDEN_CHARS, markLookAlikes } from "../../safe-text.js";
import type { ApprovalView } from "../state.js";

/** What chat.postMessage and chat.update take besides the channel: fallback text and the blocks. */
export interface SlackMessage {
  text: string;
  blocks: JsonObject[];
}

/** The remember choices, their option values, and the scope sentence each one shows. */
export const REMEMBER_CHOICES = [
  { value: "once", label: "This call only", scope: "once" },
  { value: "session", label: "Rest of this session", scope: "session" },
  { value: "1h", label: "For 1 hour", scope: "1h" },
] as const;
export type RememberChoice = (typeof REMEMBER_CHOICES)[number]["value"];

export const ACTION = {
  approve: "warden_approve",
  deny: "warden_deny",
  remember: "warden_remember",
} as const;
export const BLOCK = { reason: "warden_reason", decide: "warden_decide" } as const;
export const REASON_INPUT = "warden_reason_text";

/** Slack's limits: section text 3,000 characters, header 150, a field 2,000. */
const SECTION_MAX = 3_000;
const HEADER_MAX = 150;
const FIELD_MAX = 2_000;

/**
 * The message asking for a decision. Everything the agent or its user wrote is escaped (`&`, `<`,
 * `>`), so it cannot mention a channel or hide a link, and its invisible or direction-changing
 * characters are shown as code points, so a value cannot read as another. `shownArgs`: the held arguments, when this
 * channel may show them; else the arguments as the ledger has them (redacted values are digests).
 */
export function approvalMessage(view: ApprovalView, shownArgs: JsonValue | null): SlackMessage {
  const args = shownArgs ?? view.args;
  const argNote =
    view.redacted.length === 0
      ? ""
      : shownArgs === null
        ? `\n_Redacted by policy (shown as digests): ${esc(view.redacted.join(", "))}_`
        : `\n_Redacted in the ledger, shown here until the approval is decided: ${esc(view.redacted.join(", "))}_`;
  const scope = REMEMBER_CHOICES.map((c) => `• *${c.label}*: approves ${esc(view.scope[c.scope])}`).join(
    "\n",
  );
  const text = `Approval needed: ${view.tool} by ${reveal(view.agent)} for ${reveal(view.onBehalfOf)}`;
  return {
    text,
    blocks: [
      { type: "header", text: plain(cut(`Approval needed: ${view.tool}`, HEADER_MAX)) },
      {
        type: "section",
        fields: [
          field("Agent", view.agent),
          field("On behalf of", view.onBehalfOf),
          field("Declared intent", view.intent),
          field("Rule", `${view.ruleId}: ${view.reason}`),
          field("Approvals needed", String(view.required)),
          { type: "mrkdwn", text: `*Expires*\n${slackDate(view.expiresAt)}` },
        ],
      },
      {
        type: "section",
        text: mrkdwn(cut(`*Agent's rationale*\n${esc(view.rationale ?? "(none given)")}`, SECTION_MAX)),
      },
      { type: "section", text: mrkdwn(codeSection("Arguments", args, cut(argNote, 600))) },
      { type: "section", text: mrkdwn(cut(`*What "remember" covers*\n${scope}`, SECTION_MAX)) },
      {
        type: "input",
        block_id: BLOCK.reason,
        optional: true,
        label: plain("Reason (needed to deny; it goes back to the agent)"),
        element: { type: "plain_text_input", action_id: REASON_INPUT, multiline: true, max_length: 1000 },
      },
      {
        type: "actions",
        block_id: BLOCK.decide,
        elements: [
          {
            type: "static_select",
            action_id: ACTION.remember,
            placeholder: plain("Remember"),
            initial_option: option(REMEMBER_CHOICES[0]),
            options: REMEMBER_CHOICES.map(option),
          },
          button(ACTION.approve, "Approve", "primary", view),
          {
            ...button(ACTION.deny, "Deny", "danger", view),
            confirm: {
              title: plain("Deny this call?"),
              text: plain("The agent gets your reason as the tool's error."),
              confirm: plain("Deny"),
              deny: plain("Back"),
            },
          },
        ],
      },
      {
        type: "context",
        elements: [mrkdwn(`Approval \`${view.id}\` · digest \`${view.digest.slice(0, 23)}…\``)],
      },
    ],
  };
}

/** The same message once decided: the outcome in place of the buttons, and no held arguments any more. */
export function decidedMessage(view: ApprovalView): SlackMessage {
  const who = view.decisions
    .map((d) =>
      d.decision === "expire"
        ? "nobody decided in time"
        : `${d.decision === "approve" ? "approved" : "denied"} by ${d.approver ?? "?"} (${d.via})${
            d.remember
              ? `, remembered ${d.remember.scope === "session" ? "for the session" : `until ${d.remember.until}`}`
              : ""
          }${d.reason ? `: ${d.reason}` : ""}`,
    )
    .join("; ");
  const outcome = view.closed ? `closed: ${view.closed.reason}` : view.status;
  const text = `${view.tool} by ${reveal(view.agent)} for ${reveal(view.onBehalfOf)}: ${reveal(outcome)}`;
  return {
    text,
    blocks: [
      { type: "header", text: plain(cut(`${view.tool}: ${outcome}`, HEADER_MAX)) },
      {
        type: "section",
        fields: [
          field("Agent", view.agent),
          field("On behalf of", view.onBehalfOf),
          field("Rule", `${view.ruleId}: ${view.reason}`),
          field("Decision", who || outcome),
        ],
      },
      { type: "section", text: mrkdwn(codeSection("Arguments (as the ledger keeps them)", view.args, "")) },
      { type: "context", elements: [mrkdwn(`Approval \`${view.id}\``)] },
    ],
  };
}

function button(
  actionId: string,
  label: string,
  style: "primary" | "danger",
  view: ApprovalView,
): JsonObject {
  // The digest rides with the click: a decision is bound to exactly the call this message showed.
  return {
    type: "button",
    action_id: actionId,
    text: plain(label),
    style,
    value: JSON.stringify({ id: view.id, digest: view.digest }),
  };
}

function option(c: (typeof REMEMBER_CHOICES)[number]): JsonObject {
  return { text: plain(c.label), value: c.value };
}

function field(label: string, value: string): JsonObject {
  return mrkdwn(cut(`*${label}*\n${esc(value)}`, FIELD_MAX));
}

function plain(text: string): JsonObject {
  return { type: "plain_text", text, emoji: false };
}

function mrkdwn(text: string): JsonObject {
  return { type: "mrkdwn", text };
}

/** Slack's own date formatting (the reader's time zone), with the ISO time as the fallback. */
function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${iso}>`;
}

function codePoint(ch: string): string {
  return ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
}

/** Hidden characters, and letters passing for another script's in a word, as `[U+202E]`. */
function reveal(text: string): string {
  const marked = (ch: string) => `[U+${codePoint(ch)}]`;
  return markLookAlikes(text.replace(HIDDEN_CHARS, marked), marked);
}

/** mrkdwn's three control characters, as Slack documents escaping them, and hidden characters revealed. */
export function esc(text: string): string {
  return reveal(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * A title, the JSON in a code block cut to fit (the block stays closed), then a note. Hidden
 * characters and look-alike letters are written as JSON escapes (`\u202e`, `\u0430`): the text is
 * still the exact arguments.
 */
function codeSection(title: string, value: JsonValue, note: string): string {
  const room = SECTION_MAX - title.length - note.length - 16;
  const escaped = (ch: string) =>
    ch
      .split("")
      .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`)
      .join("");
  const json = markLookAlikes(JSON.stringify(value, null, 2).replace(HIDDEN_CHARS, escaped), escaped);
  return `*${title}*\n\`\`\`${cut(fence(json), room)}\`\`\`${note}`;
}

/** Escaped, and a backtick run cannot close the code block early. */
function fence(text: string): string {
  return esc(text).replaceAll("```", "`\u200b``");
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
