// Headless Chromium as the browser suites drive it: Debian's build, which .ci/run installs.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** Launches it; without Chromium the suite fails loudly, naming itself, rather than skipping. */
export function launchChromium(suite: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${suite} needs Chromium at ${CHROMIUM}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}
