/**
 * Nakamoto and Gini coefficients against hand-computed values.
 */
import { describe, expect, it } from "vitest";
import { gini, nakamotoCoefficient, sharesByEntity } from "./decentralization.ts";

describe("Nakamoto coefficient (≥ 1/3)", () => {
  it("21 equal seats: 7 entities are needed", () => {
    expect(nakamotoCoefficient(Array(21).fill(1n))).toBe(7);
  });

  it("a cartel with 5 of 21 seats plus 16 independents: 5 + 1 + 1 ≥ 7 → 3", () => {
    expect(nakamotoCoefficient([5n, ...Array(16).fill(1n)])).toBe(3);
  });

  it("a cartel with 7 seats alone reaches 1/3", () => {
    expect(nakamotoCoefficient([7n, ...Array(14).fill(1n)])).toBe(1);
  });

  it("stake 50, 30, 20: 50 ≥ 100/3 → 1; with a 2/3 threshold: 50 + 30 ≥ 66.7 → 2", () => {
    expect(nakamotoCoefficient([20n, 50n, 30n])).toBe(1);
    expect(nakamotoCoefficient([20n, 50n, 30n], 2n, 3n)).toBe(2);
  });

  it("exact at the boundary: 1 + 1 + 1 of 9 is exactly 1/3", () => {
    expect(nakamotoCoefficient(Array(9).fill(1n))).toBe(3);
  });

  it("empty or zero total → 0", () => {
    expect(nakamotoCoefficient([])).toBe(0);
    expect(nakamotoCoefficient([0n, 0n])).toBe(0);
  });

  it("sums shares by entity", () => {
    expect(sharesByEntity([1n, 2n, 3n, 4n], [7, -1, 7, -1]).sort()).toEqual([4n, 6n]);
  });
});

describe("Gini", () => {
  it("equal holdings → 0", () => {
    expect(gini([5, 5, 5, 5])).toBe(0);
  });

  it("one of n holds everything → (n − 1)/n", () => {
    expect(gini([0, 0, 0, 10])).toBeCloseTo(0.75, 12);
  });

  it("1, 2, 3, 4: Σ|xi − xj| = 20 over 2·16·2.5 = 0.25", () => {
    expect(gini([4, 1, 3, 2])).toBeCloseTo(0.25, 12);
  });

  it("agrees with the pairwise definition", () => {
    const x = [3, 17, 0.5, 9, 9, 120, 4];
    let pair = 0;
    for (const a of x) for (const b of x) pair += Math.abs(a - b);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    expect(gini(x)).toBeCloseTo(pair / (2 * x.length * x.length * mean), 12);
  });
});
