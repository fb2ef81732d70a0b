/**
 * Fork resolution under latency never reverts an irreversible block.
 *
 * Property (fast-check, shrinking to the smallest failing timeline): for random partitions and heals between
 * random region sets, random delegate crashes and recoveries, message loss, jitter and block times short enough
 * that blocks race their own propagation (0.25 s slots vs 35–160 ms one-way latencies), a run with every checker
 * after every event (LIB monotone, heads descend from LIBs, no conflicting irreversible blocks between honest
 * replicas) completes; honest replicas' LIBs all lie on one chain; and once the last fault has healed, the LIB
 * advances again. Half the cases keep only 64 final blocks, so pruning and checkpoint sync run under faults too. Failures print the fast-check seed and path, and the counterexample holds the simulation seed.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Behaviour } from "./genesis.ts";
import { runChain } from "./testkit.ts";

const REGIONS = ["us-east", "eu-west", "ap-southeast", "us-west", "sa-east"] as const;

const partitionArb = fc.record({
  atS: fc.integer({ min: 0, max: 120 }),
  forS: fc.integer({ min: 5, max: 60 }),
  region: fc.integer({ min: 0, max: 4 }),
  others: fc.subarray([0, 1, 2, 3, 4]),
});
/** Runs per test (raise with CHAIN_FORK_RUNS=200 for a deeper sweep). */
const RUNS = Number(process.env.CHAIN_FORK_RUNS ?? 10);

const crashArb = fc.record({ atS: fc.integer({ min: 0, max: 120 }), forS: fc.integer({ min: 5, max: 60 }), count: fc.integer({ min: 1, max: 6 }) });

describe("fork resolution under random partitions, heals and crashes", () => {
  it("never reverts or conflicts an irreversible block, and recovers liveness after healing", async () => {
    let withReorgs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(1_000_000),
          blockTimeS: fc.constantFrom(0.25, 0.5, 3),
          keepFinalBlocks: fc.constantFrom(64, 4096),
          jitterCv: fc.double({ min: 0, max: 1, noNaN: true }),
          loss: fc.double({ min: 0, max: 0.05, noNaN: true }),
          partitions: fc.array(partitionArb, { maxLength: 3 }),
          crashes: fc.array(crashArb, { maxLength: 2 }),
        }),
        async (c) => {
          const timeline = [
            ...c.partitions.map((p) => ({
              at: `${p.atS}s`, action: "partition", region: REGIONS[p.region],
              regions: p.others.filter((o) => o !== p.region).map((o) => REGIONS[o]), for: `${p.forS}s`,
            })),
            ...c.crashes.map((k) => ({ at: `${k.atS}s`, action: "crash", role: "delegate", count: k.count, for: `${k.forS}s` })),
          ];
          const lastHealS = Math.max(0, ...c.partitions.map((p) => p.atS + p.forS), ...c.crashes.map((k) => k.atS + k.forS));
          const run = await runChain({
            seed: c.seed, duration: "5min", timeline, check: true,
            network: { jitterCv: c.jitterCv, loss: c.loss },
            chain: { blockTimeS: c.blockTimeS, blocks: { keepFinalBlocks: c.keepFinalBlocks } },
          });
          expect(run.result.outcome.status).toBe("completed");
          expect(run.metric("chain.conflicting_irreversible")).toBe(0);
          const { chain } = run;
          for (const r of chain.replicas) if (r.behaviour === Behaviour.Honest) expect(chain.finalIdAt(r.libNumber)).toBe(r.libId);
          const libs = run.series("chain.lib_height");
          const atHeal = libs.filter(([t]) => t <= lastHealS + 1).pop()![1];
          expect(libs[libs.length - 1][1]).toBeGreaterThan(atHeal);
          if (run.metric("chain.reorgs") > 0) withReorgs++;
        },
      ),
      { numRuns: RUNS, verbose: true },
    );
    // The property was exercised on forked histories, not only on straight chains.
    expect(withReorgs).toBeGreaterThan(RUNS / 4);
  }, Math.max(120_000, RUNS * 10_000));
});
