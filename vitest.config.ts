import { defineConfig } from "vitest/config";

// Unit and property tests sit beside the code; cross-cutting tests (determinism, CLI end to end, theory) in test/.
export default defineConfig({
  test: {
    include: ["sim/**/*.test.ts", "models/**/*.test.ts", "scenarios/**/*.test.ts", "reports/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores here: more workers only contend.
    maxWorkers: 2,
  },
});
