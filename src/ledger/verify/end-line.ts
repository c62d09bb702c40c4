// Checks the signed end line of a format-2 export: its signature, and that it names exactly the chains and heads the file holds.
import { verify } from "node:crypto";
import { canonical } from "./canonical.js";
import { trustedKey, type VerifyKey } from "./key.js";
import type { VerifyProblem } from "./result.js";

type Obj = Record<string, unknown>;

/** Null when the end line is signed by `key` and its chains match `heads`; otherwise what is wrong. */
export function checkEndLine(
  end: Obj,
  key: VerifyKey,
  heads: ReadonlyMap<string, { seq: number; hash: string }>,
): { problem: VerifyProblem; message: string; chain?: string; seq?: number } | null {
  const { records, checkpoints, chains, ts, keyId, signature } = end;
  if (
    !Number.isSafeInteger(records) ||
    !Number.isSafeInteger(checkpoints) ||
    typeof ts !== "string" ||
    Number.isNaN(Date.parse(ts)) ||
    typeof keyId !== "string" ||
    typeof signature !== "string" ||
    chains === null ||
    typeof chains !== "object" ||
    Array.isArray(chains)
  ) {
    return { problem: "malformed", message: "a field of the end line has the wrong type" };
  }
  if (!key.publicKey)
    return { problem: "key-missing", message: "the end line is signed but no public key was found" };
  const publicKey = trustedKey(key, keyId);
  if (!publicKey) return { problem: "end-signature", message: "the end line is signed by another key" };
  const sig = Buffer.from(signature, "base64");
  const payload = canonical({ type: "end", records, checkpoints, chains, ts });
  if (
    payload === undefined ||
    sig.length !== 64 ||
    sig.toString("base64") !== signature ||
    !verify(null, Buffer.from(payload), publicKey, sig)
  ) {
    return {
      problem: "end-signature",
      message: "the end line's signature does not verify: the file was rewritten",
    };
  }
  const named = chains as Obj;
  for (const [chain, head] of heads) {
    const signed = named[chain] as Obj | undefined;
    if (!Object.hasOwn(named, chain) || signed?.seq !== head.seq || signed?.hash !== head.hash) {
      return {
        problem: "truncated",
        chain,
        seq: head.seq,
        message: `chain ${chain} ends at seq ${head.seq} here; the signed end line says otherwise`,
      };
    }
  }
  const extra = Object.keys(named).find((chain) => !heads.has(chain));
  if (extra !== undefined) {
    return {
      problem: "chain-missing",
      chain: extra,
      message: `chain ${extra} is named by the signed end line but absent`,
    };
  }
  return null;
}
