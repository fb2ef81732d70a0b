/**
 * Inequality and concentration statistics of the token economy (DOMAIN.md §f): Gini, Herfindahl–Hirschman,
 * Lorenz curve, long-tail share.
 *
 * Purpose: the numbers that test the seeds' "Long Tail" thesis (does creator revenue reach creators outside the
 * head?) and the concentration of rewards, written once with their definitions so reports and tests agree.
 *
 * Method: all functions take non-negative finite values (POP, USD; floats are fine for derived ratios — STYLE.md keeps
 * floats out of balances, not out of statistics) and sort a copy ascending with a total numeric order, so the result
 * never depends on the input order. Sums run in sorted order.
 * - Gini, two formulas that must agree (tested): the definition G = Σ_i Σ_j |x_i − x_j| / (2n²·x̄) (`giniPairwise`,
 *   O(n²), for tests) and, on ascending x_(1..n), G = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n (`gini`, O(n log n)).
 *   G ∈ [0, 1 − 1/n]: 0 when all are equal, (n−1)/n when one holds everything. All-zero input gives 0.
 * - HHI = Σ s_i² with s_i = x_i / Σx ∈ [1/n, 1] (1 = monopoly). All-zero input gives 0.
 * - Lorenz curve L(p): the share of the total held by the poorest fraction p. The empirical curve is the polyline
 *   through (i/n, Σ_{j≤i} x_(j) / Σx); `lorenzPoints(values, k)` samples it at p = 0, 1/k, …, 1 by linear
 *   interpolation, so the points are monotone, convex, L(0) = 0, L(1) = 1 and L(p) ≤ p.
 * - Long-tail share: the share of the total going to everyone outside the top `topFraction` (default 20 %) by value;
 *   the top count is ⌈topFraction·n⌉. Equals 1 − (share of the top 20 %), i.e. L(0.8) when 0.2·n is whole.
 */

function sortedCopy(values: readonly number[], fn: string): number[] {
  const x = values.slice();
  for (const v of x) if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${fn}: values must be finite and ≥ 0, got ${v}`);
  return x.sort((a, b) => a - b);
}

/** Gini coefficient on ascending-sorted values: G = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n. */
export function gini(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const x = sortedCopy(values, "gini");
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    sum += x[i];
    weighted += (i + 1) * x[i];
  }
  if (sum === 0) return 0;
  const g = (2 * weighted) / (n * sum) - (n + 1) / n;
  // Rounding can put an all-equal input a few ulps below 0.
  return g < 0 ? 0 : g;
}

/** Gini coefficient by its definition: mean absolute difference over twice the mean, Σ_i Σ_j |x_i − x_j| / (2n²·x̄). */
export function giniPairwise(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const x = sortedCopy(values, "giniPairwise");
  let sum = 0;
  for (const v of x) sum += v;
  if (sum === 0) return 0;
  let diff = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) diff += Math.abs(x[i] - x[j]);
  return diff / (2 * n * sum); // 2n²·x̄ = 2n·Σx
}

/** Herfindahl–Hirschman index Σ s_i² of the shares s_i = x_i / Σx. */
export function hhi(values: readonly number[]): number {
  const x = sortedCopy(values, "hhi");
  let sum = 0;
  for (const v of x) sum += v;
  if (sum === 0) return 0;
  let h = 0;
  for (const v of x) h += (v / sum) * (v / sum);
  return h;
}

/** The Lorenz curve at p = 0, 1/k, …, 1: `share[i]` of the total held by the poorest `p[i]` of holders. */
export function lorenzPoints(values: readonly number[], k: number): { p: number[]; share: number[] } {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`lorenzPoints: k must be a positive integer, got ${k}`);
  const x = sortedCopy(values, "lorenzPoints");
  const n = x.length;
  const cum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + x[i];
  const total = cum[n];
  const p: number[] = [];
  const share: number[] = [];
  for (let i = 0; i <= k; i++) {
    const q = i / k;
    p.push(q);
    if (n === 0 || total === 0) {
      // No holders or nothing held: the line of equality (every fraction holds its own fraction of nothing).
      share.push(q);
      continue;
    }
    const pos = q * n;
    const j = Math.min(n - 1, Math.floor(pos));
    const l = i === k ? 1 : (cum[j] + (pos - j) * x[j]) / total;
    share.push(Math.min(q, Math.max(0, l)));
  }
  return { p, share };
}

/** Share of the total that goes to holders outside the top ⌈topFraction·n⌉ by value (the "long tail"). */
export function longTailShare(values: readonly number[], topFraction = 0.2): number {
  if (!(topFraction >= 0 && topFraction <= 1)) throw new RangeError(`longTailShare: topFraction must be in [0, 1], got ${topFraction}`);
  const x = sortedCopy(values, "longTailShare");
  const n = x.length;
  let total = 0;
  for (const v of x) total += v;
  if (total === 0) return 0;
  // ε guards 0.2·n computed a hair above a whole number (e.g. 0.2·15 = 3.0000000000000004).
  const top = Math.min(n, Math.ceil(topFraction * n - 1e-9));
  let tail = 0;
  for (let i = 0; i < n - top; i++) tail += x[i];
  return tail / total;
}

/** Value at quantile q ∈ [0, 1] of the values (nearest rank, ⌈q·n⌉-th smallest; q = 0 gives the minimum). */
export function quantile(values: readonly number[], q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const x = values.slice().sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * n));
  return x[Math.min(n, rank) - 1];
}
