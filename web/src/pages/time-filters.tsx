// The time filters the list pages share: a window back from now, and an optional end.
export function TimeFilters(props: {
  since: string;
  until: string;
  set: (key: "since" | "until", value: string) => void;
}) {
  return (
    <>
      <label>
        Since{" "}
        <select value={props.since} onChange={(e) => props.set("since", e.currentTarget.value)}>
          <option value="">any time</option>
          <option value="1h">last hour</option>
          <option value="24h">last 24 hours</option>
          <option value="7d">last 7 days</option>
          <option value="30d">last 30 days</option>
        </select>
      </label>
      <label>
        Until{" "}
        <input
          type="datetime-local"
          value={props.until}
          onChange={(e) => props.set("until", e.currentTarget.value)}
        />
      </label>
    </>
  );
}

/** A datetime-local value (the browser's local time) as the ISO time the server compares with; "" stays "". */
export function untilIso(local: string): string {
  if (!local) return "";
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? "" : t.toISOString();
}
