/**
 * Delegate election and SuperDelegate choice (DOMAIN.md §c).
 *
 * Purpose: stake-weighted approval voting — each voter approves up to K candidates with its whole stake; a
 * candidate's approval stake is the sum of its approvers' stakes; the top N eligible candidates are the active
 * delegates and the next ones, in order, the standbys.
 *
 * Method: one sort of the eligible candidates by (approval stake descending, candidate index ascending). The tie
 * rule makes the result a function of the tallies alone. Slashed candidates are ineligible. A candidate with no
 * approvals is still eligible (a registered producer), so the active set is always full while there are N
 * eligible candidates.
 *
 * SuperDelegates: the first S of the active set in that same order, i.e. the delegates with the most approval
 * stake. "Chosen by the delegates" (POP's blog) is modelled as the delegates ratifying the stake ranking each
 * round: a vote among delegates with no stated preference model would add parameters without evidence.
 */
import type { Wei } from "./types.ts";

export interface ElectionResult {
  active: number[];
  standby: number[];
}

/** Rank eligible candidates by approval stake; the first `n` are active. */
export function electDelegates(approvalWei: readonly Wei[], eligible: ArrayLike<number>, n: number): ElectionResult {
  const order: number[] = [];
  for (let c = 0; c < approvalWei.length; c++) if (eligible[c]) order.push(c);
  order.sort((a, b) => (approvalWei[a] > approvalWei[b] ? -1 : approvalWei[a] < approvalWei[b] ? 1 : a - b));
  return { active: order.slice(0, n), standby: order.slice(n) };
}

/** The first `s` active delegates by rank (active is already ranked). */
export function pickSuperDelegates(activeRanked: readonly number[], s: number): number[] {
  return activeRanked.slice(0, Math.min(s, activeRanked.length));
}
