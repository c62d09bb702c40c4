// Bundles the dashboard (web/) into dist/web/: index.html, assets/app.js, assets/app.css. No CDN at run time.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the dashboard; the tests call it too, so they never serve a stale bundle. */
export async function buildWeb() {
  const out = join(root, "dist", "web");
  mkdirSync(join(out, "assets"), { recursive: true });
  // Build beside the output, then rename file by file: a server (or a parallel test) never reads half a file.
  const staging = mkdtempSync(join(root, "dist", ".web-"));
  try {
    await build({
      entryPoints: [join(root, "web", "src", "main.tsx")],
      bundle: true,
      format: "esm",
      target: "es2022",
      jsx: "automatic",
      jsxImportSource: "preact",
      minify: true,
      sourcemap: false,
      legalComments: "none",
      outfile: join(staging, "app.js"),
      logLevel: "warning",
    });
    copyFileSync(join(root, "web", "styles.css"), join(staging, "app.css"));
    copyFileSync(join(root, "web", "index.html"), join(staging, "index.html"));
    for (const name of readdirSync(staging)) {
      renameSync(join(staging, name), name === "index.html" ? join(out, name) : join(out, "assets", name));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildWeb();
