/**
 * Closed-form durability theory for erasure-coded storage (DOMAIN.md §a), to check simulated runs against.
 *
 * Purpose: the numbers a durability run must agree with — loss probabilities for a segment when a fraction
 * of nodes is down (binomial, hypergeometric, Storj's Poisson), the chance that any of M segments is lost,
 * the largest failed fraction that keeps that chance under ε, Giroire et al.'s lazy-repair loss rate and
 * repair bandwidth, the object Markov chain's mean time to data loss, and confidence intervals for
 * simulated frequencies.
 *
 * Method: everything that multiplies big binomial coefficients works in log space (log-gamma, log-sum-exp),
 * so C(1000, 80)-sized terms and 1e−25 tails are exact to double precision instead of overflowing or
 * cancelling. Tails are summed directly over the lost side (never as 1 − CDF), and "any of M lost" uses
 * log1p/expm1, so p = 1e−15 with M = 1e6 keeps its digits. The Markov chain is solved with a
 * Grassmann–Taksar–Heyman-style elimination of the fundamental-matrix system: every step adds positive
 * quantities, so an MTTDL of 1e30 repair times comes out with full relative precision where plain Gaussian
 * elimination would subtract nearly equal numbers. Pure functions of their arguments; no randomness.
 */

// ---------------------------------------------------------------------------------------------------------
// Special functions

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e−15). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x); // reflection
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln C(n, k) for integers 0 ≤ k ≤ n; −∞ outside that range (the coefficient is 0). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (k === 0 || k === n) return 0;
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
}

/** ln Σ exp(terms), without overflow or underflow. */
export function logSumExp(terms: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < terms.length; i++) if (terms[i] > max) max = terms[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < terms.length; i++) sum += Math.exp(terms[i] - max);
  return max + Math.log(sum);
}

// ---------------------------------------------------------------------------------------------------------
// Loss probability of one segment

/**
 * Deterministic MDS tolerance (n − k)/n: the fraction of a segment's holders that may fail in the worst case.
 * It bounds the fraction of *all* nodes an adversary may take down only when every segment spans all N nodes
 * (n = N); with n < N, taking the n − k + 1 holders of one segment destroys it (DOMAIN.md §a).
 */
export function mdsFailureTolerance(k: number, n: number): number {
  checkCode(k, n);
  return (n - k) / n;
}

/** P[X = x] for X ~ Hypergeometric(population N, F marked, n drawn): C(F,x)·C(N−F,n−x)/C(N,n). */
export function hypergeometricPmf(x: number, populationN: number, markedF: number, drawnN: number): number {
  checkCounts(populationN, markedF, drawnN);
  return Math.exp(logChoose(markedF, x) + logChoose(populationN - markedF, drawnN - x) - logChoose(populationN, drawnN));
}

/**
 * P[segment lost] = P[X > n − k] when exactly F of N nodes have failed and the n holders are n distinct nodes
 * chosen uniformly (random placement): the hypergeometric tail.
 */
export function hypergeometricLossProbability(k: number, n: number, nodesN: number, failedF: number): number {
  checkCode(k, n);
  checkCounts(nodesN, failedF, n);
  const from = n - k + 1;
  const to = Math.min(n, failedF);
  if (from > to) return 0;
  const logTotal = logChoose(nodesN, n);
  const terms: number[] = [];
  for (let i = from; i <= to; i++) terms.push(logChoose(failedF, i) + logChoose(nodesN - failedF, n - i) - logTotal);
  return Math.min(1, Math.exp(logSumExp(terms)));
}

/** P[segment lost] = P[X > n − k] for X ~ Binomial(n, f): each holder fails independently with probability f. */
export function binomialLossProbability(k: number, n: number, f: number): number {
  checkCode(k, n);
  if (!(f >= 0 && f <= 1)) throw new RangeError(`binomialLossProbability: f must be in [0, 1], got ${f}`);
  if (f === 0) return 0;
  if (f === 1) return 1;
  const logF = Math.log(f);
  const log1mF = Math.log1p(-f);
  const terms: number[] = [];
  for (let i = n - k + 1; i <= n; i++) terms.push(logChoose(n, i) + i * logF + (n - i) * log1mF);
  return Math.min(1, Math.exp(logSumExp(terms)));
}

/**
 * Storj's churn model (storjv3.tex §3.4): shards lost per period ~ Poisson(λ = p·n); the segment is lost when
 * more than n − k are. Returns the loss probability, summed over the upper tail directly.
 */
export function poissonLossProbability(k: number, n: number, churnP: number): number {
  checkCode(k, n);
  const lambda = checkChurn(churnP) * n;
  if (lambda === 0) return 0;
  const logLambda = Math.log(lambda);
  const terms: number[] = [];
  // Terms rise until i ≈ λ and then fall faster than geometrically: stop once past the mode and e^−40 below
  // the largest term (the rest of the series is then < 1e−17 relative).
  let largest = -Infinity;
  for (let i = n - k + 1; ; i++) {
    const t = -lambda + i * logLambda - lnGamma(i + 1);
    terms.push(t);
    largest = Math.max(largest, t);
    if (i > lambda && t < largest - 40) break;
  }
  return Math.min(1, Math.exp(logSumExp(terms)));
}

/** Storj's durability P(D) = e^{−λ} Σ_{i=0}^{n−k} λ^i / i!, λ = p·n, as the storjv3 paper computes it. */
export function poissonDurability(k: number, n: number, churnP: number): number {
  checkCode(k, n);
  const lambda = checkChurn(churnP) * n;
  if (lambda === 0) return 1;
  const logLambda = Math.log(lambda);
  const terms: number[] = [];
  for (let i = 0; i <= n - k; i++) terms.push(-lambda + i * logLambda - lnGamma(i + 1));
  return Math.min(1, Math.exp(logSumExp(terms)));
}

// ---------------------------------------------------------------------------------------------------------
// System-wide loss

/**
 * P(at least one of M independent segments is lost) = 1 − (1 − p)^M, computed as −expm1(M·log1p(−p)) so that
 * tiny p and huge M keep full precision.
 */
export function probabilityAnyLoss(lossProbability: number, segmentsM: number): number {
  if (!(lossProbability >= 0 && lossProbability <= 1)) throw new RangeError(`probabilityAnyLoss: bad p ${lossProbability}`);
  if (!(segmentsM >= 0)) throw new RangeError(`probabilityAnyLoss: bad M ${segmentsM}`);
  if (lossProbability === 1) return segmentsM > 0 ? 1 : 0;
  return -Math.expm1(segmentsM * Math.log1p(-lossProbability));
}

export interface FailureToleranceQuery {
  readonly k: number;
  readonly n: number;
  /** Masternodes in the network. */
  readonly nodesN: number;
  /** Independent segments stored (each on its own random n-subset). */
  readonly segmentsM: number;
  /** Target: P(any segment lost) ≤ ε. */
  readonly epsilon: number;
}

export interface FailureTolerance {
  /** Largest integer F with P(any loss | F failed) ≤ ε. */
  readonly failedNodesMax: number;
  /** failedNodesMax / nodesN. */
  readonly failedFraction: number;
  /** P(any loss) at failedNodesMax. */
  readonly probabilityAnyLoss: number;
}

/** The largest number of failed nodes (random placement, hypergeometric) keeping P(any loss) ≤ ε. */
export function largestToleratedFailures(query: FailureToleranceQuery): FailureTolerance {
  const { k, n, nodesN, segmentsM, epsilon } = query;
  checkCode(k, n);
  if (!Number.isInteger(nodesN) || nodesN < n) throw new RangeError(`need nodesN ≥ n, got ${nodesN}`);
  const anyLoss = (failed: number): number => probabilityAnyLoss(hypergeometricLossProbability(k, n, nodesN, failed), segmentsM);
  // P(any loss) is non-decreasing in F, and 0 while F ≤ n − k: binary search on the integer F.
  let lo = Math.min(nodesN, n - k); // always feasible
  let hi = nodesN;
  if (anyLoss(hi) <= epsilon) lo = hi;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (anyLoss(mid) <= epsilon) lo = mid;
    else hi = mid;
  }
  return { failedNodesMax: lo, failedFraction: lo / nodesN, probabilityAnyLoss: anyLoss(lo) };
}

/**
 * The failure fraction f at which the binomial P(any of M segments lost) reaches ε (bisection to ~1e−15).
 * DOMAIN.md tabulates this for M = 1, ε = 1e−9.
 */
export function binomialFailureFractionAt(k: number, n: number, epsilon: number, segmentsM = 1): number {
  checkCode(k, n);
  if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${epsilon}`);
  let lo = 0;
  let hi = 1;
  for (let iter = 0; iter < 200 && hi - lo > 1e-15 * hi; iter++) {
    const mid = (lo + hi) / 2;
    if (probabilityAnyLoss(binomialLossProbability(k, n, mid), segmentsM) <= epsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------------------
// Repair models

export interface LazyRepairParams {
  readonly k: number;
  /** Repair threshold: repair starts when fewer than m shards are alive. */
  readonly m: number;
  readonly n: number;
  /** Per-shard failure rate α = 1/MTTF (per unit time, e.g. per month). */
  readonly alpha: number;
}

export interface LazyRepairMarkovParams extends LazyRepairParams {
  /** Repair rate γ = 1/MRT (same time unit as α). */
  readonly gamma: number;
}

/**
 * Giroire et al. lazy-repair loss rate exactly as restated in storjv3.tex ("Object repair costs") and
 * DOMAIN.md: LR = [1/((m+1)·ln(n/m))]·[m!/(k−1)!]·(α/γ)^{m−k+2}.
 *
 * Caution: as restated, the expression is dimensionless (no factor of α or γ outside the ratio), and it does
 * not match the lazy-repair Markov chain below: first-step analysis of that chain gives a loss rate of about
 * [α/ln(n/m)]·[(m−1)!/(k−1)!]·(α/γ)^{m−k} for α ≪ γ, which `mttdlLazyRepair` reproduces (theory.test.ts).
 * Kept as written so reports can quote the Storj figure; prefer `mttdlLazyRepair` for decisions.
 */
export function lazyRepairLossRate(params: LazyRepairMarkovParams): number {
  const { k, m, n, alpha, gamma } = params;
  checkRepair(k, m, n, alpha);
  if (!(gamma > 0)) throw new RangeError(`gamma must be > 0, got ${gamma}`);
  const logRate =
    -Math.log(m + 1) - Math.log(Math.log(n / m)) + lnGamma(m + 1) - lnGamma(k) + (m - k + 2) * Math.log(alpha / gamma);
  return Math.exp(logRate);
}

/** Giroire repair-bandwidth ratio B_R = α(n − m + k)/(k·ln(n/m)): bytes repaired per byte stored per unit time. */
export function repairBandwidthRatio(params: LazyRepairParams): number {
  const { k, m, n, alpha } = params;
  checkRepair(k, m, n, alpha);
  return (alpha * (n - m + k)) / (k * Math.log(n / m));
}

/**
 * Mean time to absorption of a continuous-time Markov chain, from every transient state.
 * `rates[i·s + j]` is the rate i → j between transient states (diagonal ignored), `absorbRates[i]` the rate
 * from i into the absorbing set. Solves (−T)·τ = 1, i.e. τ = N·1 with N = (−T)^{−1} the fundamental matrix,
 * by GTH-style elimination (only additions of non-negative terms, so no cancellation). Throws RangeError if
 * some state cannot reach absorption (its expected time would be infinite).
 */
export function absorptionTimes(rates: Float64Array, absorbRates: Float64Array): Float64Array {
  const s = absorbRates.length;
  if (rates.length !== s * s) throw new RangeError(`absorptionTimes: rates must be ${s}×${s}`);
  for (let i = 0; i < rates.length; i++) {
    if (!(rates[i] >= 0)) throw new RangeError("absorptionTimes: rates must be non-negative");
  }
  const r = rates.slice();
  const a = absorbRates.slice();
  const h = new Float64Array(s).fill(1); // expected time accrues at rate 1 in every transient state
  const d = new Float64Array(s);
  // Eliminate states s−1, …, 1, folding each one's paths into the states that remain.
  for (let p = s - 1; p >= 0; p--) {
    let total = a[p];
    for (let j = 0; j < p; j++) total += r[p * s + j];
    d[p] = total;
    // A state with no way out (after folding in the states below it) never reaches absorption.
    if (total === 0) throw new RangeError(`absorptionTimes: transient state ${p} cannot reach absorption`);
    if (p === 0) continue;
    for (let i = 0; i < p; i++) {
      const toP = r[i * s + p];
      if (toP === 0) continue;
      const f = toP / total;
      for (let j = 0; j < p; j++) if (j !== i) r[i * s + j] += f * r[p * s + j];
      a[i] += f * a[p];
      h[i] += f * h[p];
      r[i * s + p] = 0;
    }
  }
  const tau = new Float64Array(s);
  for (let p = 0; p < s; p++) {
    let acc = h[p];
    for (let j = 0; j < p; j++) acc += r[p * s + j] * tau[j];
    tau[p] = acc / d[p];
  }
  return tau;
}

/**
 * MTTDL of one object under lazy repair (DOMAIN.md §a "Object Markov chain"): states i = n … k alive shards,
 * i → i−1 at rate i·α, and, while i < m, i → n at rate γ; losing a shard in state k is data loss.
 * Returns the expected time (in α's unit) from n alive shards to loss.
 */
export function mttdlLazyRepair(params: LazyRepairMarkovParams): number {
  const { k, m, n, alpha, gamma } = params;
  checkRepair(k, m, n, alpha);
  if (!(gamma >= 0)) throw new RangeError(`gamma must be ≥ 0, got ${gamma}`);
  const s = n - k + 1; // transient state index t ↔ alive shards i = n − t
  const rates = new Float64Array(s * s);
  const absorb = new Float64Array(s);
  for (let t = 0; t < s; t++) {
    const alive = n - t;
    if (t + 1 < s) rates[t * s + t + 1] = alive * alpha;
    else absorb[t] = alive * alpha;
    if (alive < m && t > 0) rates[t * s] += gamma;
  }
  return absorptionTimes(rates, absorb)[0];
}

// ---------------------------------------------------------------------------------------------------------
// Confidence intervals for simulated frequencies

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/** Wilson score interval for a binomial proportion (good coverage even at 0 or n successes). */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): Interval {
  checkTrials(successes, trials, confidence);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const denominator = 1 + z2n;
  const centre = (p + z2n / 2) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials))) / denominator;
  return {
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === trials ? 1 : Math.min(1, centre + half),
  };
}

/** Clopper–Pearson "exact" interval: Beta quantiles, conservative (coverage ≥ the nominal level). */
export function clopperPearsonInterval(successes: number, trials: number, confidence = 0.95): Interval {
  checkTrials(successes, trials, confidence);
  const tail = (1 - confidence) / 2;
  return {
    lower: successes === 0 ? 0 : betaQuantile(tail, successes, trials - successes + 1),
    upper: successes === trials ? 1 : betaQuantile(1 - tail, successes + 1, trials - successes),
  };
}

/** Regularized incomplete beta I_x(a, b) (continued fraction, modified Lentz). */
export function regularizedIncompleteBeta(a: number, b: number, x: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`regularizedIncompleteBeta: a, b must be > 0`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The continued fraction converges fast for x below the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** x with I_x(a, b) = p, by bisection (monotone in x) to ~1e−14 relative. */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`betaQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let iter = 0; iter < 2000 && hi - lo > 1e-14 * hi; iter++) {
    const mid = (lo + hi) / 2;
    if (regularizedIncompleteBeta(a, b, mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Standard normal quantile Φ^{−1}(p) (Wichura's AS 241, relative error ~1e−16). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
          45921.953931549871457) *
          r +
          13731.693765509461125) *
          r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
        21213.794301586595867) *
        r +
        5394.1960214247511077) *
        r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value =
      (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
        1.27045825245236838258) *
        r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
        0.14810397642748007459) *
        r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    value =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
        0.026532189526576123093) *
        r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
        7.868691311456132591e-4) *
        r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -value : value;
}

// ---------------------------------------------------------------------------------------------------------

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) return h;
  }
  throw new Error(`regularizedIncompleteBeta: continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

function checkCode(k: number, n: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 1 || n < k) {
    throw new RangeError(`need integers 1 ≤ k ≤ n, got k=${k}, n=${n}`);
  }
}

function checkCounts(total: number, marked: number, drawn: number): void {
  if (![total, marked, drawn].every(Number.isInteger) || marked < 0 || drawn < 0 || marked > total || drawn > total) {
    throw new RangeError(`need integers 0 ≤ F ≤ N and 0 ≤ n ≤ N, got N=${total}, F=${marked}, n=${drawn}`);
  }
}

function checkChurn(p: number): number {
  if (!(p >= 0)) throw new RangeError(`churn p must be ≥ 0, got ${p}`);
  return p;
}

function checkRepair(k: number, m: number, n: number, alpha: number): void {
  checkCode(k, n);
  if (!Number.isInteger(m) || m < k || m > n) throw new RangeError(`need integer k ≤ m ≤ n, got m=${m}`);
  if (!(alpha > 0)) throw new RangeError(`alpha must be > 0, got ${alpha}`);
}

function checkTrials(successes: number, trials: number, confidence: number): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || trials < 1 || successes < 0 || successes > trials) {
    throw new RangeError(`need integers 0 ≤ successes ≤ trials, trials ≥ 1; got ${successes}/${trials}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}
