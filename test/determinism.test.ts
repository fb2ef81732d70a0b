/**
 * Determinism is the product: the default scenario run twice in separate processes must print the same trace
 * hash (and the same metrics), and another seed a different one. In-process, the same holds for the smoke
 * scenario in check mode (checkers after every event) — checking must not change results.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { popsim } from "./helpers/cli.ts";
import { loadScenario } from "../scenarios/load.ts";
import { runScenario } from "../sim/runner/run.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-det-"));

describe("determinism", () => {
  it("default --seed 7 twice in separate processes: same traceHash and metrics; seed 8 differs", { timeout: 900_000 }, async () => {
    const a = await popsim(["run", "default", "--seed", "7", "--json", "--db", join(dir, "a.duckdb")]);
    const b = await popsim(["run", "default", "--seed", "7", "--json", "--db", join(dir, "b.duckdb")]);
    const c = await popsim(["run", "default", "--seed", "8", "--json", "--db", join(dir, "a.duckdb")]);
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    const [ja, jb, jc] = [a, b, c].map((r) => JSON.parse(r.stdout));
    expect(ja.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(jb.traceHash).toBe(ja.traceHash);
    expect(jb.metrics).toEqual(ja.metrics);
    expect(jb.events).toBe(ja.events);
    expect(jc.traceHash).not.toBe(ja.traceHash);
    // The JSON contract of `run --json`.
    for (const k of ["runId", "scenario", "seed", "status", "events", "simTimeS", "wallTimeS", "traceHash", "metrics"]) expect(ja).toHaveProperty(k);
    expect(ja.status).toBe("completed");
    expect(ja.seed).toBe(7);
  });

  it("check mode (every checker after every event) gives the same trace hash as sampled checking", async () => {
    const s = loadScenario("smoke", ["duration=40min"]).scenario;
    const fast = await runScenario({ scenario: s });
    const checked = await runScenario({ scenario: s, checkMode: true });
    expect(checked.outcome.traceHash).toBe(fast.outcome.traceHash);
    expect(checked.metrics).toEqual(fast.metrics);
  });

  it("an override changes the run's identity and its hash", async () => {
    const base = await runScenario({ scenario: loadScenario("smoke", ["duration=35min"]).scenario });
    const other = await runScenario({ scenario: loadScenario("smoke", ["duration=35min", "network.loss=0.01"]).scenario });
    expect(other.outcome.traceHash).not.toBe(base.outcome.traceHash);
  });
});
