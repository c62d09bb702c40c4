// `@guarded("tool")`: a standard (TC39) method decorator for classes whose methods are tools.
import { WardenError } from "./errors.js";
import { Session } from "./session.js";

/** Where the decorator finds the session: a `wardenSession` or `session` property holding a Session. */
function sessionOf(instance: unknown): Session {
  const holder = instance as { wardenSession?: unknown; session?: unknown } | null;
  const candidate = holder?.wardenSession ?? holder?.session;
  if (candidate instanceof Session) return candidate;
  throw new WardenError(
    "SESSION_NOT_FOUND",
    "@guarded method called on an instance without a Warden session (set `this.session` or `this.wardenSession`)",
  );
}

/**
 * Gates a method as tool `tool` through the session found on the instance.
 *
 * @example
 * class MailTools {
 *   constructor(readonly session: Session) {}
 *   @guarded("send_email")
 *   async send(a: { to: string; body: string }) { return `sent to ${a.to}`; }
 * }
 */
export function guarded(tool: string, options: { rationale?: string } = {}) {
  // Guarded methods must be async: the gate awaits a durable record before the body runs.
  return <This, A extends unknown[], R extends Promise<unknown>>(
    method: (this: This, ...args: A) => R,
    _context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
  ) =>
    function (this: This, ...args: A): R {
      let session: Session;
      try {
        session = sessionOf(this);
      } catch (err) {
        return Promise.reject(err) as R;
      }
      return session.run(
        tool,
        args.length === 1 ? args[0] : args,
        () => method.apply(this, args),
        options,
      ) as R;
    };
}
