// The `syslog` sink's entry in `export.sinks`.
import * as z from "zod";
import { sinkFields } from "../config.js";

export const syslogSchema = z
  .strictObject({
    ...sinkFields,
    type: z.literal("syslog"),
    transport: z.enum(["udp", "tcp", "tls"]),
    /** Stream framing (TCP, TLS): RFC 6587 octet counting (default), or a newline after each message. */
    framing: z.enum(["octet-counting", "newline"]).optional(),
    host: z.string().min(1),
    port: z.int().min(1).max(65535).optional(),
    format: z.enum(["json", "cef", "ocsf"]).optional(),
    facility: z.int().min(0).max(23).optional(),
    appName: z
      .string()
      .regex(/^[!-~]{1,48}$/, "1–48 printable ASCII characters")
      .optional(),
    hostname: z
      .string()
      .regex(/^[!-~]{1,255}$/, "1–255 printable ASCII characters")
      .optional(),
    /** PEM file of the CA that signed the server certificate (TLS); default: the system's CAs. */
    ca: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
  })
  .refine((s) => s.framing === undefined || s.transport !== "udp", {
    message: "framing applies to tcp and tls only (UDP sends one message per datagram)",
    path: ["framing"],
  });

export type SyslogDocument = z.output<typeof syslogSchema>;
