/**
 * Params and theory helpers: defaults decode, overrides merge, impossible classes are rejected, the
 * precision ↔ false-positive-rate identity holds, and the quorum/binomial/M/G/1 formulas match direct computation.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MODERATION_DEFAULTS, falsePositiveRate, moderationParams, precisionOf, resolveModerationParams } from "./params.ts";
import { binomialTailAtLeast, blockingSize, classRates, mg1, quorumPassProbability, quorumSize } from "./theory.ts";

describe("moderation params", () => {
  it("defaults decode and are disabled", () => {
    const p = resolveModerationParams();
    expect(p.enabled).toBe(false);
    expect(p).toEqual(MODERATION_DEFAULTS);
  });

  it("a partial section merges over the defaults; arrays are replaced whole", () => {
    const p = resolveModerationParams({
      superDelegates: { fallbackCount: 21 },
      classes: [{ name: "x", share: 1, harmfulRate: 0.1, recall: 0.5, precision: 0.5, latencyS: { dist: "constant", value: 1 } }],
    });
    expect(p.superDelegates.fallbackCount).toBe(21);
    expect(p.superDelegates.quorumRule).toBe("bft");
    expect(p.classes).toHaveLength(1);
  });

  it("rejects unknown fields, an empty class list, zero shares and unattainable precision", () => {
    expect(() => resolveModerationParams({ bogus: 1 })).toThrow(/moderation/);
    expect(() => resolveModerationParams({ classes: [] })).toThrow(/moderation/);
    const cls = { name: "x", share: 0, harmfulRate: 0.1, recall: 0.5, precision: 0.5, latencyS: { dist: "constant", value: 1 } };
    expect(() => resolveModerationParams({ classes: [cls] })).toThrow(/shares sum to zero/);
    // p = 0.9, recall 1, precision 0.1: FPR = 0.9·0.9/(0.1·0.1) = 81 > 1.
    expect(() => resolveModerationParams({ classes: [{ ...cls, share: 1, harmfulRate: 0.9, recall: 1, precision: 0.1 }] })).toThrow(/unattainable/);
  });

  it("documents the default classes' per-SD FPRs", () => {
    const f = MODERATION_DEFAULTS.classes.map((c) => falsePositiveRate(c.recall, c.precision, c.harmfulRate));
    expect(f[0]).toBeCloseTo(0.000773, 5);
    expect(f[1]).toBeCloseTo(0.005185, 5);
    expect(f[2]).toBeCloseTo(0.010884, 5);
  });
});

describe("precision ↔ FPR identity", () => {
  it("FPR = recall·p·(1−precision)/(precision·(1−p)) inverts back to the precision (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (recall, precision, p) => {
          const fpr = falsePositiveRate(recall, precision, p);
          expect(precisionOf(recall, fpr, p)).toBeCloseTo(precision, 9);
          // Directly from the confusion matrix of a population of size 1.
          const tp = recall * p, fp = fpr * (1 - p);
          expect(tp / (tp + fp)).toBeCloseTo(precision, 9);
        },
      ),
    );
  });

  it("edge cases: p = 0 and p = 1 give FPR 0; precision 1 gives FPR 0", () => {
    expect(falsePositiveRate(0.9, 0.5, 0)).toBe(0);
    expect(falsePositiveRate(0.9, 0.5, 1)).toBe(0);
    expect(falsePositiveRate(0.9, 1, 0.2)).toBe(0);
  });
});

describe("quorum theory", () => {
  it("quorum sizes by rule (integer ⌊2n/3⌋+1; fractions tolerate float products)", () => {
    expect([1, 3, 4, 6, 7, 21, 27].map((n) => quorumSize(n, "bft"))).toEqual([1, 3, 3, 5, 5, 15, 19]);
    expect([1, 2, 7, 8].map((n) => quorumSize(n, "majority"))).toEqual([1, 2, 4, 5]);
    expect(quorumSize(7, "unanimous")).toBe(7);
    expect(quorumSize(6, "fraction", 2 / 3)).toBe(4);
    expect(quorumSize(7, "fraction", 0)).toBe(1);
    expect(quorumSize(7, "fraction", 1)).toBe(7);
    expect(blockingSize(7, 5)).toBe(3);
    expect(blockingSize(21, 15)).toBe(7);
  });

  it("binomial tail equals direct summation", () => {
    const direct = (n: number, k: number, p: number) => {
      let s = 0;
      for (let i = k; i <= n; i++) {
        let c = 1;
        for (let j = 0; j < i; j++) c = (c * (n - j)) / (j + 1);
        s += c * p ** i * (1 - p) ** (n - i);
      }
      return s;
    };
    for (const [n, k, p] of [[7, 5, 0.9], [21, 15, 0.7], [10, 0, 0.3], [10, 11, 0.3], [30, 12, 0.45]] as const) {
      expect(binomialTailAtLeast(n, k, p)).toBeCloseTo(direct(n, k, p), 12);
    }
  });

  it("correlation 1 reduces a quorum to one reviewer; colluders ≥ n − q + 1 make publishing impossible", () => {
    expect(quorumPassProbability({ n: 7, q: 5, pBlock: 0.2, correlation: 1 })).toBeCloseTo(0.8, 12);
    expect(quorumPassProbability({ n: 7, q: 5, pBlock: 0.01, correlation: 0.3, blockers: 3 })).toBe(0);
    expect(quorumPassProbability({ n: 7, q: 5, pBlock: 0, correlation: 0.3, blockers: 2 })).toBeCloseTo(1, 12);
  });

  it("a quorum with independent errors beats one reviewer on precision and FPR", () => {
    const c = moderationParams().classes[0];
    const one = classRates(c, 1, 1, 0), seven = classRates(c, 7, 5, 0);
    expect(seven.fprQuorum).toBeLessThan(one.fprQuorum);
    expect(seven.precisionQuorum).toBeGreaterThan(one.precisionQuorum);
    expect(one.precisionQuorum).toBeCloseTo(c.precision, 9);
    expect(one.recallQuorum).toBeCloseTo(c.recall, 9);
  });

  it("M/G/1 (Pollaczek–Khinchine): M/M/1 sojourn 1/(μ−λ), M/D/1 wait ρ/(2μ(1−ρ))", () => {
    expect(mg1({ lambdaPerS: 0.5, serviceMeanS: 1, serviceCv2: 1 }).sojournS).toBeCloseTo(2, 12);
    expect(mg1({ lambdaPerS: 0.5, serviceMeanS: 1, serviceCv2: 0 }).waitS).toBeCloseTo(0.5, 12);
    expect(mg1({ lambdaPerS: 1.5, serviceMeanS: 1, serviceCv2: 0 }).waitS).toBe(Infinity);
  });
});
