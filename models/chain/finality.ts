/**
 * Quorum arithmetic and EOS-style DPoS finality.
 *
 * Purpose: the one definition of "irreversible" (DOMAIN.md §c): with N active producers and quorum
 * q = ⌊2N/3⌋ + 1, a block at height h is irreversible on a branch once blocks from q *distinct* producers exist on
 * that branch at heights ≥ h (the producer of h itself counts).
 *
 * Method: each block carries, per candidate, the highest number that candidate produced on its branch
 * (`lastProduced`, copied from the parent and updated with the block's own producer). The number of distinct
 * producers at or above h is #{c : lastProduced[c] ≥ h}, so the highest such h with count ≥ q is simply the q-th
 * largest entry — the same rule as TRON's "solidified" block (`nums[floor(0.3·27)]` of producers' latest blocks).
 * Never-produced entries are −1; genesis (0) is irreversible by definition.
 *
 * Bounds (f faulty producers): liveness needs N − f ≥ q; safety needs every two quorums to share an honest
 * producer, f < 2q − N. For N = 21, q = 15: liveness survives ≤ 6, safety ≤ 8.
 */

export const quorumOf = (n: number): number => Math.floor((2 * n) / 3) + 1;

/** Most crashed/offline producers with which the LIB still advances: N − q. */
export const livenessFaultsMax = (n: number, q = quorumOf(n)): number => n - q;

/** Most equivocating producers with which two conflicting blocks cannot both become irreversible: 2q − N − 1. */
export const safetyFaultsMax = (n: number, q = quorumOf(n)): number => 2 * q - n - 1;

/** The q-th largest entry of `lastProduced` (at least 0): the branch's last irreversible block number. */
export function libFromLastProduced(lastProduced: ArrayLike<number>, q: number): number {
  if (q < 1) throw new RangeError(`quorum must be ≥ 1, got ${q}`);
  const n = lastProduced.length;
  if (q > n) return 0;
  // Partial selection: keep the q largest in a small descending buffer (C is tens, q ≈ 2C/3).
  const top = new Int32Array(q).fill(-1);
  for (let i = 0; i < n; i++) {
    const v = lastProduced[i];
    if (v <= top[q - 1]) continue;
    let j = q - 1;
    while (j > 0 && top[j - 1] < v) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = v;
  }
  return top[q - 1] < 0 ? 0 : top[q - 1];
}
