/**
 * Quorum arithmetic and the LIB rule: q = ⌊2N/3⌋+1; for N = 21, q = 15, liveness survives 6 faulty, safety 8
 * (DOMAIN.md §c); the q-th-largest rule equals the definition "highest h with ≥ q distinct producers at or above".
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { libFromLastProduced, livenessFaultsMax, quorumOf, safetyFaultsMax } from "./finality.ts";

describe("quorum bounds", () => {
  it("EOS (21) and TRON (27) figures", () => {
    expect(quorumOf(21)).toBe(15);
    expect(livenessFaultsMax(21)).toBe(6);
    expect(safetyFaultsMax(21)).toBe(8);
    expect(quorumOf(27)).toBe(19);
    expect(livenessFaultsMax(27)).toBe(8);
    expect(safetyFaultsMax(27)).toBe(10);
  });

  it("classical BFT sizes N = 3f+1 tolerate f on both sides", () => {
    for (let f = 1; f < 40; f++) {
      const n = 3 * f + 1;
      expect(livenessFaultsMax(n)).toBe(f);
      expect(safetyFaultsMax(n)).toBe(f);
    }
  });
});

describe("libFromLastProduced", () => {
  /** Definition: the highest h ≥ 0 such that at least q producers produced at a height ≥ h (0 if none). */
  const byDefinition = (last: number[], q: number): number => {
    let best = 0;
    for (const h of new Set(last)) if (h > best && last.filter((x) => x >= h).length >= q) best = h;
    return best;
  };

  it("matches the definition", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1, max: 60 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 40 }), (last, q) => {
        expect(libFromLastProduced(Int32Array.from(last), q)).toBe(byDefinition(last, q));
      }),
      { numRuns: 500 },
    );
  });

  it("14 distinct producers never finalize anything with q = 15", () => {
    const last = new Int32Array(21).fill(-1);
    for (let i = 0; i < 14; i++) last[i] = 100 + i;
    expect(libFromLastProduced(last, 15)).toBe(0);
    last[20] = 200;
    expect(libFromLastProduced(last, 15)).toBe(100);
  });
});
