// The accountability chain of a session: the prompting user, then each agent down to the one acting.

/** One link of the chain, from the human who asked down to the agent that calls the tool. */
export type Principal =
  | { kind: "user"; id: string }
  | { kind: "agent"; name: string; team: string | null; developer: string | null; session: string };

export type PrincipalChain = Principal[];

/** "alice@example.com → support-bot (support, dana@example.com) → summarizer (…)" */
export function formatChain(chain: PrincipalChain): string {
  return chain
    .map((p) =>
      p.kind === "user"
        ? p.id
        : `${p.name}${p.team || p.developer ? ` (${[p.team, p.developer].filter(Boolean).join(", ")})` : ""}`,
    )
    .join(" → ");
}

/** The first agent's session of a chain: the root of the session tree its last agent acts in. */
export function rootSession(chain: PrincipalChain): string | null {
  for (const p of chain) if (p.kind === "agent") return p.session;
  return null;
}
