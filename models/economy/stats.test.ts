/**
 * The inequality statistics (stats.ts): known values, the two Gini formulas agreeing, and properties — Gini in
 * [0, 1), scale invariance, equal values ⇒ 0, Lorenz monotone, convex, below the diagonal, from (0,0) to (1,1).
 * fast-check runs with a fixed seed (override with FC_SEED); a failure prints the seed and the shrunk input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gini, giniPairwise, hhi, longTailShare, lorenzPoints, quantile } from "./stats.ts";

const fcParams = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20_240_606), numRuns });
// Money-like values: zeros, and magnitudes from a micro-unit up (subnormal floats are not amounts anyone holds).
const amount = fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e9, noNaN: true, noDefaultInfinity: true }));
const values = fc.array(amount, { minLength: 1, maxLength: 60 });
const positive = (xs: number[]) => xs.reduce((a, b) => a + b, 0) > 0;

describe("known values", () => {
  it("Gini: equal ⇒ 0; one holds all of n ⇒ (n−1)/n; a textbook case", () => {
    expect(gini([5, 5, 5, 5])).toBe(0);
    expect(gini([0, 0, 0, 10])).toBeCloseTo(0.75, 12);
    expect(giniPairwise([0, 0, 0, 10])).toBeCloseTo(0.75, 12);
    // 1, 2, 3, 4: Σ|xi − xj| over ordered pairs = 20; 2n²x̄ = 2·16·2.5 = 80 ⇒ 0.25.
    expect(gini([4, 1, 3, 2])).toBeCloseTo(0.25, 12);
    expect(giniPairwise([4, 1, 3, 2])).toBeCloseTo(0.25, 12);
    expect(gini([])).toBe(0);
    expect(gini([0, 0])).toBe(0);
  });

  it("HHI: n equal ⇒ 1/n; monopoly ⇒ 1", () => {
    expect(hhi([1, 1, 1, 1])).toBeCloseTo(0.25, 12);
    expect(hhi([0, 7, 0])).toBe(1);
    expect(hhi([3, 1])).toBeCloseTo(0.625, 12);
  });

  it("Lorenz points and the long tail of an 80/20 distribution", () => {
    // 10 holders: the top 2 hold 80.
    const x = [2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 40, 40];
    const l = lorenzPoints(x, 10);
    expect(l.p).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(l.share[8]).toBeCloseTo(0.2, 12);
    expect(l.share[9]).toBeCloseTo(0.6, 12);
    expect(l.share[10]).toBe(1);
    expect(longTailShare(x)).toBeCloseTo(0.2, 12);
    // Interpolation between holders: 4 holders, p = 0.5 falls on the boundary after the second.
    expect(lorenzPoints([1, 1, 1, 5], 4).share).toEqual([0, 0.125, 0.25, 0.375, 1]);
    expect(lorenzPoints([1, 3], 4).share.map((v) => +v.toFixed(12))).toEqual([0, 0.125, 0.25, 0.625, 1]);
  });

  it("the top count is ⌈0.2·n⌉ (n = 15 ⇒ 3, not 4 from float error)", () => {
    const x = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(longTailShare(x)).toBeCloseTo((120 - 15 - 14 - 13) / 120, 12);
  });

  it("quantile is nearest rank", () => {
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([5, 1, 3, 2, 4], 0.1)).toBe(1);
    expect(quantile([5, 1, 3, 2, 4], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it("rejects negative and non-finite values", () => {
    expect(() => gini([1, -1])).toThrow(RangeError);
    expect(() => hhi([Infinity])).toThrow(RangeError);
    expect(() => lorenzPoints([1], 0)).toThrow(RangeError);
  });
});

describe("properties", () => {
  it("the two Gini formulas agree", () => {
    fc.assert(
      fc.property(values, (xs) => {
        expect(gini(xs)).toBeCloseTo(giniPairwise(xs), 9);
      }),
      fcParams(300),
    );
  });

  it("Gini ∈ [0, 1 − 1/n] ⊂ [0, 1), invariant under scaling and order", () => {
    fc.assert(
      fc.property(values, fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (xs, k) => {
        const g = gini(xs);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThan(1);
        expect(g).toBeLessThanOrEqual(1 - 1 / xs.length + 1e-12);
        expect(gini(xs.map((x) => x * k))).toBeCloseTo(g, 9);
        expect(gini(xs.slice().reverse())).toBeCloseTo(g, 12);
      }),
      fcParams(300),
    );
  });

  it("equal values ⇒ Gini 0 and HHI 1/n", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 200 }), (v, n) => {
        const xs = Array.from({ length: n }, () => v);
        expect(gini(xs)).toBeLessThan(1e-12);
        expect(giniPairwise(xs)).toBe(0);
        expect(hhi(xs)).toBeCloseTo(1 / n, 12);
      }),
      fcParams(200),
    );
  });

  it("Lorenz points: (0,0) to (1,1), monotone, convex, below the diagonal; long tail = 1 − top share", () => {
    fc.assert(
      fc.property(values.filter(positive), fc.integer({ min: 1, max: 40 }), (xs, k) => {
        const { p, share } = lorenzPoints(xs, k);
        expect(p).toHaveLength(k + 1);
        expect(share[0]).toBe(0);
        expect(share[k]).toBe(1);
        for (let i = 0; i <= k; i++) expect(share[i]).toBeLessThanOrEqual(p[i] + 1e-12);
        for (let i = 1; i <= k; i++) expect(share[i]).toBeGreaterThanOrEqual(share[i - 1] - 1e-12);
        // Convex: increments never decrease.
        for (let i = 2; i <= k; i++) expect(share[i] - share[i - 1]).toBeGreaterThanOrEqual(share[i - 1] - share[i - 2] - 1e-9);
        const tail = longTailShare(xs, 0.2);
        expect(tail).toBeGreaterThanOrEqual(0);
        expect(tail).toBeLessThanOrEqual(0.8 + 1e-12);
      }),
      fcParams(300),
    );
  });

  it("HHI ∈ [1/n, 1]", () => {
    fc.assert(
      fc.property(values.filter(positive), (xs) => {
        const h = hhi(xs);
        expect(h).toBeGreaterThanOrEqual(1 / xs.length - 1e-12);
        expect(h).toBeLessThanOrEqual(1 + 1e-12);
      }),
      fcParams(300),
    );
  });
});
