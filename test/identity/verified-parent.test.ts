// A sub-agent inherits its parent session's verified user wherever the parent is read from: this process's
// memory, or the store (another instance, a restart, a parent dropped from the bounded cache).
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SessionRegistry } from "../../src/identity/index.js";
import { Ledger, MemoryStore } from "../../src/ledger/index.js";
import { parsePolicy } from "../../src/policy/index.js";
import { onCleanup } from "../helpers.js";

const ANN = { name: "ann@example.com", issuer: "https://login.example.test", subject: "ann" };

/** Two registries on one ledger: two instances of a cluster, or one process before and after a restart. */
async function instances(mode: "asserted" | "verified") {
  const store = new MemoryStore();
  const ledger = await Ledger.open({
    store,
    signingKey: generateKeyPairSync("ed25519").privateKey,
    checkpointSeconds: 0,
  });
  onCleanup(() => ledger.close());
  const policy = parsePolicy(`default: allow\nidentity: { onBehalfOf: ${mode} }\n`, "policy.yaml");
  const registry = () =>
    new SessionRegistry({
      append: (input) => ledger.append(input),
      lookup: (id) => store.session(id),
      startOf: async (id) =>
        (await store.query({ session: id, kinds: ["session.start"], limit: 1 }))[0] ?? null,
      policy: () => policy,
      checkpoint: async () => undefined,
    });
  const starts = async () => (await store.query({ kinds: ["session.start"] })).map((r) => r.data);
  return { first: registry(), second: registry(), starts };
}

describe("a verified parent read back from the store", () => {
  it("verified: the sub-agent opened on another instance inherits the parent's verified user", async () => {
    const { first, second, starts } = await instances("verified");
    const parent = await first.open({ agent: "planner", intent: "plan", verifiedUser: ANN });
    const child = await second.open({
      agent: "planner",
      onBehalfOf: ANN.name,
      intent: "sub-task",
      parent: parent.id,
    });
    expect(child.verifiedUser).toEqual(ANN);
    expect((await starts())[1]).toMatchObject({
      onBehalfOf: ANN.name,
      onBehalfOfVerified: { issuer: ANN.issuer, subject: ANN.subject },
    });
    // Its own sub-agent, on the first instance, still knows.
    const grandchild = await first.open({
      agent: "planner",
      onBehalfOf: ANN.name,
      intent: "sub-sub-task",
      parent: child.id,
    });
    expect(grandchild.verifiedUser).toEqual(ANN);
  });

  it("asserted: the sub-agent's record says its user was verified, as its parent's does", async () => {
    const { first, second, starts } = await instances("asserted");
    const parent = await first.open({ agent: "planner", intent: "plan", verifiedUser: ANN });
    await second.open({ agent: "planner", onBehalfOf: ANN.name, intent: "sub-task", parent: parent.id });
    expect((await starts())[1]).toMatchObject({
      onBehalfOfVerified: { issuer: ANN.issuer, subject: ANN.subject },
    });
  });

  it("an asserted parent read back stays asserted", async () => {
    const { first, second, starts } = await instances("asserted");
    const parent = await first.open({ agent: "planner", onBehalfOf: "bob@example.com", intent: "plan" });
    const child = await second.open({
      agent: "planner",
      onBehalfOf: "bob@example.com",
      intent: "sub-task",
      parent: parent.id,
    });
    expect(child.verifiedUser).toBeNull();
    expect((await starts())[1]).not.toHaveProperty("onBehalfOfVerified");
  });
});
