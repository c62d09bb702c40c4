// The Retry-After header (RFC 9110 §10.2.3): how long a receiver asks its sender to wait before trying again.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

// The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7), each matched whole.
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} (\\d{2}| \\d) ${TIME} (\\d{4})$`);

/**
 * The wait, in ms from `now`, that a Retry-After value asks for: delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`, or the obsolete RFC 850 and asctime forms, which RFC 9110 says a
 * recipient must accept). A date already past asks for no wait (0). Null when the value is absent or not
 * one of those forms (`1.5`, `-1`, `soon`, an ISO date): a caller ignores it and backs off as it would
 * have. The result is not capped: the caller bounds it (a receiver must not park its sender for a day).
 *
 * @example
 * parseRetryAfter("120"); // 120000
 * parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", Date.UTC(2026, 9, 21, 7, 27, 0)); // 60000
 * parseRetryAfter("soon"); // null
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  // delay-seconds = 1*DIGIT. An absurd count of digits is still a valid (if huge) delay.
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = httpDate(text, now);
  return at === null ? null : Math.max(0, at - now);
}

/** An HTTP-date as ms since the epoch, or null when `text` is none of its three forms or no real date. */
function httpDate(text: string, now: number): number | null {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m.slice(4, 7));
  m = RFC850_DATE.exec(text);
  if (m) return utc(rfc850Year(Number(m[3]), now), m[2]!, Number(m[1]), m.slice(4, 7));
  m = ASCTIME_DATE.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]), m.slice(3, 6));
  return null;
}

/**
 * A two-digit year: the one with those last digits that is not more than 50 years in the future
 * (RFC 9110 §5.6.7).
 */
function rfc850Year(yy: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  let year = current - (current % 100) + yy;
  if (year > current + 50) year -= 100;
  return year;
}

function utc(year: number, month: string, day: number, hms: string[]): number | null {
  const [hour, minute, second] = hms.map(Number) as [number, number, number];
  // 60: a leap second, which RFC 9110's grammar allows.
  if (hour > 23 || minute > 59 || second > 60) return null;
  const mon = MONTHS.indexOf(month);
  const t = Date.UTC(year, mon, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  const d = new Date(t);
  return d.getUTCFullYear() === year && d.getUTCMonth() === mon && d.getUTCDate() === day ? t : null;
}
