// NATS JetStream sink against the real server on 127.0.0.1:4222: subjects per kind, Nats-Msg-Id de-duplication.
import { randomBytes } from "node:crypto";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { beforeAll, describe, expect, it } from "vitest";
import { NatsSink, recordEvent } from "../../../src/export/index.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { alertEvent, expectedIds, POLICY, runCalls, waitFor } from "../helpers.js";

const SERVER = process.env.WARDEN_TEST_NATS ?? "nats://127.0.0.1:4222";
let available = false;

beforeAll(async () => {
  const nc = await connect({ servers: SERVER, timeout: 1000, reconnect: false }).catch(() => null);
  available = nc !== null;
  await nc?.close();
});

/** A fresh stream and subject prefix per test, deleted afterwards. */
async function stream(): Promise<{ nc: NatsConnection; name: string; prefix: string }> {
  const nc = await connect({ servers: SERVER });
  const tag = randomBytes(4).toString("hex");
  const name = `WARDEN_TEST_${tag}`;
  onCleanup(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });
  return { nc, name, prefix: `wtest_${tag}` };
}

/** Every message in the stream, read with an ephemeral consumer: subject, Nats-Msg-Id, body. */
async function readAll(nc: NatsConnection, name: string) {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.consumers.add(name, { ack_policy: AckPolicy.None });
  const consumer = await nc.jetstream().consumers.get(name, info.name);
  const total = (await jsm.streams.info(name)).state.messages;
  const out: { subject: string; msgId: string; body: { id: string; type: string } }[] = [];
  if (total === 0) return out;
  const messages = await consumer.fetch({ max_messages: total, expires: 2000 });
  for await (const m of messages) {
    out.push({ subject: m.subject, msgId: m.headers?.get("Nats-Msg-Id") ?? "", body: m.json() });
    if (out.length === total) break;
  }
  await jsm.consumers.delete(name, info.name).catch(() => undefined);
  return out;
}

describe("nats sink", () => {
  it("publishes every record to <prefix>.<kind> with Nats-Msg-Id = event id; a re-send is dropped by JetStream", async (ctx) => {
    if (!available) return ctx.skip();
    const { nc, name, prefix } = await stream();
    const sink = { name: "bus", type: "nats", servers: [SERVER], subjectPrefix: prefix, stream: name };
    const { warden } = await openWarden({ ...POLICY, export: { sinks: [sink] } }, { export: { pollMs: 50 } });
    await runCalls(warden, 10);
    const ids = await expectedIds(warden);
    await waitFor(async () => (await readAll(nc, name)).length >= ids.length);
    const got = await readAll(nc, name);
    expect(got.map((m) => m.msgId).filter((id) => !id.includes(":checkpoint:"))).toEqual(ids);
    for (const m of got) {
      expect(m.body.id).toBe(m.msgId);
      expect(m.subject).toBe(`${prefix}.${m.body.type}`);
    }
    // At-least-once re-delivery of an already published event: JetStream de-duplicates on the id.
    const direct = new NatsSink({ name: "bus", servers: [SERVER], subjectPrefix: prefix });
    const [first] = await warden.ledger.store.readChain(warden.ledger.chain, 1, 1);
    await direct.send([recordEvent(first!)]);
    await direct.close();
    expect((await readAll(nc, name)).length).toBe(got.length);
  });

  it("refuses a subject prefix the protocol line would split or read as a wildcard", () => {
    for (const subjectPrefix of ["a b", "a\r\nPUB x 1", "a..b", "a.*", "a.>", ".a", "a\u0000"]) {
      expect(() => new NatsSink({ name: "bus", servers: [SERVER], subjectPrefix })).toThrow(
        /subjectPrefix must be/,
      );
    }
    const sink = new NatsSink({ name: "bus", servers: [SERVER], subjectPrefix: "acme.wärden-1" });
    expect(sink.subjectOf(alertEvent())).toBe("acme.wärden-1.alert");
  });

  it("fails (and is retried) while the stream does not exist, then delivers once it does", async (ctx) => {
    if (!available) return ctx.skip();
    const { nc, name, prefix } = await stream();
    const sink = new NatsSink({ name: "bus", servers: [SERVER], subjectPrefix: prefix, timeoutMs: 1000 });
    const event = alertEvent();
    await expect(sink.send([event])).rejects.toMatchObject({ code: "EXPORT_SINK_FAILED" });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name, subjects: [`${prefix}.>`] });
    await sink.send([event]);
    await sink.close();
    expect((await readAll(nc, name)).map((m) => m.subject)).toEqual([`${prefix}.alert`]);
  });
});
