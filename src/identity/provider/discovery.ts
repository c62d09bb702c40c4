// The provider's OpenID discovery document (and its JWKS), fetched with a deadline and validated before use.
import * as z from "zod";
import { WardenError } from "../../errors.js";
import { providerUrl } from "./config.js";

const MAX_BYTES = 512 * 1024;
const TIMEOUT_MS = 10_000;

const metadataSchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: providerUrl,
  authorization_endpoint: providerUrl.optional(),
  token_endpoint: providerUrl.optional(),
  end_session_endpoint: providerUrl.optional(),
});

export type ProviderMetadata = z.output<typeof metadataSchema>;

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** GETs `url` and parses its JSON with `schema`; PROVIDER_UNAVAILABLE for any failure, never a partial value. */
export async function fetchJson<T>(fetcher: Fetch, url: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    const res = await fetcher(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (err) {
    throw new WardenError(
      "PROVIDER_UNAVAILABLE",
      `the identity provider did not answer ${url}: ${(err as Error).message}`,
    );
  }
  if (text.length > MAX_BYTES)
    throw new WardenError("PROVIDER_UNAVAILABLE", `${url} answered more than ${MAX_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WardenError("PROVIDER_UNAVAILABLE", `${url} did not answer JSON`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success)
    throw new WardenError("PROVIDER_UNAVAILABLE", `${url} answered an unexpected document`);
  return result.data;
}

/** The discovery document; its `issuer` must be exactly the configured one (OpenID Connect Discovery §4.3). */
export async function discover(issuer: string, fetcher: Fetch = fetch): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const metadata = await fetchJson(fetcher, url, metadataSchema);
  if (metadata.issuer !== issuer) {
    throw new WardenError(
      "PROVIDER_UNAVAILABLE",
      `the discovery document names issuer ${metadata.issuer}, not ${issuer}`,
    );
  }
  return metadata;
}
