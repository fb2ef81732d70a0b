/**
 * Tests for placement.ts.
 *
 * Method: (1) the fast rendezvous path (threshold prefix + heap + widening) must equal a naive reference
 * that sorts every node; (2) the rendezvous property under fast-check: when a node leaves, no segment it did
 * not hold changes, and repairing a segment it held moves only its shard; (3) graceful fallback when domains
 * or nodes run out; (4) statistics: uniform load, and failed-holder counts follow the hypergeometric law that
 * theory.ts uses, so simulated and theoretical loss rates are comparable.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../../sim/kernel/prng.ts";
import {
  buildPlacementTable,
  commitPlacement,
  isEligible,
  placeRandom,
  placeRendezvous,
  releaseShards,
  rendezvousWeight,
  segmentKeyOf,
  setNodeEligible,
  spreadPolicy,
  type MasternodeInfo,
  type PlacementPolicy,
  type PlacementTable,
} from "./placement.ts";
import { hypergeometricPmf } from "./theory.ts";

const STAKE_MIN = 50_000n * 10n ** 18n;

interface NetSpec {
  nodes: MasternodeInfo[];
}

const nodeArb = (i: number, regions: number, operators: number): fc.Arbitrary<MasternodeInfo> =>
  fc.record({
    nodeId: fc.constant(i * 7 + 3),
    regionId: fc.integer({ min: 0, max: regions - 1 }).map((r) => `region-${r}`),
    operatorId: fc.integer({ min: 0, max: operators - 1 }),
    stakeBondedWei: fc.oneof(
      { weight: 9, arbitrary: fc.constant(STAKE_MIN) },
      { weight: 1, arbitrary: fc.constant(STAKE_MIN - 1n) },
    ),
    departed: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    capacityShards: fc.oneof({ weight: 9, arbitrary: fc.constant(1_000_000) }, { weight: 1, arbitrary: fc.constant(0) }),
  });

const netArb: fc.Arbitrary<NetSpec> = fc
  .tuple(fc.integer({ min: 1, max: 160 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 60 }))
  .chain(([count, regions, operators]) =>
    fc.tuple(...Array.from({ length: count }, (_, i) => nodeArb(i, regions, operators))).map((nodes) => ({ nodes })),
  );

const policyArb = fc.record({
  shardCount: fc.integer({ min: 1, max: 40 }),
  regionShardsMax: fc.integer({ min: 1, max: 8 }),
  operatorShardsMax: fc.integer({ min: 1, max: 4 }),
});

/** The definition, written the slow and obvious way: sort everything, scan strictly, then relax. */
function referencePlace(table: PlacementTable, segmentKey: number, policy: PlacementPolicy, keep: number[] = []): number[] {
  const available: number[] = [];
  for (let i = 0; i < table.count; i++) {
    if (table.eligible[i] && table.usedShards[i] < table.capacityShards[i] && !keep.includes(i)) available.push(i);
  }
  const weight = (i: number): number => rendezvousWeight(segmentKey, table.nodeId[i]);
  available.sort((a, b) => weight(b) - weight(a) || table.nodeId[a] - table.nodeId[b]);
  const holders = keep.slice();
  const regionUsed = new Map<number, number>();
  const operatorUsed = new Map<number, number>();
  for (const h of keep) {
    regionUsed.set(table.region[h], (regionUsed.get(table.region[h]) ?? 0) + 1);
    operatorUsed.set(table.operator[h], (operatorUsed.get(table.operator[h]) ?? 0) + 1);
  }
  for (const i of available) {
    if (holders.length >= policy.shardCount) break;
    if ((regionUsed.get(table.region[i]) ?? 0) >= policy.regionShardsMax) continue;
    if ((operatorUsed.get(table.operator[i]) ?? 0) >= policy.operatorShardsMax) continue;
    regionUsed.set(table.region[i], (regionUsed.get(table.region[i]) ?? 0) + 1);
    operatorUsed.set(table.operator[i], (operatorUsed.get(table.operator[i]) ?? 0) + 1);
    holders.push(i);
  }
  for (const i of available) {
    if (holders.length >= policy.shardCount) break;
    if (!holders.includes(i)) holders.push(i);
  }
  return holders;
}

function uniformNetwork(count: number, regions: number, operators: number): MasternodeInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    nodeId: 10_000 + i,
    regionId: i % regions,
    operatorId: `op-${i % operators}`,
    stakeBondedWei: STAKE_MIN,
    departed: false,
    capacityShards: 1e9,
  }));
}

describe("rendezvous placement: the fast path equals the definition", () => {
  it("matches a full-sort reference on random networks, policies and kept holders", () => {
    fc.assert(
      fc.property(netArb, policyArb, fc.nat({ max: 2 ** 40 }), fc.nat(), (net, policy, segmentKey, keepSeed) => {
        const table = buildPlacementTable(net.nodes, STAKE_MIN);
        const fresh = placeRendezvous(table, segmentKey, policy);
        expect(Array.from(fresh.holders)).toEqual(referencePlace(table, segmentKey, policy));
        // Keep a prefix of the fresh holders (as a repair would) and re-place the rest.
        const keepCount = fresh.holders.length === 0 ? 0 : keepSeed % fresh.holders.length;
        const keep = Array.from(fresh.holders.subarray(0, keepCount));
        const repaired = placeRendezvous(table, segmentKey, policy, keep);
        expect(Array.from(repaired.holders)).toEqual(referencePlace(table, segmentKey, policy, keep));
      }),
      { numRuns: 300 },
    );
  });

  it("never picks ineligible, departed or full nodes, never repeats a node, and respects caps when it says so", () => {
    fc.assert(
      fc.property(netArb, policyArb, fc.nat({ max: 2 ** 40 }), (net, policy, segmentKey) => {
        const table = buildPlacementTable(net.nodes, STAKE_MIN);
        const { holders, relaxedCount, domainsRelaxed, shortfall } = placeRendezvous(table, segmentKey, policy);
        expect(new Set(holders).size).toBe(holders.length);
        for (const h of holders) {
          expect(isEligible(net.nodes[h], STAKE_MIN)).toBe(true);
          expect(net.nodes[h].capacityShards).toBeGreaterThan(0);
        }
        expect(holders.length + shortfall).toBe(policy.shardCount);
        expect(domainsRelaxed).toBe(relaxedCount > 0);
        const strict = holders.subarray(0, holders.length - relaxedCount);
        const perRegion = new Map<number, number>();
        const perOperator = new Map<number, number>();
        for (const h of strict) {
          perRegion.set(table.region[h], (perRegion.get(table.region[h]) ?? 0) + 1);
          perOperator.set(table.operator[h], (perOperator.get(table.operator[h]) ?? 0) + 1);
        }
        for (const c of perRegion.values()) expect(c).toBeLessThanOrEqual(policy.regionShardsMax);
        for (const c of perOperator.values()) expect(c).toBeLessThanOrEqual(policy.operatorShardsMax);
      }),
      { numRuns: 300 },
    );
  });

  it("matches the reference at scale: 1,000 nodes in uneven regions, exact-fill caps, repairs", () => {
    // Region sizes 1..~190 (uneven), so the strict scan often runs deep and crosses several bands.
    const nodes = uniformNetwork(1000, 1, 250).map((node, i) => ({ ...node, regionId: Math.floor(Math.sqrt(i * 10)) % 12 }));
    const table = buildPlacementTable(nodes, STAKE_MIN);
    const policies: PlacementPolicy[] = [
      spreadPolicy(table, 14),
      spreadPolicy(table, 80), // 7 per region × 12 regions = 84 slots for 80 shards: deep scans, several bands
      { shardCount: 80, regionShardsMax: 6, operatorShardsMax: 1 }, // 72 slots < 80: forces the relaxed pass
    ];
    let relaxed = 0;
    for (const policy of policies) {
      const shardCount = policy.shardCount;
      for (let s = 0; s < 25; s++) {
        const key = segmentKeyOf(`scale-${shardCount}-${s}`);
        const fresh = Array.from(placeRendezvous(table, key, policy).holders);
        expect(fresh).toEqual(referencePlace(table, key, policy));
        const keep = fresh.slice(0, shardCount - 3);
        expect(Array.from(placeRendezvous(table, key, policy, keep).holders)).toEqual(referencePlace(table, key, policy, keep));
        relaxed += placeRendezvous(table, key, policy).relaxedCount;
      }
    }
    expect(relaxed).toBe(25 * 8);
  });

  it("does not depend on the order the table was built in", () => {
    const nodes = uniformNetwork(300, 7, 50);
    const shuffled = nodes.slice().reverse();
    const a = buildPlacementTable(nodes, STAKE_MIN);
    const b = buildPlacementTable(shuffled, STAKE_MIN);
    const policy = spreadPolicy(a, 30);
    for (let s = 0; s < 200; s++) {
      const ha = Array.from(placeRendezvous(a, s, policy).holders, (i) => a.nodeId[i]);
      const hb = Array.from(placeRendezvous(b, s, policy).holders, (i) => b.nodeId[i]);
      expect(hb).toEqual(ha);
    }
  });
});

describe("rendezvous placement: when one node leaves, only its shards move", () => {
  it("holds for random networks, policies and departing nodes (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 200 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 2, max: 30 }),
        fc.nat(),
        fc.nat({ max: 2 ** 40 }),
        (count, regions, operators, shardCount, leaverSeed, segmentBase) => {
          const table = buildPlacementTable(uniformNetwork(count, regions, operators), STAKE_MIN);
          const policy = spreadPolicy(table, Math.min(shardCount, count - 1));
          const segments = Array.from({ length: 60 }, (_, s) => segmentBase + s * 977);
          const before = segments.map((s) => placeRendezvous(table, s, policy).holders);
          const leaver = leaverSeed % count;
          setNodeEligible(table, leaver, false);
          for (let s = 0; s < segments.length; s++) {
            const old = Array.from(before[s]);
            const position = old.indexOf(leaver);
            if (position < 0) {
              // Not a holder: its departure must not change this segment at all.
              expect(Array.from(placeRendezvous(table, segments[s], policy).holders)).toEqual(old);
            } else {
              // A holder: repair keeps every survivor on the same node and adds exactly one new node.
              const survivors = old.filter((h) => h !== leaver);
              const repaired = Array.from(placeRendezvous(table, segments[s], policy, survivors).holders);
              expect(repaired.slice(0, survivors.length)).toEqual(survivors);
              expect(repaired.length).toBe(old.length);
              expect(repaired[repaired.length - 1]).not.toBe(leaver);
              expect(survivors).not.toContain(repaired[repaired.length - 1]);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("without domain caps, a fresh placement after the departure is the old set minus the leaver plus one", () => {
    const table = buildPlacementTable(uniformNetwork(500, 5, 100), STAKE_MIN);
    const policy = { shardCount: 20, regionShardsMax: 20, operatorShardsMax: 20 };
    const before = Array.from({ length: 2000 }, (_, s) => Array.from(placeRendezvous(table, s, policy).holders));
    setNodeEligible(table, 123, false);
    let moved = 0;
    for (let s = 0; s < before.length; s++) {
      const after = Array.from(placeRendezvous(table, s, policy).holders);
      const lost = before[s].filter((h) => !after.includes(h));
      const gained = after.filter((h) => !before[s].includes(h));
      if (before[s].includes(123)) {
        expect(lost).toEqual([123]);
        expect(gained).toHaveLength(1);
        moved++;
      } else {
        expect(after).toEqual(before[s]);
      }
    }
    // 20 of 500 nodes hold each segment: about 4 % of segments held a shard on the leaver.
    expect(moved).toBeGreaterThan(40);
    expect(moved).toBeLessThan(130);
  });
});

describe("rendezvous placement: fallback and capacity", () => {
  it("falls back to relaxed placement with fewer domains than the caps need, and says so", () => {
    const table = buildPlacementTable(uniformNetwork(30, 3, 30), STAKE_MIN);
    const result = placeRendezvous(table, 42, { shardCount: 6, regionShardsMax: 1, operatorShardsMax: 1 });
    expect(result.holders).toHaveLength(6);
    expect(result.relaxedCount).toBe(3);
    expect(result.domainsRelaxed).toBe(true);
    expect(result.shortfall).toBe(0);
    const regions = Array.from(result.holders.subarray(0, 3), (h) => table.region[h]);
    expect(new Set(regions).size).toBe(3);
  });

  it("reports a shortfall when fewer eligible nodes than n exist", () => {
    const nodes = uniformNetwork(10, 2, 10).map((n, i) => (i < 4 ? { ...n, departed: true } : n));
    const table = buildPlacementTable(nodes, STAKE_MIN);
    const result = placeRendezvous(table, 1, { shardCount: 8, regionShardsMax: 8, operatorShardsMax: 8 });
    expect(result.holders).toHaveLength(6);
    expect(result.shortfall).toBe(2);
    for (const h of result.holders) expect(h).toBeGreaterThanOrEqual(4);
  });

  it("respects per-node capacity as shards are committed and released", () => {
    const nodes = uniformNetwork(12, 3, 12).map((n) => ({ ...n, capacityShards: 2 }));
    const table = buildPlacementTable(nodes, STAKE_MIN);
    const policy = { shardCount: 4, regionShardsMax: 4, operatorShardsMax: 4 };
    const placed: Int32Array[] = [];
    let committed = 0;
    for (let s = 0; s < 20; s++) {
      const { holders, shortfall } = placeRendezvous(table, s, policy);
      expect(holders.length + shortfall).toBe(4);
      commitPlacement(table, holders);
      committed += holders.length;
      placed.push(holders);
      for (let i = 0; i < 12; i++) expect(table.usedShards[i]).toBeLessThanOrEqual(2);
    }
    // 12 nodes × capacity 2 = 24 shards: the network fills up exactly, then every shard falls short.
    expect(committed).toBe(24);
    expect(placeRendezvous(table, 99, policy).shortfall).toBe(4);
    releaseShards(table, placed[0]);
    const again = placeRendezvous(table, 99, policy);
    expect(Array.from(again.holders).sort()).toEqual(Array.from(placed[0]).sort());
    expect(() => releaseShards(table, [0, 0, 0])).toThrow(RangeError);
  });

  it("rejects bad inputs", () => {
    expect(() => buildPlacementTable([...uniformNetwork(2, 1, 1), uniformNetwork(1, 1, 1)[0]], STAKE_MIN)).toThrow(
      /duplicate nodeId/,
    );
    const table = buildPlacementTable(uniformNetwork(5, 1, 1), STAKE_MIN);
    expect(() => placeRendezvous(table, -1, spreadPolicy(table, 3))).toThrow(RangeError);
    expect(() => placeRendezvous(table, 1, spreadPolicy(table, 2), [0, 1, 2])).toThrow(RangeError);
    expect(() => placeRendezvous(table, 1, { shardCount: 0, regionShardsMax: 1, operatorShardsMax: 1 })).toThrow(RangeError);
  });

  it("spreadPolicy spreads evenly over the eligible domains", () => {
    const table = buildPlacementTable(uniformNetwork(1000, 10, 250), STAKE_MIN);
    expect(spreadPolicy(table, 80)).toEqual({ shardCount: 80, regionShardsMax: 8, operatorShardsMax: 1 });
    expect(spreadPolicy(table, 14)).toEqual({ shardCount: 14, regionShardsMax: 2, operatorShardsMax: 1 });
    const result = placeRendezvous(table, 7, spreadPolicy(table, 80));
    expect(result.domainsRelaxed).toBe(false);
    const perRegion = new Array<number>(10).fill(0);
    for (const h of result.holders) perRegion[table.region[h]]++;
    expect(perRegion).toEqual(new Array<number>(10).fill(8));
  });
});

describe("placement statistics", () => {
  it("rendezvous spreads load uniformly (chi-square over 1,000 nodes)", () => {
    const table = buildPlacementTable(uniformNetwork(1000, 10, 250), STAKE_MIN);
    const policy = { shardCount: 10, regionShardsMax: 10, operatorShardsMax: 10 };
    const load = new Float64Array(1000);
    const segments = 20_000;
    for (let s = 0; s < segments; s++) for (const h of placeRendezvous(table, segmentKeyOf(`video-${s >> 4}/${s & 15}`), policy).holders) load[h]++;
    const expected = (segments * 10) / 1000;
    let chi2 = 0;
    for (const l of load) chi2 += (l - expected) ** 2 / expected;
    // 999 degrees of freedom: mean 999, sd ≈ 44.7. Sampling without replacement makes it slightly smaller.
    expect(chi2).toBeLessThan(999 + 5 * 44.7);
    expect(chi2).toBeGreaterThan(999 - 6 * 44.7);
  });

  for (const policyName of ["rendezvous", "random"] as const) {
    it(`${policyName}: failed holders per segment follow the hypergeometric law (N=100, F=30, n=10)`, () => {
      const table = buildPlacementTable(uniformNetwork(100, 1, 100), STAKE_MIN);
      const failed = new Uint8Array(100);
      const pick = new Prng(7, "placement-test/failed-set");
      let marked = 0;
      while (marked < 30) {
        const i = pick.int(100);
        if (!failed[i]) {
          failed[i] = 1;
          marked++;
        }
      }
      const rng = new Prng(11, `placement-test/${policyName}`);
      const policy = { shardCount: 10, regionShardsMax: 10, operatorShardsMax: 10 };
      const segments = 40_000;
      const histogram = new Array<number>(11).fill(0);
      for (let s = 0; s < segments; s++) {
        const holders =
          policyName === "rendezvous" ? placeRendezvous(table, s * 2654435761, policy).holders : placeRandom(table, 10, rng).holders;
        let x = 0;
        for (const h of holders) x += failed[h];
        histogram[x]++;
      }
      // Chi-square goodness of fit, pooling the sparse tail (x ≥ 7).
      let chi2 = 0;
      let tailObserved = 0;
      let tailExpected = 0;
      for (let x = 0; x <= 10; x++) {
        const expected = segments * hypergeometricPmf(x, 100, 30, 10);
        if (x >= 7) {
          tailObserved += histogram[x];
          tailExpected += expected;
          continue;
        }
        chi2 += (histogram[x] - expected) ** 2 / expected;
      }
      chi2 += (tailObserved - tailExpected) ** 2 / tailExpected;
      // 7 degrees of freedom: the 0.999 quantile is 24.3.
      expect(chi2).toBeLessThan(24.3);
    });
  }
});

describe("random placement", () => {
  it("picks distinct eligible nodes, deterministically for a given stream, and honours keep", () => {
    const nodes = uniformNetwork(50, 5, 50).map((n, i) => (i % 10 === 0 ? { ...n, stakeBondedWei: 0n } : n));
    const table = buildPlacementTable(nodes, STAKE_MIN);
    const a = placeRandom(table, 20, new Prng(1, "r"));
    const b = placeRandom(table, 20, new Prng(1, "r"));
    expect(Array.from(a.holders)).toEqual(Array.from(b.holders));
    expect(new Set(a.holders).size).toBe(20);
    for (const h of a.holders) expect(h % 10).not.toBe(0);
    const keep = Array.from(a.holders.subarray(0, 15));
    const repaired = placeRandom(table, 20, new Prng(2, "r"), keep);
    expect(Array.from(repaired.holders.subarray(0, 15))).toEqual(keep);
    expect(new Set(repaired.holders).size).toBe(20);
    expect(placeRandom(table, 60, new Prng(3, "r")).shortfall).toBe(15);
  });

  it("does not depend on the order the table was built in", () => {
    const nodes = uniformNetwork(80, 4, 80);
    const a = buildPlacementTable(nodes, STAKE_MIN);
    const b = buildPlacementTable(nodes.slice().reverse(), STAKE_MIN);
    const ha = Array.from(placeRandom(a, 10, new Prng(5, "o")).holders, (i) => a.nodeId[i]);
    const hb = Array.from(placeRandom(b, 10, new Prng(5, "o")).holders, (i) => b.nodeId[i]);
    expect(hb).toEqual(ha);
  });
});

describe("keys and weights", () => {
  it("segmentKeyOf is a deterministic 53-bit key", () => {
    const k = segmentKeyOf("video-1/0");
    expect(Number.isSafeInteger(k) && k >= 0).toBe(true);
    expect(segmentKeyOf("video-1/0")).toBe(k);
    expect(segmentKeyOf("video-1/1")).not.toBe(k);
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) seen.add(segmentKeyOf(`v${i}`));
    expect(seen.size).toBe(50_000);
  });

  it("weights are 32-bit unsigned and pinned (golden), since placements are part of a run's results", () => {
    const w = [rendezvousWeight(0, 0), rendezvousWeight(1, 0), rendezvousWeight(0, 1), rendezvousWeight(2 ** 52, 2 ** 40)];
    for (const x of w) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
    expect(w).toEqual(GOLDEN_WEIGHTS);
  });
});

const GOLDEN_WEIGHTS: number[] = [1689719650, 3560200773, 4208900823, 46862050];
