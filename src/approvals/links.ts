// Signed, short-lived, single-use links that preselect approve/deny on an approval's dashboard page.
import {
  createHmac,
  createPrivateKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { WardenError } from "../errors.js";

export type LinkAction = "approve" | "deny";

export interface LinkRequest {
  approvalId: string;
  action: LinkAction;
  expiresAt: Date;
}

/** What a token carries (base64url JSON): approval, action, expiry (ms since epoch), random nonce. */
interface Payload {
  v: 1;
  a: string;
  x: LinkAction;
  e: number;
  n: string;
}

const HKDF_INFO = "warden action links v1";
/** `<payload>.<mac>`: base64url, the MAC is HMAC-SHA256 (32 bytes → 43 characters). */
const TOKEN = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/;

/**
 * Makes and checks action links. A link never decides anything: it only selects the action on the
 * approval's page, where a logged-in approver confirms. Tokens are MACed with a key derived from the
 * ledger's signing key, so every instance sharing that key accepts them. Used links are remembered in
 * this process until they expire.
 *
 * Chat apps and mail scanners fetch links to preview them: show the page with `check()` and call
 * `redeem()` only when the approver confirms, or the preview uses the link up.
 *
 * @example
 * const links = new ActionLinks(randomBytes(32));
 * const url = links.url("https://warden.example.com", { approvalId: "apr_1", action: "approve", expiresAt: new Date(Date.now() + 900_000) });
 * const token = new URL(url).searchParams.get("link")!;
 * links.redeem("apr_1", token); // "approve"; a second redeem throws LINK_USED
 */
export class ActionLinks {
  readonly #key: Buffer;
  /** nonce → expiry (ms); a token whose nonce is here was redeemed. */
  readonly #used = new Map<string, number>();
  readonly #maxUsed: number;

  constructor(key: Uint8Array, options: { maxUsed?: number } = {}) {
    if (key.length !== 32) throw new RangeError("an action link key has 32 bytes");
    this.#key = Buffer.from(key);
    this.#maxUsed = options.maxUsed ?? 100_000;
  }

  /** Derives the link key from the ledger's Ed25519 signing key (PKCS#8 PEM or a KeyObject), HKDF-SHA256. */
  static fromSigningKey(signingKey: string | KeyObject): ActionLinks {
    let key: KeyObject;
    try {
      key = typeof signingKey === "string" ? createPrivateKey(signingKey) : signingKey;
    } catch {
      throw new WardenError("LEDGER_KEY_MISSING", "the signing key is not a PEM private key");
    }
    if (key.type !== "private" || key.asymmetricKeyType !== "ed25519") {
      throw new WardenError("LEDGER_KEY_MISSING", "action links need the Ed25519 private signing key");
    }
    const seed = Buffer.from(key.export({ format: "jwk" }).d!, "base64url");
    return new ActionLinks(new Uint8Array(hkdfSync("sha256", seed, Buffer.alloc(0), HKDF_INFO, 32)));
  }

  /** A token for `approvalId` and `action`, valid until `expiresAt`. */
  create(request: LinkRequest): string {
    const e = request.expiresAt.getTime();
    if (!Number.isFinite(e)) throw new WardenError("INVALID_REQUEST", "a link needs a valid expiry time");
    const payload: Payload = {
      v: 1,
      a: request.approvalId,
      x: request.action,
      e,
      n: randomBytes(16).toString("base64url"),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${body}.${this.#mac(body)}`;
  }

  /**
   * The dashboard URL that opens the approval with `action` selected.
   *
   * @example
   * links.url("https://warden.example.com/", { approvalId: "apr_1", action: "deny", expiresAt });
   * // "https://warden.example.com/approvals/apr_1?action=deny&link=eyJ2Ijox…"
   */
  url(baseUrl: string, request: LinkRequest): string {
    const base = baseUrl.replace(/\/+$/, "");
    const id = encodeURIComponent(request.approvalId);
    return `${base}/approvals/${id}?action=${request.action}&link=${this.create(request)}`;
  }

  /** The action a token selects, without using it up (for showing the page). Throws as redeem() does. */
  check(approvalId: string, token: unknown, now: Date = new Date()): LinkAction {
    const p = this.#verify(approvalId, token, now);
    if (this.#used.has(p.n)) throw new WardenError("LINK_USED", "this link was already used");
    return p.x;
  }

  /**
   * The action a token selects, using it up. LINK_INVALID: not a token of ours (tampered, garbage,
   * or for another approval); LINK_EXPIRED; LINK_USED: redeemed before.
   */
  redeem(approvalId: string, token: unknown, now: Date = new Date()): LinkAction {
    const p = this.#verify(approvalId, token, now);
    if (this.#used.has(p.n)) throw new WardenError("LINK_USED", "this link was already used");
    // Expired nonces need no memory (expiry is checked first); drop them only when room runs out.
    if (this.#used.size >= this.#maxUsed) this.#prune(now.getTime());
    if (this.#used.size >= this.#maxUsed) {
      // Forgetting a live nonce would make its link reusable: refuse instead (the page works without a link).
      throw new WardenError("LINK_INVALID", "too many links in use; open the approval without the link");
    }
    this.#used.set(p.n, p.e);
    return p.x;
  }

  #verify(approvalId: string, token: unknown, now: Date): Payload {
    const m = typeof token === "string" ? TOKEN.exec(token) : null;
    if (!m) throw invalid();
    const [, body, mac] = m as unknown as [string, string, string];
    // Comparing the canonical encoding also refuses other spellings of the same MAC bytes.
    if (!timingSafeEqual(Buffer.from(this.#mac(body)), Buffer.from(mac))) throw invalid();
    const p = parsePayload(body);
    if (!p) throw invalid();
    if (p.a !== approvalId) throw new WardenError("LINK_INVALID", "this link is for another approval");
    if (now.getTime() >= p.e) throw new WardenError("LINK_EXPIRED", "this link has expired");
    return p;
  }

  #mac(body: string): string {
    return createHmac("sha256", this.#key).update(body).digest("base64url");
  }

  #prune(now: number): void {
    for (const [nonce, expiry] of this.#used) if (expiry <= now) this.#used.delete(nonce);
  }
}

/** The payload of a token whose MAC verified; null if it is not ours after all (another format version). */
function parsePayload(body: string): Payload | null {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (typeof p !== "object" || p === null) return null;
  const { v, a, x, e, n } = p as Record<string, unknown>;
  if (v !== 1 || typeof a !== "string" || (x !== "approve" && x !== "deny")) return null;
  if (typeof e !== "number" || !Number.isSafeInteger(e) || typeof n !== "string") return null;
  return { v, a, x, e, n };
}

function invalid(): WardenError {
  return new WardenError("LINK_INVALID", "this link is not valid");
}
