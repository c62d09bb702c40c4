// Whether a URI could come from an RFC 6570 template, in time linear in both. Not the SDK's
// UriTemplate.match: it builds a backtracking regex, and a hostile upstream's template of five `{+x}`
// took 16 s against a 200-character URI, stalling every session of the gateway.

/** A template variable: any run of characters, or (simple and `.` expansions, which encode `/`) any but `/`. */
const ANY = -1;
const NO_SLASH = -2;
const SLASH = "/".charCodeAt(0);

/** Past this many steps (URI length × template tokens) the answer is "could": the caller then refuses, not serves. */
const MAX_STEPS = 4_000_000;

/**
 * True when `uri` may be an expansion of `template`. It errs only towards true: every variable may be
 * empty, and its value is not checked against its operator beyond `/`, so an item that might serve the
 * URI is never missed (routing and approval checks stay closed).
 */
export function templateCovers(template: string, uri: string): boolean {
  if (template === uri) return true;
  const tokens = tokenize(template);
  if (tokens.length * (uri.length + 1) > MAX_STEPS) return true;
  // Thompson simulation: states[i] means "token i is next"; a variable's state stays while it consumes.
  let states = close(tokens, initial(tokens.length));
  for (let at = 0; at < uri.length; at++) {
    const c = uri.charCodeAt(at);
    const next = new Uint8Array(tokens.length + 1);
    let any = false;
    for (let i = 0; i < tokens.length; i++) {
      if (states[i] === 0) continue;
      const token = tokens[i] as number;
      if (token === c) {
        next[i + 1] = 1;
        any = true;
      } else if (token === ANY || (token === NO_SLASH && c !== SLASH)) {
        next[i] = 1;
        any = true;
      }
    }
    if (!any) return false;
    states = close(tokens, next);
  }
  return states[tokens.length] === 1;
}

/** Literal characters as their code units, each `{…}` as one variable token (adjacent ones merged). */
function tokenize(template: string): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < template.length) {
    if (template[at] !== "{") {
      out.push(template.charCodeAt(at));
      at++;
      continue;
    }
    const end = template.indexOf("}", at);
    // An unclosed expression: anything may follow, so nothing is ruled out.
    const expression = end === -1 ? "+" : template.slice(at + 1, end);
    const kind = /^[A-Za-z0-9_%.]/.test(expression) ? NO_SLASH : ANY;
    const last = out.at(-1);
    if (last === ANY || last === NO_SLASH)
      out[out.length - 1] = last === ANY || kind === ANY ? ANY : NO_SLASH;
    else out.push(kind);
    at = end === -1 ? template.length : end + 1;
  }
  return out;
}

function initial(length: number): Uint8Array {
  const states = new Uint8Array(length + 1);
  states[0] = 1;
  return states;
}

/** A variable may match nothing: wherever one is next, so is the token after it. */
function close(tokens: readonly number[], states: Uint8Array): Uint8Array {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as number;
    if (states[i] === 1 && (token === ANY || token === NO_SLASH)) states[i + 1] = 1;
  }
  return states;
}
