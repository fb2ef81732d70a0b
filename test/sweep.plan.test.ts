/**
 * Sweep planning (sim/sweep/plan.ts), in process: seed lists, grid products, random and Latin-hypercube sampling
 * (seeded, deterministic, each stratum of each dimension hit exactly once), validation of every point through the
 * scenario schema, and job identities.
 */
import { describe, expect, it } from "vitest";
import { parseSeeds, parseGrid, parseRange, planSweep, PlanError, sampleUnit, splitTopLevel, fromUnit } from "../sim/sweep/plan.ts";

const SHORT = ["duration=10min", "faults.timeline=[]"];

describe("parseSeeds", () => {
  it("reads ranges, lists and mixes, in order, without repeats", () => {
    expect(parseSeeds("1..5")).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds("1,5,9")).toEqual([1, 5, 9]);
    expect(parseSeeds("1..3,7, 2")).toEqual([1, 2, 3, 7]);
    expect(parseSeeds("0")).toEqual([0]);
  });
  it("rejects malformed input, naming the flag", () => {
    for (const bad of ["", "a", "1..", "5..1", "1,,2", "-1", "1.5", "1..200000"]) {
      expect(() => parseSeeds(bad), bad).toThrow(PlanError);
      expect(() => parseSeeds(bad)).toThrow(/--seeds/);
    }
  });
});

describe("grid and range flags", () => {
  it("splits values on top-level commas only and reads them like --set", () => {
    expect(splitTopLevel('1,[2,3],{"a":1,"b":2},"x,y"')).toEqual(["1", "[2,3]", '{"a":1,"b":2}', '"x,y"']);
    expect(parseGrid("network.loss=0.001,0.01").values).toEqual([0.001, 0.01]);
    expect(parseGrid("duration=10min,1h").values).toEqual(["10min", "1h"]);
    expect(() => parseGrid("network.loss")).toThrow(/--grid/);
    expect(() => parseGrid("network.loss=1,,2")).toThrow(/--grid network.loss/);
  });
  it("parses ranges with scales and rejects bad ones", () => {
    expect(parseRange("network.loss=0:0.1")).toMatchObject({ lo: 0, hi: 0.1, scale: "linear" });
    expect(parseRange("population.viewers=100:500:int")).toMatchObject({ lo: 100, hi: 500, scale: "int" });
    expect(parseRange("network.jitterCv=0.01:1:log")).toMatchObject({ scale: "log" });
    for (const bad of ["network.loss=1:0", "network.loss=a:b", "population.viewers=1.5:3:int", "network.loss=0:1:log", "network.loss=0"]) {
      expect(() => parseRange(bad), bad).toThrow(/--range/);
    }
  });
  it("maps unit draws into ranges (int inclusive, log-uniform)", () => {
    const int = parseRange("a.b=1:3:int");
    expect([0, 0.34, 0.67, 0.999999].map((u) => fromUnit(int, u))).toEqual([1, 2, 3, 3]);
    const log = parseRange("a.b=1:100:log");
    expect(fromUnit(log, 0.5)).toBeCloseTo(10, 9);
  });
});

describe("sampling", () => {
  it("Latin hypercube: every stratum of every dimension is hit exactly once", () => {
    for (const n of [1, 7, 50]) {
      const pts = sampleUnit(n, 3, true, 42);
      for (let d = 0; d < 3; d++) {
        const strata = pts.map((p) => Math.floor(p[d] * n)).sort((a, b) => a - b);
        expect(strata).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    }
  });
  it("is seeded: same seed same points, other seed other points", () => {
    expect(sampleUnit(10, 2, true, 1)).toEqual(sampleUnit(10, 2, true, 1));
    expect(sampleUnit(10, 2, true, 1)).not.toEqual(sampleUnit(10, 2, true, 2));
    expect(sampleUnit(10, 2, false, 1)).toEqual(sampleUnit(10, 2, false, 1));
  });
  it("a planned LHS sweep covers each stratum of each range once, through real values", () => {
    const n = 8;
    const plan = planSweep({ scenario: "smoke", sets: SHORT, range: ["network.loss=0:0.08", "traffic.fetchIntervalMeanS=2:10"], sample: n, lhs: true, seeds: "1" });
    expect(plan.jobs).toHaveLength(n);
    expect(plan.sampling).toEqual({ kind: "lhs", n, seed: 1 });
    const loss = plan.jobs.map((j) => Math.floor(((j.params["network.loss"] as number) / 0.08) * n)).sort((a, b) => a - b);
    const gap = plan.jobs.map((j) => Math.floor((((j.params["traffic.fetchIntervalMeanS"] as number) - 2) / 8) * n)).sort((a, b) => a - b);
    expect(loss).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(gap).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The value reached the resolved scenario through the --set path.
    for (const j of plan.jobs) expect(j.scenario.network.loss).toBe(j.params["network.loss"]);
  });
});

describe("planSweep", () => {
  it("grid × seeds: cartesian product, first flag outermost, seed innermost; identities distinct", () => {
    const plan = planSweep({ scenario: "smoke", sets: SHORT, grid: ["network.loss=0.001,0.01", "traffic.fetchIntervalMeanS=4,8"], seeds: "1..3" });
    expect(plan.points.map((p) => p.params)).toEqual([
      { "network.loss": 0.001, "traffic.fetchIntervalMeanS": 4 }, { "network.loss": 0.001, "traffic.fetchIntervalMeanS": 8 },
      { "network.loss": 0.01, "traffic.fetchIntervalMeanS": 4 }, { "network.loss": 0.01, "traffic.fetchIntervalMeanS": 8 },
    ]);
    expect(plan.jobs).toHaveLength(12);
    expect(plan.jobs.slice(0, 3).map((j) => j.seed)).toEqual([1, 2, 3]);
    expect(new Set(plan.jobs.map((j) => j.key)).size).toBe(12);
    expect(plan.jobs[4].scenario.seed).toBe(2);
    expect(plan.jobs[4].scenario.traffic.fetchIntervalMeanS).toBe(8);
    expect(plan.jobs[4].sets).toEqual([...SHORT, "network.loss=0.001", "traffic.fetchIntervalMeanS=8"]);
  });
  it("merges jobs with the same identity", () => {
    const plan = planSweep({ scenario: "smoke", sets: SHORT, grid: ["network.loss=0.01,0.01"], seeds: "1,2" });
    expect(plan.jobs).toHaveLength(2);
    expect(plan.duplicates).toBe(2);
  });
  it("validates every point and names the bad swept value", () => {
    expect(() => planSweep({ scenario: "smoke", sets: SHORT, grid: ["network.loss=0.01,1.5,2"], seeds: "1" })).toThrow(PlanError);
    try {
      planSweep({ scenario: "smoke", sets: SHORT, grid: ["network.loss=0.01,1.5,2"], seeds: "1" });
    } catch (e) {
      const m = (e as Error).message;
      expect(m).toContain("2 of 3 point(s) invalid");
      expect(m).toContain("network.loss: got 1.5");
      expect(m).toContain("network.loss: got 2");
    }
    expect(() => planSweep({ scenario: "smoke", grid: ["population.watchers=1,2"] })).toThrow(/population.watchers/);
    expect(() => planSweep({ scenario: "no-such", grid: ["network.loss=0.1"] })).toThrow(/no-such/);
  });
  it("rejects inconsistent sampling flags", () => {
    expect(() => planSweep({ scenario: "smoke", range: ["network.loss=0:0.1"] })).toThrow(/--sample/);
    expect(() => planSweep({ scenario: "smoke", sample: 3 })).toThrow(/--range/);
    expect(() => planSweep({ scenario: "smoke", lhs: true })).toThrow(/--lhs/);
    expect(() => planSweep({ scenario: "smoke", grid: ["network.loss=0.1"], range: ["network.loss=0:1"], sample: 2 })).toThrow(/swept twice/);
  });
  it("without --seeds uses the scenario's seed", () => {
    const plan = planSweep({ scenario: "smoke", sets: SHORT });
    expect(plan.seeds).toEqual([plan.jobs[0].scenario.seed]);
    expect(plan.jobs).toHaveLength(1);
  });
});
