// Which role may open which page, in one place: nav, links and direct URLs all ask here (the server enforces it too).
import type { Role } from "./types.js";

const EVERYONE: readonly Role[] = ["approver", "auditor", "admin"];
const LEDGER_READERS: readonly Role[] = ["auditor", "admin"];

/** Path patterns (":x" one segment) and the roles the server lets read what each page shows. */
const PAGES: [string, readonly Role[]][] = [
  ["/", EVERYONE],
  ["/feed", EVERYONE],
  ["/approvals", EVERYONE],
  ["/approvals/:id", EVERYONE],
  ["/alerts", LEDGER_READERS],
  ["/ledger", LEDGER_READERS],
  ["/sessions", LEDGER_READERS],
  ["/sessions/:id", LEDGER_READERS],
  ["/calls/:id", LEDGER_READERS],
  ["/agents", EVERYONE],
  ["/agents/:name", EVERYONE],
  ["/integrity", EVERYONE],
];

let current: Role | null = null;

/** Set once the signed-in user is known (null when signed out). */
export function setRole(role: Role | null): void {
  current = role;
}

function matches(pattern: string, path: string): boolean {
  const p = pattern.split("/");
  const a = path.split("/");
  return p.length === a.length && p.every((seg, i) => (seg.startsWith(":") ? a[i] !== "" : seg === a[i]));
}

/** Whether `role` (default: the signed-in user's) may open the page at `href`; unknown pages are open (they say "No such page"). */
export function canOpen(href: string, role: Role | null = current): boolean {
  if (role === null) return false;
  const path = href.split(/[?#]/)[0] ?? "";
  const page = PAGES.find(([pattern]) => matches(pattern, path));
  return page ? page[1].includes(role) : true;
}
