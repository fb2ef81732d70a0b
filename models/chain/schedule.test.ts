/**
 * Schedule fairness: each round is a permutation of the active set, a deterministic function of (set, LIB hash,
 * round); in a run, every active delegate produces exactly one block per round on the final chain.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { shuffleProducers } from "./schedule.ts";
import { runChain } from "./testkit.ts";

describe("shuffleProducers", () => {
  it("is a permutation of the active set, independent of its input order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(200), { minLength: 1, maxLength: 40 }), fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }), fc.nat(10_000), (active, seed, round) => {
        const order = shuffleProducers(active, seed, round);
        expect(order.slice().sort((a, b) => a - b)).toEqual(active.slice().sort((a, b) => a - b));
        expect(shuffleProducers(active.slice().reverse(), seed, round)).toEqual(order);
      }),
      { numRuns: 200 },
    );
  });

  it("changes with the seed hash and the round", () => {
    const active = Array.from({ length: 21 }, (_, i) => i);
    const a = shuffleProducers(active, "aa", 1);
    expect(shuffleProducers(active, "ab", 1)).not.toEqual(a);
    expect(shuffleProducers(active, "aa", 2)).not.toEqual(a);
  });
});

describe("schedule in a run", () => {
  it("gives every active delegate exactly one block per round on the final chain", async () => {
    const { chain } = await runChain({ duration: "10min", seed: 3 });
    const perRound = new Map<number, number[]>();
    for (let h = 1; h <= chain.libHeight(); h++) {
      const b = chain.block(chain.finalIdAt(h)!);
      perRound.set(b.round, [...(perRound.get(b.round) ?? []), b.producer]);
    }
    const complete = [...perRound.keys()].filter((r) => perRound.has(r + 1));
    expect(complete.length).toBeGreaterThanOrEqual(5);
    for (const r of complete) {
      const round = chain.roundAt(r)!;
      expect(perRound.get(r)).toEqual(round.producers);
      expect(new Set(perRound.get(r)).size).toBe(round.active.length);
    }
  });
});
