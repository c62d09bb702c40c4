// Reads the parts of a PEP 508 requirement the pinning rules need: name, version specifier, direct URL.

export interface Requirement {
  name: string;
  /** Normalised per PEP 503 (lower case, runs of -_. become -). */
  key: string;
  specifier: string;
  url: string | undefined;
}

export const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");

/** Parses `name[extra]>=1,<2 ; marker` or `name @ url`; undefined when it is not a requirement. */
export function parseRequirement(text: string): Requirement | undefined {
  const noMarker = text.split(";")[0]!.trim();
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$/.exec(noMarker);
  if (!m) return undefined;
  const name = m[1]!;
  const rest = m[2]!.trim();
  const url = rest.startsWith("@") ? rest.slice(1).trim() : undefined;
  const specifier = url === undefined ? rest.replace(/^\(|\)$/g, "").replace(/\s+/g, "") : "";
  return { name, key: normalizeName(name), specifier, url };
}

/** True for `==1.2.3` / `===1.2.3` without wildcards: the only specifiers that pin. */
export function isExactPin(specifier: string): boolean {
  return /^===?[^,=<>!~*]+$/.test(specifier);
}
