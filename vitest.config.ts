import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Probes the real components once: the summary names any that are missing; under CI one missing fails the run.
    globalSetup: ["test/global-setup.ts"],
  },
});
