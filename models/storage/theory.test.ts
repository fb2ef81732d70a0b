/**
 * Tests for theory.ts against independent reference values.
 *
 * Method: the DOMAIN.md §a reference points, plus values computed for this file with scipy 1.17
 * (`stats.hypergeom`, `stats.binom`, `stats.poisson`, `special.gammaln`, `stats.beta.ppf`, `optimize.brentq`)
 * and, for the Markov chain, mpmath at 60 digits (numpy's double-precision LU solve is itself off by 1% on
 * the stiff cases, which is why theory.ts uses GTH elimination). Constants are pasted, not recomputed here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  absorptionTimes,
  betaQuantile,
  binomialFailureFractionAt,
  binomialLossProbability,
  clopperPearsonInterval,
  hypergeometricLossProbability,
  hypergeometricPmf,
  largestToleratedFailures,
  lazyRepairLossRate,
  lnGamma,
  logChoose,
  logSumExp,
  mdsFailureTolerance,
  mttdlLazyRepair,
  normalQuantile,
  poissonDurability,
  poissonLossProbability,
  probabilityAnyLoss,
  regularizedIncompleteBeta,
  repairBandwidthRatio,
  wilsonInterval,
} from "./theory.ts";

/** |actual − expected| ≤ rel·|expected|. */
function expectRelClose(actual: number, expected: number, rel: number): void {
  const error = Math.abs(actual - expected);
  if (!(error <= rel * Math.abs(expected))) {
    throw new Error(`expected ${expected}, got ${actual} (relative error ${error / Math.abs(expected)} > ${rel})`);
  }
}

describe("special functions", () => {
  it("lnGamma and logChoose match scipy", () => {
    expectRelClose(lnGamma(0.5), 0.5723649429247, 1e-14);
    expectRelClose(lnGamma(101), 363.73937555556347, 1e-14);
    expectRelClose(lnGamma(1e6), 12815504.569147611, 1e-14);
    expectRelClose(lnGamma(0.01), 4.599479878042022, 1e-13);
    expect(Math.abs(lnGamma(1))).toBeLessThan(1e-15);
    expect(Math.abs(lnGamma(2))).toBeLessThan(1e-15);
    expectRelClose(Math.exp(logChoose(10, 3)), 120, 1e-13);
    expect(logChoose(5, 6)).toBe(-Infinity);
    expect(() => lnGamma(0)).toThrow(RangeError);
  });

  it("logSumExp does not overflow", () => {
    expectRelClose(logSumExp([1000, 1000]), 1000 + Math.LN2, 1e-15);
    expect(logSumExp([])).toBe(-Infinity);
    expectRelClose(logSumExp([-1e4, -1e4 + Math.log(3)]), -1e4 + Math.log(4), 1e-15);
  });

  it("normalQuantile, incomplete beta and beta quantile match scipy", () => {
    expectRelClose(normalQuantile(0.975), 1.959963984540054, 1e-14);
    expectRelClose(normalQuantile(1e-10), -6.361340902404056, 1e-14);
    expectRelClose(normalQuantile(0.3), -0.5244005127080409, 1e-14);
    expectRelClose(normalQuantile(1 - 1e-12), 7.0344869100478356, 1e-6); // 1 − 1e−12 is itself rounded
    expectRelClose(regularizedIncompleteBeta(2.5, 3.5, 0.3), 0.29675298929566646, 1e-13);
    expectRelClose(regularizedIncompleteBeta(100, 900, 0.12), 0.9785109992065261, 1e-12);
    expectRelClose(regularizedIncompleteBeta(0.5, 0.5, 0.01), 0.06376856085851985, 1e-13);
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), (p, a, b) => {
        expectRelClose(regularizedIncompleteBeta(a, b, betaQuantile(p, a, b)), p, 1e-9);
      }),
      { numRuns: 100 },
    );
  });
});

describe("loss probability of one segment (DOMAIN.md §a reference table, f = 0.2957, N = 1000, F = 296)", () => {
  const table: [number, number, number][] = [
    [3, 10, 0.0013663474618922046], // DOMAIN: 1.4e−3
    [10, 30, 4.0562756792577504e-6], // 4.1e−6
    [20, 40, 0.00164095050204099], // 1.6e−3
    [29, 80, 7.909813231278575e-12], // 7.9e−12
    [29, 110, 3.470502716834911e-25], // 3.5e−25
    [1, 3, 0.02574927633043865], // 3× replication: 2.6e−2
  ];
  for (const [k, n, expected] of table) {
    it(`hypergeometric ${k}/${n} ≈ ${expected.toExponential(2)}`, () => {
      expectRelClose(hypergeometricLossProbability(k, n, 1000, 296), expected, 1e-10);
    });
  }

  it("binomial (29,80) at f = 0.2957 ≈ 6.2e−11; (81,115) ≈ 0.45", () => {
    expectRelClose(binomialLossProbability(29, 80, 0.2957), 6.202036786568157e-11, 1e-10);
    expectRelClose(binomialLossProbability(81, 115, 0.2957), 0.45430564024523, 1e-10);
    expect(binomialLossProbability(29, 80, 0)).toBe(0);
    expect(binomialLossProbability(29, 80, 1)).toBe(1);
  });

  it("binomial f at which P_loss = 1e−9 (the table's last column)", () => {
    const cases: [number, number, number][] = [
      [3, 10, 0.04709668276153169],
      [10, 30, 0.18481591842384984],
      [20, 40, 0.12332933088945418],
      [29, 80, 0.3169510493250033],
      [29, 110, 0.45933642385171863],
      [1, 3, 0.001],
    ];
    for (const [k, n, f] of cases) expectRelClose(binomialFailureFractionAt(k, n, 1e-9), f, 1e-9);
  });

  it("reading 2 and 3 of '29.57%': triples that reach ε at f ≈ 0.2957, and (29,80)'s crossings", () => {
    const cases: [number, number, number, number][] = [
      [30, 87, 1e-12, 0.2957086342329352],
      [26, 82, 1e-13, 0.2957486588571737],
      [54, 121, 1e-9, 0.29573113594314804],
      [19, 52, 1e-7, 0.2956529994918973],
      [11, 39, 1e-8, 0.2957103095756395],
      [29, 80, 1e-10, 0.2992050070911734],
      [29, 80, 1e-11, 0.2828204635318854],
    ];
    for (const [k, n, eps, f] of cases) expectRelClose(binomialFailureFractionAt(k, n, eps), f, 1e-9);
  });

  it("reading 1: the deterministic MDS tolerances 34/115 and 21/71", () => {
    expect(mdsFailureTolerance(81, 115)).toBeCloseTo(0.29565, 5);
    expect(Math.round(mdsFailureTolerance(81, 115) * 10_000) / 100).toBe(29.57);
    expect(Math.floor(mdsFailureTolerance(50, 71) * 10_000) / 100).toBe(29.57);
    // They are the smallest such codes: no n below 115 rounds, and none below 71 truncates, to 29.57 %.
    for (let n = 2; n < 115; n++) for (let k = 1; k < n; k++) expect(Math.round(((n - k) / n) * 10_000)).not.toBe(2957);
    for (let n = 2; n < 71; n++) for (let k = 1; k < n; k++) expect(Math.floor(((n - k) / n) * 10_000)).not.toBe(2957);
  });

  it("hypergeometric pmf sums to 1 and the tail matches a direct sum", () => {
    let total = 0;
    for (let x = 0; x <= 80; x++) total += hypergeometricPmf(x, 1000, 296, 80);
    expectRelClose(total, 1, 1e-11);
    let tail = 0;
    for (let x = 8; x <= 10; x++) tail += hypergeometricPmf(x, 100, 30, 10);
    expectRelClose(hypergeometricLossProbability(3, 10, 100, 30), tail, 1e-12);
    expect(hypergeometricLossProbability(29, 80, 1000, 51)).toBe(0);
    expect(() => hypergeometricLossProbability(29, 80, 1000, 1001)).toThrow(RangeError);
  });

  it("Storj's Poisson durability: (20,40) at p = 0.1 is 99.999999807 %, 3× replication 99.64 %", () => {
    expectRelClose(poissonDurability(20, 40, 0.1), 0.9999999980769415, 1e-14);
    expectRelClose(poissonLossProbability(20, 40, 0.1), 1.9230584594146956e-9, 1e-10);
    expectRelClose(poissonDurability(1, 3, 0.1), 0.9964005068169105, 1e-14);
    expect(poissonLossProbability(20, 40, 0)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 60 }), fc.double({ min: 0.001, max: 2, noNaN: true }), (k, extra, p) => {
        const n = k + extra;
        expect(Math.abs(poissonDurability(k, n, p) + poissonLossProbability(k, n, p) - 1)).toBeLessThan(1e-12);
      }),
      { numRuns: 100 },
    );
  });
});

describe("system-wide loss", () => {
  it("probabilityAnyLoss keeps its digits for tiny p and huge M", () => {
    // 1 − (1 − 1e−15)^1e6 = 1e−9 − 5e−19 + …; the naive formula gets only ~7 digits right.
    expectRelClose(probabilityAnyLoss(1e-15, 1e6), 1e-9 - 5e-19, 1e-14);
    expect(probabilityAnyLoss(0, 1e9)).toBe(0);
    expect(probabilityAnyLoss(1, 3)).toBe(1);
    expectRelClose(probabilityAnyLoss(0.5, 3), 0.875, 1e-15);
  });

  it("largest tolerated F: (29,80) on 1,000 nodes", () => {
    // scipy: hypergeom.sf(51, 1000, 313, 80) = 9.66e−11 ≤ 1e−10 < hypergeom.sf(51, 1000, 314, 80) = 1.11e−10.
    const one = largestToleratedFailures({ k: 29, n: 80, nodesN: 1000, segmentsM: 1, epsilon: 1e-10 });
    expect(one.failedNodesMax).toBe(313);
    expect(one.failedFraction).toBe(0.313);
    expectRelClose(one.probabilityAnyLoss, 9.664568973934526e-11, 1e-9);
    // A million segments and ε = 1e−3: scipy gives 9.66e−4 at F = 330 and 1.10e−3 at 331.
    const many = largestToleratedFailures({ k: 29, n: 80, nodesN: 1000, segmentsM: 1e6, epsilon: 1e-3 });
    expect(many.failedNodesMax).toBe(330);
    // Nothing is ever lost while F ≤ n − k, and everything may be when ε is generous.
    expect(largestToleratedFailures({ k: 3, n: 10, nodesN: 10, segmentsM: 1, epsilon: 1e-300 }).failedNodesMax).toBe(7);
    expect(largestToleratedFailures({ k: 3, n: 10, nodesN: 50, segmentsM: 1, epsilon: 1 }).failedNodesMax).toBe(50);
  });
});

describe("repair models", () => {
  it("repair-bandwidth ratio B_R reproduces the Storj decision table (10,000 nodes)", () => {
    const rows: [number, number, number, number, number][] = [
      // MTTF (months), k, n, m, B_R as printed
      [1, 20, 40, 35, 9.36],
      [6, 20, 40, 30, 0.87],
      [12, 20, 40, 25, 0.31],
      [1, 30, 60, 35, 3.4],
      [6, 30, 70, 40, 0.6],
      [12, 30, 80, 45, 0.31],
      [1, 40, 80, 60, 5.21],
      [6, 40, 120, 50, 0.52],
      [12, 40, 120, 45, 0.24],
    ];
    for (const [mttf, k, n, m, printed] of rows) {
      expect(Math.abs(repairBandwidthRatio({ k, m, n, alpha: 1 / mttf }) - printed)).toBeLessThan(0.006);
    }
  });

  it("the Giroire loss rate evaluates the formula as restated", () => {
    const p = { k: 20, m: 30, n: 40, alpha: 1 / 6, gamma: 100 };
    let factorialRatio = 1;
    for (let i = 20; i <= 30; i++) factorialRatio *= i; // 30!/19!
    const direct = (1 / (31 * Math.log(40 / 30))) * factorialRatio * (1 / 600) ** 12;
    expectRelClose(lazyRepairLossRate(p), direct, 1e-12);
  });

  it("MTTDL of the lazy-repair chain matches mpmath (60 digits), including stiff cases", () => {
    const cases: [number, number, number, number, number, number][] = [
      [20, 30, 40, 1 / 6, 100, 237230872808972.97],
      [20, 30, 40, 1 / 6, 10, 508078.88698767746],
      [3, 4, 6, 1, 5, 1.9777777777777778],
      [30, 45, 80, 1 / 12, 100, 5.7558657159377107e23],
      [29, 35, 80, 1 / 12, 1000, 31852261170882912],
    ];
    for (const [k, m, n, alpha, gamma, expected] of cases) expectRelClose(mttdlLazyRepair({ k, m, n, alpha, gamma }), expected, 1e-11);
  });

  it("MTTDL agrees with first-step analysis: cycle time / P(loss per cycle) when α ≪ γ", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), (k, buffer, extra) => {
        const m = k + buffer;
        const n = m + extra;
        const alpha = 1;
        const gamma = 1e6;
        // Each cycle runs n → m−1 by failures, then either repairs or loses all m − k shards first.
        let cycle = 0;
        for (let i = m; i <= n; i++) cycle += 1 / (i * alpha);
        let lossPerCycle = 1;
        for (let i = k; i < m; i++) lossPerCycle *= (i * alpha) / (i * alpha + gamma);
        expectRelClose(mttdlLazyRepair({ k, m, n, alpha, gamma }), cycle / lossPerCycle, 1e-3);
      }),
      { numRuns: 60 },
    );
  });

  it("without repair, MTTDL is the sum of the sojourn times Σ_{i=k}^{n} 1/(iα)", () => {
    let expected = 0;
    for (let i = 29; i <= 80; i++) expected += 1 / (i * 0.5);
    expectRelClose(mttdlLazyRepair({ k: 29, m: 29, n: 80, alpha: 0.5, gamma: 0 }), expected, 1e-13);
  });

  it("absorptionTimes solves a small chain and rejects a trapped state", () => {
    // 0 → 1 at rate 2, 1 → absorbed at rate 1: τ1 = 1, τ0 = 1/2 + 1.
    const tau = absorptionTimes(new Float64Array([0, 2, 0, 0]), new Float64Array([0, 1]));
    expectRelClose(tau[0], 1.5, 1e-15);
    expectRelClose(tau[1], 1, 1e-15);
    expect(() => absorptionTimes(new Float64Array([0, 1, 1, 0]), new Float64Array([0, 0]))).toThrow(RangeError);
  });
});

describe("confidence intervals for simulated frequencies (vs scipy)", () => {
  const cases: [number, number, number, [number, number], [number, number]][] = [
    // successes, trials, confidence, Clopper–Pearson, Wilson
    [0, 10, 0.95, [0, 0.3084971078187607], [0, 0.2775327998628892]],
    [5, 10, 0.95, [0.18708602844739855, 0.8129139715526015], [0.236593090512564, 0.7634069094874361]],
    [10, 10, 0.95, [0.6915028921812392, 1], [0.7224672001371107, 1]],
    [1, 1000, 0.95, [2.5317487491294065e-5, 0.005558924279826672], [0.00017654637062607809, 0.0056425585979579355]],
    [3, 100000, 0.99, [3.3786619663850127e-6, 0.00010977039641065204], [7.577617147522687e-6, 0.00011876296629561287]],
    [0, 1000000, 0.95, [0, 3.688872650206488e-6], [0, 3.841444063944942e-6]],
    [250, 1000, 0.9, [0.2275434796716092, 0.2735536313237202], [0.2281717689888926, 0.27317735263098775]],
  ];
  for (const [x, n, c, cp, wilson] of cases) {
    it(`${x}/${n} at ${c}`, () => {
      const a = clopperPearsonInterval(x, n, c);
      const b = wilsonInterval(x, n, c);
      for (const [got, want] of [[a.lower, cp[0]], [a.upper, cp[1]], [b.lower, wilson[0]], [b.upper, wilson[1]]]) {
        if (want === 0 || want === 1) expect(got).toBe(want);
        else expectRelClose(got, want, 1e-9);
      }
    });
  }

  it("rejects impossible counts", () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => clopperPearsonInterval(1, 0)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(RangeError);
  });
});
