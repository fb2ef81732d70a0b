/**
 * Random variates for the models, all drawn from a kernel `Prng` passed in (never a global source).
 *
 * Method notes (why each algorithm):
 * - exponential, Weibull, Pareto: inversion of the CDF — exact, one uniform each.
 * - normal: Marsaglia's polar method; the second variate of each pair is discarded so a draw's result never
 *   depends on hidden state carried between calls (simpler determinism reasoning at a small cost).
 * - Poisson: Knuth's multiplication method for λ < 10, Hörmann's PTRS transformed rejection otherwise
 *   (W. Hörmann, "The transformed rejection method for generating Poisson random variables", 1993).
 * - binomial: inversion for n·min(p,1−p) < 10, Hörmann's BTRS otherwise ("The generation of binomial random
 *   variates", 1993); both exact.
 * - Zipf: inverse-CDF table with binary search (`ZipfSampler`), built once per (n, s).
 * - weighted choice: Vose's alias method (`AliasTable`) for repeated draws; linear scan for one-offs.
 */
import type { Prng } from "./prng.ts";

export function uniform(rng: Prng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.float();
}

/** Exponential with the given mean (mean = 1/rate). */
export function exponential(rng: Prng, mean: number): number {
  return -mean * Math.log(rng.floatOpen());
}

export function normal(rng: Prng, mean = 0, sd = 1): number {
  for (;;) {
    const u = 2 * rng.float() - 1;
    const v = 2 * rng.float() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return mean + sd * u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Lognormal: exp(N(mu, sigma)). */
export function lognormal(rng: Prng, mu: number, sigma: number): number {
  return Math.exp(normal(rng, mu, sigma));
}

/** Lognormal parameterised by its own mean and coefficient of variation (convenient for scenario data). */
export function lognormalMeanCv(rng: Prng, mean: number, cv: number): number {
  const sigma2 = Math.log(1 + cv * cv);
  return lognormal(rng, Math.log(mean) - sigma2 / 2, Math.sqrt(sigma2));
}

/** Weibull with shape k and scale λ: λ(−ln U)^(1/k). */
export function weibull(rng: Prng, shape: number, scale: number): number {
  return scale * Math.pow(-Math.log(rng.floatOpen()), 1 / shape);
}

/** Pareto type I with minimum xm and tail index α: xm / U^(1/α). */
export function pareto(rng: Prng, xm: number, alpha: number): number {
  return xm / Math.pow(rng.floatOpen(), 1 / alpha);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error < 1e-14). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

export function poisson(rng: Prng, lambda: number): number {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`poisson: bad lambda ${lambda}`);
  if (lambda === 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let prod = rng.float();
    while (prod > limit) {
      k++;
      prod *= rng.float();
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.float() - 0.5;
    const v = rng.float();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logGamma(k + 1)) return k;
  }
}

export function binomial(rng: Prng, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomial: bad n ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: bad p ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  const q = 1 - p;
  if (n * p < 10) {
    // Inversion: walk the pmf from 0.
    const s = p / q;
    const a = (n + 1) * s;
    let r = Math.pow(q, n);
    let u = rng.float();
    let x = 0;
    for (;;) {
      if (u < r) return x;
      u -= r;
      x++;
      if (x > n) return n; // rounding residue
      r *= a / x - s;
    }
  }
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = logGamma(m + 1) + logGamma(n - m + 1);
  for (;;) {
    const u = rng.float() - 0.5;
    let v = rng.float();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    if (v <= h - logGamma(k + 1) - logGamma(n - k + 1) + (k - m) * lpq) return k;
  }
}

/** Zipf over ranks 1..n with exponent s: P(k) ∝ k^−s. Build once, draw in O(log n). */
export class ZipfSampler {
  readonly n: number;
  readonly s: number;
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: bad n ${n}`);
    if (!(s >= 0)) throw new RangeError(`zipf: bad s ${s}`);
    this.n = n;
    this.s = s;
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let k = 1; k <= n; k++) {
      acc += Math.pow(k, -s);
      this.cdf[k - 1] = acc;
    }
    for (let i = 0; i < n; i++) this.cdf[i] /= acc;
    this.cdf[n - 1] = 1;
  }

  /** Probability of rank k (1-based). */
  pmf(k: number): number {
    return k === 1 ? this.cdf[0] : this.cdf[k - 1] - this.cdf[k - 2];
  }

  /** A rank in 1..n. */
  sample(rng: Prng): number {
    const u = rng.float();
    let lo = 0, hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }
}

/** Vose's alias table: O(n) build, O(1) weighted draws of an index. */
export class AliasTable {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  readonly size: number;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new RangeError("alias table: no weights");
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`alias table: bad weight ${w} at ${i}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError("alias table: weights sum to zero");
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small = new Int32Array(n), large = new Int32Array(n);
    let ns = 0, nl = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      if (scaled[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns], l = large[--nl];
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    while (nl > 0) this.prob[large[--nl]] = 1;
    while (ns > 0) this.prob[small[--ns]] = 1;
  }

  sample(rng: Prng): number {
    const i = rng.int(this.size);
    return rng.float() < this.prob[i] ? i : this.alias[i];
  }
}

/** One weighted draw of an index by linear scan (for one-off choices). */
export function weightedIndex(rng: Prng, weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  if (!(total > 0)) throw new RangeError("weightedIndex: weights sum to zero");
  let u = rng.float() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  // Float residue: the last index with positive weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return weights.length - 1;
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(rng: Prng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/** k distinct indices from [0, n), in draw order (partial Fisher–Yates; O(k) memory via a sparse swap map). */
export function sampleIndices(rng: Prng, n: number, k: number): number[] {
  if (k > n) throw new RangeError(`sampleIndices: k=${k} > n=${n}`);
  const swapped = new Map<number, number>();
  const out: number[] = new Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    const vi = swapped.get(i) ?? i;
    swapped.set(j, vi);
    out[i] = vj;
  }
  return out;
}

/** Draw from a distribution described as data (used by scenario sections such as churn session lengths). */
export type DistSpec =
  | { dist: "constant"; value: number }
  | { dist: "uniform"; min: number; max: number }
  | { dist: "exponential"; mean: number }
  | { dist: "lognormal"; mean: number; cv: number }
  | { dist: "weibull"; shape: number; scale: number }
  | { dist: "pareto"; min: number; alpha: number };

export function draw(rng: Prng, d: DistSpec): number {
  switch (d.dist) {
    case "constant": return d.value;
    case "uniform": return uniform(rng, d.min, d.max);
    case "exponential": return exponential(rng, d.mean);
    case "lognormal": return lognormalMeanCv(rng, d.mean, d.cv);
    case "weibull": return weibull(rng, d.shape, d.scale);
    case "pareto": return pareto(rng, d.min, d.alpha);
  }
}

/** Theoretical mean of a DistSpec (for reports and tests). */
export function meanOf(d: DistSpec): number {
  switch (d.dist) {
    case "constant": return d.value;
    case "uniform": return (d.min + d.max) / 2;
    case "exponential": return d.mean;
    case "lognormal": return d.mean;
    case "weibull": return d.scale * Math.exp(logGamma(1 + 1 / d.shape));
    case "pareto": return d.alpha > 1 ? (d.alpha * d.min) / (d.alpha - 1) : Infinity;
  }
}
