// Types of scripts/build-web.mjs for the tests that build the dashboard before serving it.

/** Bundles web/ into dist/web/ and returns that folder. */
export function buildWeb(): Promise<string>;
