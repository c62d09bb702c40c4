// sandbox.commands limits as the policy gives them to a command tool's runner.
import { describe, expect, it } from "vitest";
import { compileContainment } from "../../src/sandbox/index.js";

describe("sandbox.commands limits", () => {
  it("carries timeout, memory, CPU and processes to the tool's runner, and nothing a glob does not match", () => {
    const settings = compileContainment(
      {},
      { commands: { "build_*": { timeout: 60_000, memoryMb: 512, cpuSeconds: 10, processes: 32 } } },
    );
    expect(settings.commandLimits("build_report")).toEqual({
      timeoutMs: 60_000,
      memoryMb: 512,
      cpuSeconds: 10,
      processes: 32,
      runtime: "bubblewrap",
    });
    expect(settings.commandLimits("read_ticket")).toBeNull();
  });
});
