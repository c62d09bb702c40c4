// The opaque CEL types of the condition library (URL, IP, CIDR): protobuf messages built at load, so
// their methods dispatch on a type of their own and never on a map an agent could put in its arguments.
import { objectType } from "@bufbuild/cel";
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

const STRING_FIELD = { name: "text", number: 1, type: 9, label: 1, jsonName: "text" } as const;

/** One string field `text`: the normalised form the methods read back. */
export const REGISTRY = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "warden/net.proto",
    package: "net",
    syntax: "proto3",
    messageType: ["URL", "IP", "CIDR"].map((name) => ({ name, field: [STRING_FIELD] })),
  }),
  () => undefined,
);

function message(name: string): DescMessage {
  const desc = REGISTRY.getMessage(name);
  if (desc === undefined) throw new Error(`missing built-in type ${name}`);
  return desc;
}

export const URL_DESC = message("net.URL");
export const IP_DESC = message("net.IP");
export const CIDR_DESC = message("net.CIDR");
export const URL_TYPE = objectType(URL_DESC);
export const IP_TYPE = objectType(IP_DESC);
export const CIDR_TYPE = objectType(CIDR_DESC);

/** A value of one of these types, holding `text`. */
export function wrap(desc: DescMessage, text: string) {
  return create(desc, { text } as never);
}

/** The `text` a method's receiver holds. */
export function textOf(self: ReflectMessage): string {
  const field = self.desc.field.text;
  if (field === undefined) throw new Error("not a Warden condition value");
  const v = self.get(field);
  if (typeof v !== "string") throw new Error("not a Warden condition value");
  return v;
}
