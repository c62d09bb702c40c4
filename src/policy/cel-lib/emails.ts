// `emails(s)`: an RFC 5322 address list (or a list of them) → one {local, domain} per mailbox.
import { domainToASCII } from "node:url";
import { type CelList, CelScalar, celFunc, listType } from "@bufbuild/cel";
import addresses from "email-addresses";

/** Longer recipient fields are refused rather than parsed: no mail header needs more. */
const MAX_INPUT = 64 * 1024;

export interface Mailbox {
  local: string;
  domain: string;
}

/**
 * Every mailbox of an address list, groups flattened. Throws (the condition fails closed) unless the
 * whole text is one valid list with at least one mailbox: `a@x.com;b@y.com`, a line break, a missing
 * comma or an empty string is not a list a mailer would read the same way. Obsolete syntax (source
 * routes such as `<@relay:bob@x.com>`) is refused too. Domains are lower-cased, IDNs as punycode; one
 * whose ASCII form has an empty label (`attacker.com。` is `attacker.com.`) is refused.
 */
export function parseEmails(text: string): Mailbox[] {
  if (text.length > MAX_INPUT) throw new Error("emails: the address list is too long");
  const parsed = addresses.parseAddressList({ input: text, strict: true, rfc6532: true });
  if (parsed === null) throw new Error("emails: not an RFC 5322 address list");
  const found: Mailbox[] = [];
  for (const entry of parsed) {
    for (const m of entry.type === "group" ? entry.addresses : [entry]) {
      found.push({ local: m.local, domain: normaliseDomain(m.domain) });
    }
  }
  if (found.length === 0) throw new Error("emails: the address list has no address");
  return found;
}

function normaliseDomain(domain: string): string {
  // A domain literal ([192.0.2.1]) stays as written; a name is compared in its ASCII form.
  if (domain.startsWith("[")) return domain.toLowerCase();
  const ascii = domainToASCII(domain.normalize("NFC"));
  // `x@attacker.com.` is refused as written; `。`, `．` and `｡` map to "." and must not bring it back.
  if (ascii === "" || ascii.split(".").includes("")) throw new Error("emails: not a valid domain name");
  return ascii;
}

const MAILBOXES = listType(CelScalar.DYN);

function toCel(found: Mailbox[]) {
  return found.map(
    (m) =>
      new Map([
        ["local", m.local],
        ["domain", m.domain],
      ]),
  );
}

function fromList(list: CelList) {
  const found: Mailbox[] = [];
  for (const item of list) {
    if (typeof item !== "string") throw new Error("emails: a list of recipients holds only strings");
    found.push(...parseEmails(item));
  }
  if (found.length === 0) throw new Error("emails: the address list has no address");
  return toCel(found);
}

export const emailFuncs = [
  celFunc("emails", [CelScalar.STRING], MAILBOXES, (s) => toCel(parseEmails(s))),
  celFunc("emails", [listType(CelScalar.DYN)], MAILBOXES, fromList),
];
