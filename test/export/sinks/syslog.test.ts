// Syslog sink against a local receiver: RFC 5424 over UDP, TCP and TLS (RFC 5425 framing), JSON and CEF bodies.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent, SyslogSink } from "../../../src/export/index.js";
import { cefExternalId, toCef } from "../../../src/export/sinks/syslog/cef.js";
import { onCleanup, openWarden } from "../../helpers.js";
import { selfSignedCertificate, type TestCertificate } from "../../tls.js";
import { alertEvent, expectBigCallDeadLettered, expectedIds, POLICY, runCalls, waitFor } from "../helpers.js";
import { parse5424, parseCef, SyslogReceiver } from "../receivers/syslog.js";

let tls: TestCertificate;

beforeAll(() => {
  tls = selfSignedCertificate(["DNS:localhost", "IP:127.0.0.1"]);
});
afterAll(() => tls.remove());

async function receiver(): Promise<SyslogReceiver> {
  const r = await new SyslogReceiver().start(tls);
  onCleanup(() => r.stop());
  return r;
}

const cases = [
  ["udp", "json"],
  ["tcp", "cef"],
  ["tls", "cef"],
  ["tls", "json"],
] as const;

describe("syslog sink", () => {
  it.each(cases)(
    "delivers RFC 5424 over %s with %s bodies, one message per ledger record",
    async (transport, format) => {
      const rx = await receiver();
      const port = transport === "udp" ? rx.udpPort : transport === "tcp" ? rx.tcpPort : rx.tlsPort;
      const sink = {
        name: "siem",
        type: "syslog",
        transport,
        host: "127.0.0.1",
        port,
        format,
        ca: tls.certPath,
        hostname: "warden-test",
      };
      const { warden } = await openWarden(
        { ...POLICY, export: { sinks: [sink] } },
        { export: { pollMs: 50 } },
      );
      await runCalls(warden, 10);
      const ids = await expectedIds(warden);
      const parsed = () => rx.messages.map(parse5424);
      await waitFor(() => ids.every((id) => parsed().some((m) => m.sd["warden@32473"]?.eventId === id)));
      expect(rx.errors).toEqual([]);
      for (const m of parsed()) {
        expect(m).toMatchObject({
          version: 1,
          hostname: "warden-test",
          appName: "warden",
          procId: String(process.pid),
        });
        const id = m.sd["warden@32473"]!.eventId!;
        if (format === "json") expect(JSON.parse(m.msg)).toMatchObject({ id, type: m.msgId });
        else {
          const cef = parseCef(m.msg);
          expect(cef).toMatchObject({
            version: "0",
            vendor: "Warden",
            product: "agent-warden",
            signatureId: m.msgId,
          });
          expect(cef.ext.externalId).toBe(id);
        }
      }
      const refused = parsed().find((m) => m.msgId === "call.intent" && m.msg.includes("send_email"));
      // facility 13 (log audit) × 8 + severity 4 (warning) for a refused call.
      expect(refused?.pri).toBe(13 * 8 + 4);
      if (format === "cef")
        expect(parseCef(refused!.msg).ext).toMatchObject({
          act: "deny",
          cs3Label: "tool",
          cs3: "send_email",
          suser: "alice@example.com",
        });
    },
  );

  it("dead-letters a record too large for one UDP datagram at once and delivers the rest", async () => {
    const rx = await receiver();
    const sink = { name: "siem", type: "syslog", transport: "udp", host: "127.0.0.1", port: rx.udpPort };
    const { warden } = await openWarden({ ...POLICY, export: { sinks: [sink] } }, { export: { pollMs: 50 } });
    const eventIds = () => rx.messages.map((m) => parse5424(m).sd["warden@32473"]?.eventId);
    await expectBigCallDeadLettered(warden, "siem", 70_000, eventIds);
  });

  it("escapes CEF header and extension values, and SD-PARAM values, exactly as the specs say", async () => {
    const rx = await receiver();
    const sink = new SyslogSink({
      name: "siem",
      transport: "tcp",
      host: "127.0.0.1",
      port: rx.tcpPort,
      format: "cef",
    });
    const tricky = 'a|b\\c=d\ne\r\nf ]"g';
    const event = recordEvent({
      v: 1,
      chain: 'c"h]ain',
      seq: 7,
      ts: "2026-01-01T00:00:00.000Z",
      hash: "f".repeat(64),
      kind: "call.intent",
      session: "ses_1",
      agent: "bot",
      callId: "call_1",
      data: { tool: tricky, decision: { effect: "deny", enforced: "deny", reason: tricky } },
    });
    const cefText = parse5424(sink.message(event)).msg;
    expect(cefText).toContain('call.intent a\\|b\\\\c=d e f ]"g|');
    expect(cefText).toContain('cs3=a|b\\\\c\\=d\\ne\\nf ]"g');
    await sink.send([event]);
    await waitFor(() => rx.messages.length === 1);
    const msg = parse5424(rx.messages[0]!);
    expect(msg.sd["warden@32473"]).toEqual({ eventId: 'c"h]ain:7', chain: 'c"h]ain', seq: "7" });
    const cef = parseCef(msg.msg);
    expect(cef.name).toBe('call.intent a|b\\c=d e f ]"g');
    expect(cef.ext.cs3).toBe('a|b\\c=d\ne\nf ]"g');
    expect(cef.ext.reason).toBe(cef.ext.cs3);
    await sink.close();
  });

  it("cuts CEF values at the lengths the CEF dictionary sets, never inside an escape or a surrogate pair", () => {
    const sink = new SyslogSink({ name: "siem", transport: "tcp", host: "127.0.0.1", format: "cef" });
    // 1022 characters, then an emoji (a surrogate pair) across the 1023 limit; "=" and "\\" to escape.
    const reason = `${"=\\".repeat(511)}${"\u{1F600}".repeat(3)}`;
    const tool = "t".repeat(600);
    const event = recordEvent({
      v: 1,
      chain: "main",
      seq: 7,
      ts: "2026-01-01T00:00:00.000Z",
      hash: "f".repeat(64),
      kind: "call.intent",
      session: "ses_1",
      agent: "bot",
      callId: "call_1",
      data: {
        tool,
        principal: [{ kind: "user", id: "u".repeat(2000) }],
        decision: { effect: "deny", enforced: "x".repeat(100), reason },
      },
    });
    const cef = parseCef(parse5424(sink.message(event)).msg);
    expect(cef.ext.reason).toBe("=\\".repeat(511));
    expect(cef.ext.act).toBe("x".repeat(63));
    expect(cef.ext.suser).toBe("u".repeat(1023));
    expect(cef.ext.cs3).toBe(tool);
    expect(cef.name).toBe(`call.intent ${tool}`.slice(0, 512));
    const alert = alertEvent({ type: "detect:dlp", message: "m".repeat(5000) });
    expect(parseCef(toCef(alert)).ext.msg).toBe("m".repeat(1023));
  });

  it("keeps CEF's externalId within its 40 characters, the whole event id in flexString1", () => {
    const event = (chain: string, seq: number) =>
      recordEvent({
        v: 1,
        chain,
        seq,
        ts: "2026-01-01T00:00:00.000Z",
        hash: "f".repeat(64),
        kind: "alert",
        session: null,
        agent: null,
        callId: null,
        data: {},
      });
    // An id that fits is the externalId as it is.
    expect(parseCef(toCef(event("main", 42))).ext).toMatchObject({
      externalId: "main:42",
      flexString1Label: "eventId",
      flexString1: "main:42",
    });
    // The longest chain name the ledger takes.
    const chain = `c${"h".repeat(127)}`;
    const first = parseCef(toCef(event(chain, 1))).ext;
    expect(first.externalId!.length).toBeLessThanOrEqual(40);
    expect(first.flexString1).toBe(`${chain}:1`);
    // Stable across sends, distinct per event.
    expect(parseCef(toCef(event(chain, 1))).ext.externalId).toBe(first.externalId);
    expect(parseCef(toCef(event(chain, 2))).ext.externalId).not.toBe(first.externalId);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (name, seq) => {
          const id = `${name}:${seq}`;
          const externalId = cefExternalId(id);
          expect(externalId.length).toBeLessThanOrEqual(40);
          if (id.length <= 40) expect(externalId).toBe(id);
          else expect(externalId).not.toContain(":");
        },
      ),
    );
  });

  it("refuses header fields RFC 5424 does not allow from a library caller, rather than shift the header", () => {
    const base = { name: "siem", transport: "tcp", host: "127.0.0.1" } as const;
    expect(() => new SyslogSink({ ...base, appName: "my app" })).toThrow(/appName must be 1–48 printable/);
    expect(() => new SyslogSink({ ...base, appName: "a".repeat(49) })).toThrow(/appName/);
    expect(() => new SyslogSink({ ...base, hostname: "host\nname" })).toThrow(/hostname must be/);
    expect(() => new SyslogSink({ ...base, facility: 24 })).toThrow(/facility must be/);
    const ok = new SyslogSink({ ...base, appName: "my-app", hostname: "h", facility: 23 });
    expect(parse5424(ok.message(alertEvent()))).toMatchObject({
      appName: "my-app",
      hostname: "h",
      pri: 23 * 8 + 3,
    });
  });

  it("prefixes a UTF-8 body with the BOM (RFC 5424 §6.4) and counts octets, not characters, in the frame", async () => {
    const rx = await receiver();
    const sink = new SyslogSink({ name: "siem", transport: "tcp", host: "127.0.0.1", port: rx.tcpPort });
    const event = alertEvent({ note: "héllo ✓" });
    expect(sink.message(event)).toContain("] \ufeff{");
    await sink.send([event, { ...event, id: "main:2", seq: 2 }]);
    await waitFor(() => rx.messages.length === 2);
    expect(JSON.parse(parse5424(rx.messages[1]!).msg).data.note).toBe("héllo ✓");
    await sink.close();
  });

  it("frames messages with a newline for receivers that read lines, when told to", async () => {
    const rx = await receiver();
    rx.framing = "newline";
    const sink = { name: "lines", type: "syslog", transport: "tcp", framing: "newline", host: "127.0.0.1" };
    const { warden } = await openWarden(
      { ...POLICY, export: { sinks: [{ ...sink, port: rx.tcpPort, format: "cef" }] } },
      { export: { pollMs: 50 } },
    );
    await runCalls(warden, 10);
    const ids = await expectedIds(warden);
    const parsed = () => rx.messages.map(parse5424);
    await waitFor(() => ids.every((id) => parsed().some((m) => m.sd["warden@32473"]?.eventId === id)));
    expect(rx.messages.every((m) => m.startsWith("<"))).toBe(true);
    await expect(
      openWarden({ ...POLICY, export: { sinks: [{ ...sink, transport: "udp", port: rx.udpPort }] } }),
    ).rejects.toThrow(/framing applies to tcp and tls only/);
  });

  it("rides out a TCP receiver outage: reconnects, and every record arrives", async () => {
    const rx = await receiver();
    const port = rx.tcpPort;
    const sink = { name: "siem", type: "syslog", transport: "tcp", host: "127.0.0.1", port };
    const retry = { attempts: 1000, minDelay: "10ms", maxDelay: "50ms" };
    const { warden } = await openWarden(
      { ...POLICY, export: { retry, sinks: [sink] } },
      { export: { pollMs: 50 } },
    );
    await runCalls(warden, 3);
    await waitFor(async () => rx.messages.length >= (await expectedIds(warden)).length);
    await rx.stop();
    await runCalls(warden, 3);
    await waitFor(() => warden.exporter!.stats().get("siem")!.failures > 0);
    const back = await new SyslogReceiver().start(tls, port);
    onCleanup(() => back.stop());
    const ids = await expectedIds(warden);
    const got = () =>
      new Set([...rx.messages, ...back.messages].map((m) => parse5424(m).sd["warden@32473"]?.eventId));
    await waitFor(() => ids.every((id) => got().has(id)));
  });
});
