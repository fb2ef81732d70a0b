/**
 * Decentralization metrics (DOMAIN.md §f): the Nakamoto coefficient and the Gini coefficient.
 *
 * Nakamoto coefficient (Srinivasan & Lee, 2017): the smallest number of entities whose combined share reaches a
 * threshold. For BFT-DPoS the threshold is 1/3 — that many seats can halt finality (N − q + 1 = 7 of 21). We use
 * "≥ 1/3" (3·cum ≥ total), computed exactly on integers (bigint stake or seat counts), largest entities first.
 *
 * Gini on ascending-sorted values x_(1..n): G = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n (0 = equal, → 1 = one holds all).
 * Floats are fine here: it is a derived ratio.
 */

/** Smallest k such that the k largest shares sum to ≥ num/den of the total (default 1/3). 0 if the total is 0. */
export function nakamotoCoefficient(shares: readonly bigint[], num = 1n, den = 3n): number {
  let total = 0n;
  for (const s of shares) {
    if (s < 0n) throw new RangeError("nakamotoCoefficient: negative share");
    total += s;
  }
  if (total === 0n) return 0;
  const sorted = shares.slice().sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  let cum = 0n;
  for (let k = 0; k < sorted.length; k++) {
    cum += sorted[k];
    if (cum * den >= total * num) return k + 1;
  }
  return sorted.length;
}

/** Sum shares by entity: `entityOf[i]` is the entity of holder i; returns the entities' totals (any order). */
export function sharesByEntity(shares: readonly bigint[], entityOf: ArrayLike<number>): bigint[] {
  const byEntity = new Map<number, bigint>();
  for (let i = 0; i < shares.length; i++) byEntity.set(entityOf[i], (byEntity.get(entityOf[i]) ?? 0n) + shares[i]);
  return [...byEntity.values()];
}

export function gini(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const x = values.slice().sort((a, b) => a - b);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] < 0) throw new RangeError("gini: negative value");
    sum += x[i];
    weighted += (i + 1) * x[i];
  }
  if (sum === 0) return 0;
  return (2 * weighted) / (n * sum) - (n + 1) / n;
}
