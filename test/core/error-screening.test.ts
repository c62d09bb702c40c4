// A tool's error is screened by the same rule as its results (secrets.resultsFor): a tool whose results
// are blocked has an error holding a credential withheld; other tools' errors are masked.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { openWarden } from "../helpers.js";
import { DB_SECRET, wardenWithDbSecret } from "../secrets/db-secret.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";

describe("a failed tool's error", () => {
  it("is withheld for a tool whose results are blocked because it gets an env secret, masked for others", async () => {
    const { warden } = await openWarden(
      {
        default: "allow",
        secrets: {
          items: {
            token: {
              provider: "env",
              variable: "BUILD_TOKEN",
              tools: ["build_app"],
              inject: { env: "TOKEN" },
            },
          },
        },
      },
      { env: { BUILD_TOKEN: "tok-5d1e9a7c3b2f4e60" } },
    );
    const session = await warden.session({
      agent: "ci-bot",
      onBehalfOf: "alice@example.com",
      intent: "build",
    });
    const failing = (tool: string) =>
      session.guard(tool, async (_args: object) => {
        throw new Error(`upload failed with key ${KEY}`);
      })({});
    const blocked = await failing("build_app").catch((err: unknown) => err);
    expect(blocked).toMatchObject({ code: "RESULT_WITHHELD" });
    expect(String((blocked as Error).message)).not.toContain(KEY);
    const masked = await failing("other").catch((err: unknown) => err);
    expect(masked).toBeInstanceOf(Error);
    expect((masked as Error).message).toContain("upload failed");
    expect((masked as Error).message).not.toContain(KEY);
  });
});

const SECRET = DB_SECRET;

/** A session whose `query_db` tool gets the `db` secret in its context. */
async function sessionWithSecret(results?: "redact" | "block") {
  return (await wardenWithSecret(results)).session;
}

/** sessionWithSecret, with its Warden. */
function wardenWithSecret(results?: "redact" | "block") {
  return wardenWithDbSecret(results ? { results } : {});
}

async function thrownBy(
  session: Awaited<ReturnType<typeof sessionWithSecret>>,
  fails: (s: string) => unknown,
) {
  return session
    .guardWithContext("query_db", async (_a: object, ctx) => {
      throw fails(ctx.secrets.db ?? "");
    })({})
    .catch((err: unknown) => err);
}

describe("whatever a tool throws", () => {
  const shown = (err: unknown) =>
    err instanceof Error ? inspect(err, { depth: 10, maxStringLength: Infinity }) : JSON.stringify(err);

  it("masks a thrown string or object as a result, and withholds it under block", async () => {
    const session = await sessionWithSecret("redact");
    const text = await thrownBy(session, (s) => `connect failed for password ${s}`);
    expect(text).toBe("connect failed for password [secret:db]");
    const object = await thrownBy(session, (s) => ({ message: "boom", config: { password: s } }));
    expect(object).toEqual({ message: "boom", config: { password: "[secret:db]" } });

    const blocked = await sessionWithSecret("block");
    for (const fails of [(s: string) => `password ${s}`, (s: string) => ({ config: { password: s } })]) {
      const err = await thrownBy(blocked, fails);
      expect(err).toMatchObject({ code: "RESULT_WITHHELD" });
      expect(shown(err)).not.toContain(SECRET);
    }
  });

  it("withholds an Error whose cause, AggregateError members or own fields hold a secret", async () => {
    const session = await sessionWithSecret("redact");
    const makers = [
      (s: string) => new Error("query failed", { cause: new Error(`auth ${s}`) }),
      (s: string) => new AggregateError([new Error(`auth ${s}`)], "all failed"),
      (s: string) => Object.assign(new Error("query failed"), { detail: { dsn: `postgres://u:${s}@db/x` } }),
    ];
    for (const make of makers) {
      const err = await thrownBy(session, make);
      expect(err).toMatchObject({ code: "RESULT_WITHHELD" });
      expect(shown(err)).not.toContain(SECRET);
    }
  });

  it("withholds an Error whose name or code (a getter, a hidden field), deep cause or toJSON holds a secret", async () => {
    class CodeError extends Error {
      readonly #code: string;
      constructor(code: string) {
        super("query failed");
        this.#code = code;
      }
      get code() {
        return this.#code;
      }
    }
    const makers = [
      (s: string) => new CodeError(s),
      (s: string) =>
        Object.defineProperty(new Error("query failed"), "code", { value: s, enumerable: false }),
      (s: string) => {
        class NamedError extends Error {
          override get name() {
            return s;
          }
        }
        return new NamedError("query failed");
      },
      (s: string) => {
        let err = new Error(`auth ${s}`);
        for (let i = 0; i < 12; i++) err = new Error(`layer ${i}`, { cause: err });
        return err;
      },
      (s: string) => Object.assign(new Error("query failed"), { toJSON: () => ({ dsn: s }) }),
    ];
    for (const results of ["redact", "block"] as const) {
      for (const make of makers) {
        const { warden, session } = await wardenWithSecret(results);
        const err = await thrownBy(session, make);
        expect(err).toMatchObject({ code: "RESULT_WITHHELD" });
        expect(shown(err)).not.toContain(SECRET);
        // The outcome record keeps the error's code (else its name): never the value.
        const records = await warden.ledger.store.query({});
        expect(JSON.stringify(records)).not.toContain(SECRET);
      }
    }
  });

  it("masks a secret in an Error's message (its class kept), and withholds it under block", async () => {
    class QueryError extends Error {}
    const masked = await thrownBy(await sessionWithSecret(), (s) => new QueryError(`auth ${s} refused`));
    expect(masked).toBeInstanceOf(QueryError);
    expect((masked as Error).message).toBe("auth [secret:db] refused");
    expect(shown(masked)).not.toContain(SECRET);
    const blocked = await thrownBy(await sessionWithSecret("block"), (s) => new Error(`auth ${s}`));
    expect(blocked).toMatchObject({ code: "RESULT_WITHHELD" });
  });
});

describe("a result", () => {
  it("has a secret that is a number masked, or withheld under block", async () => {
    for (const results of ["redact", "block"] as const) {
      const { warden } = await openWarden(
        {
          default: "allow",
          secrets: {
            results,
            items: { pin: { provider: "env", variable: "PIN", tools: ["card"], inject: { context: "pin" } } },
          },
        },
        { env: { PIN: "40918327" } },
      );
      const session = await warden.session({
        agent: "card-bot",
        onBehalfOf: "alice@example.com",
        intent: "x",
      });
      const card = session.guardWithContext("card", async (_a: object, ctx) => ({
        balance: 12,
        pin: Number(ctx.secrets.pin),
      }));
      if (results === "redact") expect(await card({})).toEqual({ balance: 12, pin: "[secret:pin]" });
      else await expect(card({})).rejects.toMatchObject({ code: "RESULT_WITHHELD" });
    }
  });
});
