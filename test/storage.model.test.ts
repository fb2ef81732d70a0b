/**
 * Storage model pieces with exact expectations: the scenario section's validation (paths named like every other
 * loader message), the repair queue's order, the 29.57 % codes, the fixed-repair-time Markov chain, and the
 * built-in storage scenarios being listed and valid.
 */
import { describe, expect, it } from "vitest";
import { listScenarios, loadScenario, scenarioFrom, ScenarioError } from "../scenarios/load.ts";
import { SegmentHeap } from "../models/storage/segmentHeap.ts";
import { CLAIM_FRACTION, scenarioClaim, smallestMdsCode } from "../models/storage/claim.ts";
import { mttdlLazyRepairErlang } from "../models/storage/durability.ts";
import { toleranceGrid } from "../models/storage/tolerance.ts";
import { mttdlLazyRepair } from "../models/storage/theory.ts";
import { runScenario } from "../sim/runner/run.ts";

const problems = (partial: object): string => {
  try {
    scenarioFrom(partial);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return "";
};

describe("models.storage section", () => {
  it("rejects k ≤ m ≤ o ≤ n violations and n above the masternodes, naming the path", () => {
    expect(problems({ models: { storage: { k: 10, m: 8 } } })).toContain("models.storage.m: got 8");
    expect(problems({ models: { storage: { o: 11, m: 12 } } })).toContain("models.storage.o: got 11");
    expect(problems({ models: { storage: { n: 13, o: 14 } } })).toContain("models.storage.n: got 13");
    expect(problems({ population: { masternodes: 12 }, models: { storage: { enabled: true } } })).toContain("models.storage.n: got 16; expected n ≤ population.masternodes (12)");
    // Disabled storage may ask for more shards than there are masternodes (it places nothing).
    expect(problems({ population: { masternodes: 12 }, models: { storage: { enabled: false } } })).toBe("");
    expect(problems({ models: { storage: { k: 0 } } })).toContain("models.storage.k");
    expect(problems({ models: { storage: { n: 256 } } })).toContain("models.storage.n");
    expect(problems({ models: { storage: { placement: "nearest" } } })).toContain("models.storage.placement");
    expect(problems({ models: { storage: { enabled: true, mode: "bytes", videos: 1000, segmentBytes: 10_000_000 } } })).toContain("models.storage.segmentBytes");
  });

  it("--set reaches nested storage keys", () => {
    const s = loadScenario("default", ["models.storage.attacker.strategy=targeted", "models.storage.repair.concurrencyMax=3"]).scenario;
    expect(s.models.storage.attacker.strategy).toBe("targeted");
    expect(s.models.storage.repair.concurrencyMax).toBe(3);
  });

  it("the storage scenarios are listed and load", () => {
    const names = listScenarios().map((s) => s.name);
    for (const n of ["storage-tolerance", "storage-durability", "storage-attack", "default"]) {
      expect(names).toContain(n);
      expect(loadScenario(n).scenario.models.storage.enabled).toBe(true);
    }
  });
});

describe("repair queue", () => {
  it("serves fewest healthy first, FIFO among equals, and re-keys on change", () => {
    const healthy = new Uint16Array([5, 3, 5, 4, 3]);
    const q = new SegmentHeap(5, healthy);
    for (const s of [0, 1, 2, 3, 4]) q.push(s);
    healthy[2] = 2;
    q.update(2);
    q.remove(3);
    expect([q.pop(), q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([2, 1, 4, 0, -1]);
  });
});

describe("the 29.57 % claim", () => {
  it("finds the smallest MDS codes with (n − k)/n ≈ 0.2957", () => {
    expect(smallestMdsCode(CLAIM_FRACTION, "rounding")).toMatchObject({ k: 81, n: 115 });
    expect(smallestMdsCode(CLAIM_FRACTION, "truncating")).toMatchObject({ k: 50, n: 71 });
  });

  it("is exactly true against any failure set only when a code spans all N ≤ 255 masternodes", () => {
    const spanning = scenarioClaim(81, 115, 115, 1000, 1e-6);
    expect(spanning.holdsTargeted).toBe(true); // F = 34 ≤ 115 − 81
    expect(spanning.kMaxSpanning).toBe(81);
    const big = scenarioClaim(29, 80, 1000, 10_000, 1e-6);
    expect(big.holdsTargeted).toBe(false);
    expect(big.kMaxSpanning).toBe(-1);
    // Storj's 29-of-80 on 1,000 nodes tolerates ~31 % random failures at ε = 1e−6 with 10,000 segments.
    expect(big.holdsRandom).toBe(true);
    expect(big.fMaxRandom).toBeGreaterThan(CLAIM_FRACTION);
  });
});

describe("durability theory", () => {
  it("Erlang(1) repair is the exponential chain; a fixed repair time loses less", () => {
    const p = { k: 4, m: 6, n: 7, alpha: 5, gamma: 1500 };
    expect(mttdlLazyRepairErlang({ ...p, phases: 1 })).toBeCloseTo(mttdlLazyRepair(p), 6);
    const fixed = mttdlLazyRepairErlang({ ...p, phases: 64 });
    // Two more failures must fall inside the window: a fixed window halves that chance (E[X²] = 2/γ² vs 1/γ²).
    expect(fixed / mttdlLazyRepair(p)).toBeGreaterThan(1.8);
    expect(fixed / mttdlLazyRepair(p)).toBeLessThan(2.1);
  });

  it("a month of the durability scenario records losses beside both chain predictions", async () => {
    const r = await runScenario({ scenario: loadScenario("storage-durability", ["duration=30d"]).scenario });
    const m = new Map(r.metrics.map((x) => [x.name, x.value] as const));
    const alpha = m.get("storage.durability.alpha_per_year")!;
    // Departures: 10 % of weekly sessions end in one, about 5.2 shard failures per shard-year.
    expect(alpha).toBeGreaterThan(3);
    expect(alpha).toBeLessThan(8);
    const fixed = m.get("storage.durability.segments_lost_expected_fixed_repair")!;
    const exponential = m.get("storage.durability.segments_lost_expected")!;
    expect(fixed).toBeGreaterThan(0);
    expect(exponential / fixed).toBeGreaterThan(1.5);
    expect(m.get("storage.repairs_completed")).toBeGreaterThan(1000);
    expect(r.timeseries.name.filter((n) => n === "storage.repair_bandwidth_bps").length).toBe(31);
  });

  it("tolerance grid keys", () => {
    expect(toleranceGrid(0.6, 0.05).map((g) => g.key)).toEqual(
      ["f0_00", "f0_05", "f0_10", "f0_15", "f0_20", "f0_25", "f0_30", "f0_35", "f0_40", "f0_45", "f0_50", "f0_55", "f0_60"],
    );
    expect(toleranceGrid(0.1, 0.025).map((g) => g.key)).toEqual(["f0_000", "f0_025", "f0_050", "f0_075", "f0_100"]);
  });
});
