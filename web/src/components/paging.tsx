// Filters kept in the address bar (so a filtered page can be linked) and cursor paging of a list route.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useApi } from "./common.js";

/** Filter values read from the URL's query at first render and written back (replaceState) on change. */
export function useUrlFilters<K extends string>(
  keys: readonly K[],
): [Record<K, string>, (key: K, value: string) => void] {
  const [values, setValues] = useState(() => {
    const q = new URLSearchParams(location.search);
    return Object.fromEntries(keys.map((k) => [k, q.get(k) ?? ""])) as Record<K, string>;
  });
  useEffect(() => {
    const q = new URLSearchParams();
    for (const k of keys) if (values[k]) q.set(k, values[k]);
    const search = q.toString();
    history.replaceState(null, "", `${location.pathname}${search ? `?${search}` : ""}`);
  }, [values, keys]);
  return [values, (key, value) => setValues((old) => ({ ...old, [key]: value }))];
}

/** The query string of `filters`, without empty values. */
export function queryOf(filters: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  return q.toString();
}

/**
 * Pages of `base` (a list route with its filters) by the server's cursors: the first page, then older
 * ones; the cursors walked are kept so "Newer" goes back. A change of `base` starts over.
 */
export function useCursorPages<T extends { next: string | null }>(base: string) {
  // The cursors walked belong to one filter set: another `base` starts at its first page.
  const [walked, setWalked] = useState<{ base: string; trail: string[] }>({ base, trail: [] });
  const trail = walked.base === base ? walked.trail : [];
  const cursor = trail.at(-1);
  const path = useMemo(
    () => (cursor ? `${base}${base.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}` : base),
    [base, cursor],
  );
  const page = useApi<T>(path);
  // A page still showing while the next loads must not offer the cursor of the page before it.
  const next = page.loading ? null : (page.data?.next ?? null);
  return {
    ...page,
    pageNumber: trail.length + 1,
    older: next ? () => setWalked({ base, trail: [...trail, next] }) : null,
    newer: trail.length > 0 ? () => setWalked({ base, trail: trail.slice(0, -1) }) : null,
  };
}

export function Pager(props: { pageNumber: number; newer: (() => void) | null; older: (() => void) | null }) {
  return (
    <div class="pager">
      <button type="button" disabled={!props.newer} onClick={() => props.newer?.()}>
        ← Newer
      </button>
      <span class="muted">page {props.pageNumber}</span>
      <button type="button" disabled={!props.older} onClick={() => props.older?.()}>
        Older →
      </button>
    </div>
  );
}

/** A text filter applied 300 ms after the last keystroke, so typing a name costs one request, not one per key. */
export function TextFilter(props: { label: string; value: string; onApply: (value: string) => void }) {
  const [text, setText] = useState(props.value);
  const apply = useRef(props.onApply);
  apply.current = props.onApply;
  useEffect(() => {
    if (text === props.value) return;
    const timer = setTimeout(() => apply.current(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, props.value]);
  return (
    <label>
      {props.label} <input value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="any" />
    </label>
  );
}
