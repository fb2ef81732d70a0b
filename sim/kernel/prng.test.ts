/**
 * Streams: same (seed, label) ⇒ same sequence in any order of creation; drawing from one stream never shifts
 * another; forks depend only on the label path; the output is uniform enough for simulation (χ² on 16 bins).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Prng } from "./prng.ts";
import { Kernel } from "./kernel.ts";

const take = (p: Prng, n: number) => Array.from({ length: n }, () => p.u32());

describe("Prng streams", () => {
  it("are reproducible from (seed, label)", () => {
    expect(take(new Prng(42, "net"), 20)).toEqual(take(new Prng(42, "net"), 20));
    expect(take(new Prng(42, "net"), 20)).not.toEqual(take(new Prng(43, "net"), 20));
    expect(take(new Prng(42, "net"), 20)).not.toEqual(take(new Prng(42, "churn"), 20));
  });

  it("are independent: draws in one stream never shift another", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.nat(500), fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), (seed, extra, labels) => {
        const k1 = new Kernel({ seed });
        const k2 = new Kernel({ seed });
        // k2 creates extra streams and draws from them first.
        for (const l of labels) take(k2.rng(`noise/${l}`), extra);
        expect(take(k1.rng("target"), 10)).toEqual(take(k2.rng("target"), 10));
      }),
      { numRuns: 100 },
    );
  });

  it("forks depend on the path, not on the parent's draws", () => {
    const a = new Prng(7, "agents");
    const b = new Prng(7, "agents");
    take(b, 1000);
    expect(take(a.fork("viewer/3"), 10)).toEqual(take(b.fork("viewer/3"), 10));
    expect(take(a.fork("viewer/3"), 10)).toEqual(take(new Prng(7, "agents/viewer/3"), 10));
  });

  it("int(n) is unbiased and in range; float in [0,1)", () => {
    const p = new Prng(1, "uniformity");
    const bins = new Array(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) {
      const x = p.int(16);
      expect(x >= 0 && x < 16).toBe(true);
      bins[x]++;
    }
    const e = n / 16;
    const chi2 = bins.reduce((a, o) => a + (o - e) ** 2 / e, 0);
    // χ²(15) 99.9th percentile is 37.7.
    expect(chi2).toBeLessThan(37.7);
    for (let i = 0; i < 10_000; i++) {
      const f = p.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(() => p.int(0)).toThrow();
  });
});
