/**
 * The whitepaper's "29.57 % of Masternodes may fail … and the network fully recovers", settled with numbers.
 *
 * Purpose: record, beside the tolerance experiment, under which (k, n, N, placement, failure model) the sentence is
 * exactly true, and what the run's own parameters tolerate (DOMAIN.md §a "Reverse-engineering 29.57 %").
 *
 * Method (all exact theory, theory.ts):
 * - Deterministic MDS reading: (n − k)/n = 0.2957. The smallest codes are found by search: 81/115 (34/115 =
 *   29.565 %, rounds to 29.57 %) and 50/71 (21/71 = 29.577 %, truncates to 29.57 %). The guarantee holds against
 *   *any* failure set — targeted included — only if every segment spans all N masternodes (n = N), and then exactly
 *   when F ≤ N − k. Reed–Solomon over GF(2^8) has n ≤ 255, so for N > 255 masternodes no code spans them all and the
 *   claim cannot hold against a targeted adversary: taking the o − k + 1 holders of one segment destroys it.
 * - Under independent failures at f = 0.2957 the 81/115 code loses a segment with probability ≈ 0.45 (f sits at the
 *   code's tolerance), so "fully recovers" is false there in the probabilistic sense.
 * - The scenario's own code (k, o stored shards, N masternodes, M segments, ε): the largest tolerated f under random
 *   failures (P(any loss) ≤ ε, hypergeometric), under a targeted adversary ((o − k)/N), P(any loss) at f = 0.2957,
 *   and the smallest n (for this k, n ≤ 255) that would make the random-failure claim hold.
 *
 * Metric names (summaries): storage.claim.fraction;
 *   storage.claim.mds_rounding.{k, n, tolerance, p_segment_lost_binomial}   (smallest n whose (n−k)/n rounds to it)
 *   storage.claim.mds_truncating.{k, n, tolerance, p_segment_lost_binomial} (smallest n whose (n−k)/n truncates to it)
 *   storage.claim.spanning_nodes_max                                        (255: the largest N a code can span)
 *   storage.claim.scenario.{nodes, k, stored_shards, segments, epsilon, f_max_random_theory, f_max_targeted,
 *     p_any_lost_random_at_claim, holds_random, holds_targeted, n_min_random_for_k, k_max_spanning}
 *   (holds_* are 1/0; n_min_random_for_k and k_max_spanning are −1 when no such code exists.)
 */
import { binomialLossProbability, hypergeometricLossProbability, largestToleratedFailures, probabilityAnyLoss } from "./theory.ts";
import { RS_SHARDS_MAX } from "./reedSolomon.ts";

export const CLAIM_FRACTION = 0.2957;

export interface ClaimCode {
  k: number;
  n: number;
  tolerance: number;
}

/** The smallest n (and its k) whose (n − k)/n rounds (or truncates) to `fraction` at four decimals. */
export function smallestMdsCode(fraction: number, mode: "rounding" | "truncating"): ClaimCode {
  const target = Math.round(fraction * 1e4);
  for (let n = 2; n <= RS_SHARDS_MAX; n++) {
    for (let k = 1; k < n; k++) {
      const x = ((n - k) / n) * 1e4;
      const shown = mode === "rounding" ? Math.round(x) : Math.floor(x + 1e-9);
      if (shown === target) return { k, n, tolerance: (n - k) / n };
    }
  }
  throw new RangeError(`no code with n ≤ ${RS_SHARDS_MAX} has (n−k)/n ≈ ${fraction}`);
}

export interface ScenarioClaim {
  fMaxRandom: number;
  fMaxTargeted: number;
  pAnyAtClaim: number;
  holdsRandom: boolean;
  holdsTargeted: boolean;
  nMinRandomForK: number;
  kMaxSpanning: number;
}

/** What a code with k of `stored` shards per segment, on N masternodes with M segments, tolerates. */
export function scenarioClaim(k: number, stored: number, nodes: number, segments: number, epsilon: number): ScenarioClaim {
  const F = Math.round(CLAIM_FRACTION * nodes);
  const anyAt = (n: number) => probabilityAnyLoss(hypergeometricLossProbability(k, n, nodes, Math.min(F, nodes)), Math.max(1, segments));
  const pAnyAtClaim = anyAt(stored);
  let nMin = -1;
  // P(any loss) at a fixed F falls as n grows (more slack for the same k): the first n that holds is the smallest.
  for (let n = k; n <= Math.min(RS_SHARDS_MAX, nodes); n++) {
    if (anyAt(n) <= epsilon) {
      nMin = n;
      break;
    }
  }
  return {
    fMaxRandom: largestToleratedFailures({ k, n: stored, nodesN: nodes, segmentsM: Math.max(1, segments), epsilon }).failedFraction,
    fMaxTargeted: (stored - k) / nodes,
    pAnyAtClaim,
    holdsRandom: pAnyAtClaim <= epsilon,
    holdsTargeted: F <= stored - k,
    nMinRandomForK: nMin,
    kMaxSpanning: nodes <= RS_SHARDS_MAX ? nodes - Math.round(CLAIM_FRACTION * nodes) : -1,
  };
}

/** Record the claim section for the model's parameters. */
export function recordClaimSection(model: {
  readonly k: number;
  readonly o: number;
  readonly segments: number;
  readonly p: { tolerance: { epsilon: number } };
  readonly table: { count: number };
  readonly metrics: { summary(name: string, value: number): void };
}): ScenarioClaim {
  const put = (name: string, v: number) => model.metrics.summary(`storage.claim.${name}`, v);
  put("fraction", CLAIM_FRACTION);
  for (const mode of ["rounding", "truncating"] as const) {
    const c = smallestMdsCode(CLAIM_FRACTION, mode);
    put(`mds_${mode}.k`, c.k);
    put(`mds_${mode}.n`, c.n);
    put(`mds_${mode}.tolerance`, c.tolerance);
    put(`mds_${mode}.p_segment_lost_binomial`, binomialLossProbability(c.k, c.n, CLAIM_FRACTION));
  }
  put("spanning_nodes_max", RS_SHARDS_MAX);
  const N = model.table.count;
  const eps = model.p.tolerance.epsilon;
  const r = scenarioClaim(model.k, model.o, N, model.segments, eps);
  put("scenario.nodes", N);
  put("scenario.k", model.k);
  put("scenario.stored_shards", model.o);
  put("scenario.segments", model.segments);
  put("scenario.epsilon", eps);
  put("scenario.f_max_random_theory", r.fMaxRandom);
  put("scenario.f_max_targeted", r.fMaxTargeted);
  put("scenario.p_any_lost_random_at_claim", r.pAnyAtClaim);
  put("scenario.holds_random", r.holdsRandom ? 1 : 0);
  put("scenario.holds_targeted", r.holdsTargeted ? 1 : 0);
  put("scenario.n_min_random_for_k", r.nMinRandomForK);
  put("scenario.k_max_spanning", r.kMaxSpanning);
  return r;
}
