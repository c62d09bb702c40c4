import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

import { E2E } from "./test/projects.js";

// Shared by both projects. Not `extends: true`: that would also copy the root's globalSetup into each
// project and print the component summary once per project.
const shared = { testTimeout: 30_000, hookTimeout: 30_000, pool: "forks" } as const;

export default defineConfig({
  test: {
    // Probes the real components once per run, whichever projects run: the summary names any that are
    // missing; under CI one missing fails the run.
    globalSetup: ["test/global-setup.ts"],
    // At least two workers even on two cores: most end-to-end files wait on the processes they start
    // (npx, servers, browsers), and the default (cores − 1) ran the whole suite one file at a time there
    // (570 s against 368–405 s with two, measured on the 2-core CI machine).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      // Unit files share one module graph per worker: loading src/ again for each file was two thirds of
      // the project's time. They must leave no state behind (timers, env, module-level caches).
      {
        test: {
          ...shared,
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: E2E,
          isolate: false,
          setupFiles: ["test/unit-setup.ts"],
        },
      },
      { test: { ...shared, name: "e2e", include: E2E } },
    ],
  },
});
