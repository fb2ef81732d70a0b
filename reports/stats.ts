/**
 * reports/stats.ts — summary statistics over several runs (seeds) of one scenario.
 *
 * Purpose: a multi-run report states, per metric, the mean over seeds, the sample standard deviation and a 95 %
 * confidence interval for the mean, so a reader sees how much a number moves from seed to seed.
 *
 * Method
 * - Mean and sample standard deviation (n − 1) come from `simple-statistics`.
 * - The interval is Student's t: mean ± t(0.975, n − 1) · sd / √n. `simple-statistics` has no inverse t CDF, so
 *   `tQuantile` solves F(t) = p by bisection on the t CDF, which is written with the regularised incomplete
 *   beta function (continued fraction, modified Lentz; Numerical Recipes §6.4) and `gammaln` from
 *   `simple-statistics`. Bisection on a monotone function with a fixed number of steps is exact to ~1e-12 and
 *   gives the same bits on every machine running the same Node.
 * - Non-finite values (a metric that was NaN in a run) are left out of that metric's statistics and counted.
 * Floats are fine here (STYLE.md: floats belong in reports/).
 */
import { gammaln, mean as ssMean, sampleStandardDeviation } from "simple-statistics";

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const lnFront = gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c; if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d; if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c; if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  return h; // 300 terms is far beyond what df ≥ 1 needs; return the best value rather than fail a report
}

/** Student t CDF with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`tCdf: df must be > 0, got ${df}`);
  if (t === 0) return 0.5;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (p in (0, 1)). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`tQuantile: df must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  // Bracket: t(0.9995, 1) ≈ 636.6; widen until F(hi) ≥ p, then bisect a fixed number of times.
  let lo = 0, hi = 1;
  while (tCdf(hi, df) < p) { lo = hi; hi *= 2; if (hi > 1e12) return Infinity; }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Summary {
  /** Finite values used. */
  n: number;
  /** Values left out because they were NaN or infinite. */
  nonFinite: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN when n < 2. */
  sd: number;
  /** 95 % confidence interval for the mean (Student t); NaN when n < 2. */
  ciLow: number;
  ciHigh: number;
  /** Half-width of the interval. */
  ciHalf: number;
  min: number;
  max: number;
}

/** Mean, sample sd, Student-t confidence interval (default 95 %), min and max of `values`. */
export function summarize(values: readonly number[], confidence = 0.95): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  const nonFinite = values.length - n;
  if (n === 0) return { n, nonFinite, mean: NaN, sd: NaN, ciLow: NaN, ciHigh: NaN, ciHalf: NaN, min: NaN, max: NaN };
  const m = ssMean(finite);
  let min = finite[0], max = finite[0];
  for (const v of finite) { if (v < min) min = v; if (v > max) max = v; }
  if (n < 2) return { n, nonFinite, mean: m, sd: NaN, ciLow: NaN, ciHigh: NaN, ciHalf: NaN, min, max };
  const sd = sampleStandardDeviation(finite);
  const half = tQuantile(1 - (1 - confidence) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, nonFinite, mean: m, sd, ciLow: m - half, ciHigh: m + half, ciHalf: half, min, max };
}
