// Arguments pretty-printed as text nodes (never HTML), with redacted values and hidden characters marked.
import type { Json } from "../types.js";
import { StoredOrderText } from "./visible-text.js";

/** The same JSON path form the server records in `redacted` ($.a.b, $[0], $["odd key"]). */
function step(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function Value(props: { value: Json; path: string; redacted: ReadonlySet<string>; indent: number }) {
  const { value, path, redacted, indent } = props;
  const pad = "  ".repeat(indent + 1);
  const close = "  ".repeat(indent);
  if (redacted.has(path)) {
    return (
      <span class="redacted" title={`redacted by policy (${path}); the ledger keeps only its digest`}>
        <StoredOrderText text={JSON.stringify(value)} />
        <span class="redacted-tag">redacted</span>
      </span>
    );
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span>[]</span>;
    return (
      <span>
        {"[\n"}
        {value.map((v, i) => (
          <span key={i}>
            {pad}
            <Value value={v} path={step(path, i)} redacted={redacted} indent={indent + 1} />
            {i < value.length - 1 ? ",\n" : "\n"}
          </span>
        ))}
        {`${close}]`}
      </span>
    );
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return <span>{"{}"}</span>;
    return (
      <span>
        {"{\n"}
        {entries.map(([k, v], i) => (
          <span key={k}>
            {pad}
            <StoredOrderText class="json-key" text={JSON.stringify(k)} />
            {": "}
            <Value value={v} path={step(path, k)} redacted={redacted} indent={indent + 1} />
            {i < entries.length - 1 ? ",\n" : "\n"}
          </span>
        ))}
        {`${close}}`}
      </span>
    );
  }
  const kind = `json-${value === null ? "null" : typeof value}`;
  if (typeof value === "string") return <StoredOrderText class={kind} text={JSON.stringify(value)} />;
  return <span class={kind}>{JSON.stringify(value)}</span>;
}

export function JsonView(props: { value: Json; redacted?: readonly string[] }) {
  const redacted = new Set(props.redacted ?? []);
  return (
    <pre class="json">
      <Value value={props.value} path="$" redacted={redacted} indent={0} />
    </pre>
  );
}
