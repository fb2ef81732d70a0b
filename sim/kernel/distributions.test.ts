/**
 * Distribution moments against theory. Each sample mean (and variance where finite) must lie within 5 standard
 * errors of the exact value; with fixed seeds the test is deterministic, and 5 SE keeps it meaningful (a wrong
 * parameterisation is off by far more) without being fragile.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "./prng.ts";
import { AliasTable, ZipfSampler, binomial, exponential, logGamma, lognormal, normal, pareto, poisson, sampleIndices, shuffle, uniform, weibull, weightedIndex } from "./distributions.ts";

const N = 200_000;

function moments(f: () => number, n = N) {
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = f(); s += x; s2 += x * x; }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

function expectMean(f: () => number, mean: number, variance: number, n = N) {
  const m = moments(f, n);
  const se = Math.sqrt(variance / n);
  expect(Math.abs(m.mean - mean)).toBeLessThan(5 * se);
  return m;
}

describe("distributions", () => {
  it("uniform", () => { const r = new Prng(1, "u"); expectMean(() => uniform(r, 2, 6), 4, 16 / 12); });
  it("exponential", () => { const r = new Prng(1, "e"); const m = expectMean(() => exponential(r, 3), 3, 9); expect(m.variance).toBeCloseTo(9, 0); });
  it("normal", () => { const r = new Prng(1, "n"); const m = expectMean(() => normal(r, 10, 2), 10, 4); expect(Math.abs(m.variance - 4)).toBeLessThan(0.1); });
  it("lognormal", () => {
    const r = new Prng(1, "ln");
    const mu = 0.5, s = 0.4;
    const mean = Math.exp(mu + s * s / 2), v = (Math.exp(s * s) - 1) * Math.exp(2 * mu + s * s);
    expectMean(() => lognormal(r, mu, s), mean, v);
  });
  it("weibull", () => {
    const r = new Prng(1, "w");
    const k = 1.5, l = 2;
    const mean = l * Math.exp(logGamma(1 + 1 / k));
    const v = l * l * (Math.exp(logGamma(1 + 2 / k)) - Math.exp(2 * logGamma(1 + 1 / k)));
    expectMean(() => weibull(r, k, l), mean, v);
  });
  it("pareto", () => {
    const r = new Prng(1, "p");
    const xm = 1, a = 5; // finite variance
    expectMean(() => pareto(r, xm, a), a * xm / (a - 1), xm * xm * a / ((a - 1) ** 2 * (a - 2)));
  });
  it("poisson, small and large λ", () => {
    for (const lam of [0.5, 4, 25, 1000]) {
      const r = new Prng(1, `poi/${lam}`);
      const m = expectMean(() => poisson(r, lam), lam, lam);
      expect(Math.abs(m.variance - lam) / lam).toBeLessThan(0.03);
    }
  });
  it("binomial, inversion and BTRS", () => {
    for (const [n, p] of [[10, 0.3], [50, 0.1], [1000, 0.4], [100000, 0.7], [20, 0.99]] as const) {
      const r = new Prng(1, `bin/${n}/${p}`);
      const m = expectMean(() => binomial(r, n, p), n * p, n * p * (1 - p));
      expect(Math.abs(m.variance - n * p * (1 - p)) / (n * p * (1 - p))).toBeLessThan(0.03);
    }
    const r = new Prng(2, "bin/range");
    for (let i = 0; i < 1000; i++) { const x = binomial(r, 30, 0.5); expect(x >= 0 && x <= 30 && Number.isInteger(x)).toBe(true); }
  });
  it("zipf matches its pmf", () => {
    const z = new ZipfSampler(100, 1.1);
    const r = new Prng(1, "zipf");
    const counts = new Array(101).fill(0);
    for (let i = 0; i < N; i++) counts[z.sample(r)]++;
    for (const k of [1, 2, 5, 50]) {
      const p = z.pmf(k);
      expect(Math.abs(counts[k] / N - p)).toBeLessThan(5 * Math.sqrt(p * (1 - p) / N));
    }
  });
  it("alias table and weighted index match weights", () => {
    const w = [1, 0, 3, 6];
    const t = new AliasTable(w);
    const r = new Prng(1, "alias");
    const c = [0, 0, 0, 0], c2 = [0, 0, 0, 0];
    for (let i = 0; i < N; i++) { c[t.sample(r)]++; c2[weightedIndex(r, w)]++; }
    for (let i = 0; i < 4; i++) {
      const p = w[i] / 10;
      const tol = 5 * Math.sqrt(p * (1 - p) / N) + 1e-12;
      expect(Math.abs(c[i] / N - p)).toBeLessThanOrEqual(tol);
      expect(Math.abs(c2[i] / N - p)).toBeLessThanOrEqual(tol);
    }
  });
  it("shuffle and sampleIndices are permutations / distinct", () => {
    const r = new Prng(1, "shuffle");
    const a = shuffle(r, Array.from({ length: 100 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const s = sampleIndices(r, 1000, 50);
    expect(new Set(s).size).toBe(50);
    expect(s.every((x) => x >= 0 && x < 1000)).toBe(true);
    // Each position of a shuffle is uniform: first element of 4-element shuffles.
    const first = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) first[shuffle(r, [0, 1, 2, 3])[0]]++;
    for (const f of first) expect(Math.abs(f / 40_000 - 0.25)).toBeLessThan(5 * Math.sqrt(0.25 * 0.75 / 40_000));
  });
  it("logGamma matches factorials", () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
  });
});
