// Small shared pieces: links, badges, times, errors, and a data-loading hook.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { canOpen } from "../access.js";
import { ApiError, api, describeError } from "../api.js";
import { navigate } from "../router.js";

/** An in-app link; for a page the signed-in role cannot open, its text alone (never a link to a refusal). */
export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  if (!canOpen(props.href)) return <span class={props.class}>{props.children}</span>;
  return (
    <a
      href={props.href}
      class={props.class}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

const EFFECT_CLASS: Record<string, string> = {
  allow: "ok",
  ok: "ok",
  intact: "ok",
  active: "ok",
  error: "bad",
  failed: "bad",
  approved: "ok",
  approve: "ok",
  deny: "bad",
  denied: "bad",
  ask: "warn",
  pending: "warn",
  expired: "muted",
};

/** A decision or status as a colored tag; the word is always there, color only helps. */
export function Badge(props: { value: string | null; title?: string }) {
  return (
    <span class={`badge ${EFFECT_CLASS[props.value ?? ""] ?? "muted"}`} title={props.title}>
      {props.value || "—"}
    </span>
  );
}

export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span class="muted">—</span>;
  const d = new Date(props.iso);
  return (
    <time dateTime={props.iso} title={props.iso}>
      {Number.isNaN(d.getTime()) ? props.iso : d.toLocaleString()}
    </time>
  );
}

/** What a page says where the signed-in role may not read something (the server refused with FORBIDDEN). */
export function NotForYourRole(props: { what?: string }) {
  return (
    <p class="note" role="status" data-testid="not-for-role">
      Your role cannot see {props.what ?? "this"}. Ask an administrator if you need it.
    </p>
  );
}

export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null;
  if (props.error instanceof ApiError && props.error.code === "FORBIDDEN") return <NotForYourRole />;
  return (
    <p class="error" role="alert">
      {describeError(props.error)}
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** Loads `path` (null: nothing yet); `reload` fetches again, keeping the old data meanwhile. */
export function useApi<T>(path: string | null): {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
} {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    api<T>(path)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

export function Field(props: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

/** Latencies from microseconds to minutes, with the precision that matters at each scale. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export function shortId(id: string | null | undefined): string {
  if (!id) return "—";
  return id.length > 18 ? `${id.slice(0, 16)}…` : id;
}
