// Time left until a deadline, ticking each second: a pending approval says how long people have.
import { useEffect, useState } from "preact/hooks";

/** "14:05 left", "1 h 02 min left", "expired"; the exact time is in the tooltip. */
export function Countdown(props: { until: string }) {
  const deadline = Date.parse(props.until);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!(deadline > Date.now())) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [deadline]);
  const left = deadline - now;
  const urgent = left < 60_000;
  return (
    <span
      class={`countdown ${left <= 0 ? "muted" : urgent ? "error" : ""}`}
      title={new Date(deadline).toLocaleString()}
      data-testid="countdown"
    >
      {left <= 0 ? "expired" : `${formatLeft(left)} left`}
    </span>
  );
}

export function formatLeft(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  return `${m}:${String(sec).padStart(2, "0")}`;
}
