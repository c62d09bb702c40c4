// A throwaway self-signed certificate (EC P-256, one day) for TLS servers on 127.0.0.1 in tests.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificate {
  key: string;
  cert: string;
  /** The certificate's file, for options that take a CA file; gone once `remove` ran. */
  certPath: string;
  remove: () => void;
}

/** `names` go into subjectAltName as written (`DNS:vault.test`, `IP:127.0.0.1`); the first names the CN. */
export function selfSignedCertificate(names: string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "warden-tls-"));
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  const cn = (names[0] ?? "DNS:localhost").replace(/^[A-Z]+:/, "");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      `subjectAltName=${names.join(",")}`,
    ],
    { stdio: "ignore" },
  );
  return {
    key: readFileSync(key, "utf8"),
    cert: readFileSync(cert, "utf8"),
    certPath: cert,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
