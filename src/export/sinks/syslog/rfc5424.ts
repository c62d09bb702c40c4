// RFC 5424 syslog messages and RFC 5425/6587 octet-counted framing for stream transports.
import { type Severity, severityOf } from "../../severity.js";
import type { ExportEvent } from "../../types.js";

export interface SyslogHeader {
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
}

// 32473 is the private enterprise number RFC 5612 reserves for documentation; SD-IDs with "@" need one.
export const SD_ID = "warden@32473";

const SYSLOG_SEVERITY: Record<Severity, number> = { info: 6, low: 5, medium: 4, high: 3, critical: 2 };

/** Severity (RFC 5424 table 2): critical 2, error 3, warning 4, notice 5, informational 6. */
export function syslogSeverity(e: ExportEvent): number {
  return SYSLOG_SEVERITY[severityOf(e)];
}

/** SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). */
export function sdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/**
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [warden@32473 eventId=".." chain=".." seq=".."] MSG`.
 * MSG is UTF-8 with a BOM when it holds non-ASCII text (§6.4); pure ASCII is sent as is.
 */
export function formatSyslog(e: ExportEvent, msg: string, h: SyslogHeader): string {
  const pri = h.facility * 8 + syslogSeverity(e);
  // MSGID: at most 32 printable ASCII characters.
  const msgId = e.type.replace(/[^!-~]/g, "_").slice(0, 32);
  const sd = `[${SD_ID} eventId="${sdValue(e.id)}" chain="${sdValue(e.chain)}" seq="${e.seq}"]`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is exactly the range to test for.
  const body = /^[\x00-\x7f]*$/.test(msg) ? msg : `\ufeff${msg}`;
  return `<${pri}>1 ${e.ts} ${h.hostname} ${h.appName} ${h.procId} ${msgId} ${sd} ${body}`;
}

/**
 * RFC 6587 §3.4.2 non-transparent framing: the message and a newline, for receivers that read lines
 * (many TCP syslog inputs). A message holding a newline cannot be framed so: the caller refuses it.
 */
export function newlineFrame(message: string): Buffer {
  return Buffer.from(`${message}\n`, "utf8");
}

/** RFC 5425 §4.3 octet counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in bytes. */
export function octetFrame(message: string): Buffer {
  const bytes = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${bytes.length} `, "ascii"), bytes]);
}
