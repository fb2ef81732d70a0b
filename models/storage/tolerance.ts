/**
 * The failure-tolerance experiment: what fraction f of masternodes may fail before segments are lost?
 *
 * Purpose: the engineers' question (DESIGN.md §1, DOMAIN.md §a) answered over the run's *actual* placement: for f on
 * a grid from 0 to fMax and two failure models, draw T independent failure sets of F = round(f·N) masternodes and
 * count the segments that lose more than o − k of their o stored shards; record the simulated frequencies with
 * confidence intervals beside the exact theory, so a report can show the points inside the theory's band.
 *
 * Failure models:
 * - random: F distinct masternodes uniformly. Whatever the placement, the number of failed holders of one segment
 *   is then exactly Hypergeometric(N, F, o), so P(segment lost) must match `hypergeometricLossProbability`; the
 *   placement shows only in P(any of M lost), where shared holders correlate losses (1 − (1 − p)^M assumes none).
 * - targeted: a greedy adversary who sees the placement spends its F failures on the holders of the segments
 *   closest to death first (bucket queue on "failures still needed"; ties broken by a random order per trial). It
 *   is a lower bound on the true worst case. Theory beside it: any F ≥ o − k + 1 kills some segment (P(any) = 1),
 *   and at least floor(F / (o − k + 1)) segments can be killed when holder sets are disjoint.
 *
 * Trials: T = `trials` for the random model, `targetedTrials` for the targeted one (its outcome varies only through
 * tie-breaking, and each of its trials costs more).
 *
 * Statistics: P(segment lost) = lost (segment, trial) pairs / (M·T), with a 95 % Wilson interval whose sample size
 * is divided by the design effect (variance of the per-trial lost count over its binomial variance, ≥ 1): losses
 * within one trial share a failure set, so the M·T pairs are not independent. P(any lost) = trials with a loss / T,
 * with a 95 % Clopper–Pearson interval (trials are independent). With zero observations the upper bounds are the
 * resolution of the run: ≈ 3.7/(M·T) for the segment, ≈ 3.7/T for "any".
 *
 * Metric names (the report section parses them; <model> ∈ {random, targeted}; <f> is f with its decimal point as
 * "_", e.g. f0_30):
 *   storage.tolerance.{nodes, segments, trials, targeted_trials, k, stored_shards, epsilon, p_segment_lost_resolution,
 *     p_any_lost_resolution}   (resolutions: the 95 % upper bounds at zero observations, random model)
 *   storage.tolerance.<model>.<f>.failed_nodes             F = round(f·N)
 *   storage.tolerance.<model>.<f>.segments_lost_mean       mean lost segments per trial
 *   storage.tolerance.<model>.<f>.p_segment_lost           simulated, with .p_segment_lost_ci_lo / _ci_hi (95 %)
 *   storage.tolerance.<model>.<f>.p_segment_lost_theory    random: exact hypergeometric; targeted: disjoint-holder bound
 *   storage.tolerance.<model>.<f>.design_effect
 *   storage.tolerance.<model>.<f>.p_any_lost               simulated, with .p_any_lost_ci_lo / _ci_hi (95 %)
 *   storage.tolerance.<model>.<f>.p_any_lost_theory        random: 1 − (1 − p)^M; targeted: 1 if F > o − k else 0
 *   storage.tolerance.<model>.f_max_at_epsilon_theory      largest f with P(any) ≤ ε (random: integer F, exact)
 *   storage.tolerance.<model>.f_max_at_epsilon_sim         largest grid f whose simulated upper bound is ≤ ε, or −1
 *                                                          when ε is below the run's resolution at every f > 0
 *   storage.tolerance.<model>.f_max_no_loss_observed       largest grid f at which no trial lost a segment
 */
import type { Prng } from "../../sim/kernel/prng.ts";
import {
  clopperPearsonInterval,
  hypergeometricLossProbability,
  largestToleratedFailures,
  normalQuantile,
  probabilityAnyLoss,
} from "./theory.ts";

/** What the experiment needs: the placement as holder lists, and the parameters. */
export interface ToleranceInput {
  /** Masternodes failures are drawn from (N). */
  nodes: number;
  segments: number;
  k: number;
  /** Shards stored per segment at upload (o); the theory uses it as the code length. */
  storedShards: number;
  /** CSR of segment → holder node indexes. */
  segmentStart: Int32Array;
  segmentHolders: Int32Array;
  fMax: number;
  fStep: number;
  /** Trials per grid point: random model, targeted model. */
  trials: number;
  targetedTrials: number;
  epsilon: number;
  /** A stream per (model, grid point), so adding a grid point or a model never shifts another's draws. */
  rng: (label: string) => Prng;
}

export type FailureModel = "random" | "targeted";

export interface TolerancePoint {
  model: FailureModel;
  f: number;
  key: string;
  failedNodes: number;
  segmentsLostMean: number;
  pSegmentLost: number;
  pSegmentLostCi: [number, number];
  pSegmentLostTheory: number;
  designEffect: number;
  pAnyLost: number;
  pAnyLostCi: [number, number];
  pAnyLostTheory: number;
}

export interface ToleranceResult {
  points: TolerancePoint[];
  fMaxTheory: Record<FailureModel, number>;
  fMaxSim: Record<FailureModel, number>;
  fMaxNoLoss: Record<FailureModel, number>;
  pSegmentResolution: number;
  pAnyResolution: number;
}

/** The grid 0, step, 2·step, … ≤ fMax, with keys such as "f0_30". */
export function toleranceGrid(fMax: number, fStep: number): { f: number; key: string }[] {
  let decimals = 2;
  while (decimals < 6 && Math.abs(Math.round(fStep * 10 ** decimals) - fStep * 10 ** decimals) > 1e-9) decimals++;
  const out: { f: number; key: string }[] = [];
  const count = Math.floor(fMax / fStep + 1e-9);
  for (let i = 0; i <= count; i++) {
    const f = Number((i * fStep).toFixed(decimals));
    out.push({ f, key: `f${f.toFixed(decimals).replace(".", "_")}` });
  }
  return out;
}

/** Wilson score interval for a proportion p observed over an effective sample size nEff (need not be an integer). */
export function wilsonEffective(p: number, nEff: number, confidence = 0.95): [number, number] {
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2n = (z * z) / nEff;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / nEff + z2n / (4 * nEff))) / (1 + z2n);
  return [p === 0 ? 0 : Math.max(0, centre - half), p === 1 ? 1 : Math.min(1, centre + half)];
}

/** Run the experiment (pure function of its input and streams). */
export function runTolerance(input: ToleranceInput): ToleranceResult {
  const { nodes: N, segments: M, k, storedShards: o } = input;
  const csr = invert(input);
  const need = new Int32Array(M);
  let preLost = 0;
  for (let s = 0; s < M; s++) {
    need[s] = input.segmentStart[s + 1] - input.segmentStart[s] - k + 1;
    if (need[s] <= 0) preLost++;
  }
  const points: TolerancePoint[] = [];
  const grid = toleranceGrid(input.fMax, input.fStep);
  const perTrial = new Float64Array(Math.max(input.trials, input.targetedTrials));
  const scratch = new Scratch(N, M, o - k + 1);
  const fMaxSim: Record<FailureModel, number> = { random: -1, targeted: -1 };
  const fMaxNoLoss: Record<FailureModel, number> = { random: 0, targeted: 0 };
  const noLossSoFar: Record<FailureModel, boolean> = { random: true, targeted: true };
  const boundSoFar: Record<FailureModel, boolean> = { random: true, targeted: true };
  for (const model of ["random", "targeted"] as const) {
    const T = model === "random" ? input.trials : input.targetedTrials;
    for (const { f, key } of grid) {
      const F = Math.round(f * N);
      const rng = input.rng(`storage/tolerance/${model}/${key}`);
      let lostPairs = 0, anyTrials = 0;
      for (let t = 0; t < T; t++) {
        const lost = preLost + (model === "random" ? randomTrial(F, csr, need, scratch, rng) : targetedTrial(F, csr, input, need, scratch, rng));
        perTrial[t] = lost;
        lostPairs += lost;
        if (lost > 0) anyTrials++;
      }
      const p = M > 0 ? lostPairs / (M * T) : 0;
      let variance = 0;
      const mean = lostPairs / T;
      for (let t = 0; t < T; t++) variance += (perTrial[t] - mean) ** 2;
      variance = T > 1 ? variance / (T - 1) : 0;
      const binomialVar = M * p * (1 - p);
      const designEffect = binomialVar > 0 ? Math.max(1, variance / binomialVar) : 1;
      const theorySeg = model === "random" ? hypergeometricLossProbability(k, o, N, F) : Math.min(1, Math.floor(F / (o - k + 1)) / M);
      const cpAny = clopperPearsonInterval(anyTrials, T, 0.95);
      points.push({
        model, f, key, failedNodes: F, segmentsLostMean: mean,
        pSegmentLost: p, pSegmentLostCi: wilsonEffective(p, Math.max(1, (M * T) / designEffect)), pSegmentLostTheory: theorySeg, designEffect,
        pAnyLost: anyTrials / T, pAnyLostCi: [cpAny.lower, cpAny.upper],
        pAnyLostTheory: model === "random" ? probabilityAnyLoss(theorySeg, M) : F > o - k ? 1 : 0,
      });
      // "Stays ≤": the prefix of the grid where the bound holds (losses only grow with f).
      if (cpAny.upper <= input.epsilon && boundSoFar[model]) fMaxSim[model] = f;
      else boundSoFar[model] = false;
      if (anyTrials === 0 && noLossSoFar[model]) fMaxNoLoss[model] = f;
      else noLossSoFar[model] = false;
    }
  }
  const random = largestToleratedFailures({ k, n: o, nodesN: N, segmentsM: Math.max(1, M), epsilon: input.epsilon }).failedFraction;
  return {
    points,
    fMaxTheory: { random, targeted: (o - k) / N },
    fMaxSim,
    fMaxNoLoss,
    pSegmentResolution: wilsonEffective(0, M * input.trials)[1],
    pAnyResolution: clopperPearsonInterval(0, input.trials, 0.95).upper,
  };
}

/** Record a result as `storage.tolerance.*` summaries (names in the file header). */
export function recordTolerance(summary: (name: string, value: number) => void, input: ToleranceInput, r: ToleranceResult): void {
  const base = "storage.tolerance";
  summary(`${base}.nodes`, input.nodes);
  summary(`${base}.segments`, input.segments);
  summary(`${base}.trials`, input.trials);
  summary(`${base}.targeted_trials`, input.targetedTrials);
  summary(`${base}.k`, input.k);
  summary(`${base}.stored_shards`, input.storedShards);
  summary(`${base}.epsilon`, input.epsilon);
  summary(`${base}.p_segment_lost_resolution`, r.pSegmentResolution);
  summary(`${base}.p_any_lost_resolution`, r.pAnyResolution);
  for (const pt of r.points) {
    const at = `${base}.${pt.model}.${pt.key}`;
    summary(`${at}.failed_nodes`, pt.failedNodes);
    summary(`${at}.segments_lost_mean`, pt.segmentsLostMean);
    summary(`${at}.p_segment_lost`, pt.pSegmentLost);
    summary(`${at}.p_segment_lost_ci_lo`, pt.pSegmentLostCi[0]);
    summary(`${at}.p_segment_lost_ci_hi`, pt.pSegmentLostCi[1]);
    summary(`${at}.p_segment_lost_theory`, pt.pSegmentLostTheory);
    summary(`${at}.design_effect`, pt.designEffect);
    summary(`${at}.p_any_lost`, pt.pAnyLost);
    summary(`${at}.p_any_lost_ci_lo`, pt.pAnyLostCi[0]);
    summary(`${at}.p_any_lost_ci_hi`, pt.pAnyLostCi[1]);
    summary(`${at}.p_any_lost_theory`, pt.pAnyLostTheory);
  }
  for (const model of ["random", "targeted"] as const) {
    summary(`${base}.${model}.f_max_at_epsilon_theory`, r.fMaxTheory[model]);
    summary(`${base}.${model}.f_max_at_epsilon_sim`, r.fMaxSim[model]);
    summary(`${base}.${model}.f_max_no_loss_observed`, r.fMaxNoLoss[model]);
  }
}

/** The experiment over the model's initial placement, recorded as summaries. */
export function runToleranceExperiment(model: {
  readonly segments: number;
  readonly k: number;
  readonly o: number;
  readonly n: number;
  readonly p: { tolerance: { fMax: number; fStep: number; trials: number; targetedTrials: number; epsilon: number } };
  readonly ledger: { holder: Int32Array };
  readonly table: { count: number };
  readonly kernel: { rng(label: string): Prng };
  readonly metrics: { summary(name: string, value: number): void };
}): ToleranceResult {
  const { segments: M, n } = model;
  const start = new Int32Array(M + 1);
  const holders: number[] = [];
  for (let s = 0; s < M; s++) {
    for (let j = 0; j < n; j++) {
      const h = model.ledger.holder[s * n + j];
      if (h >= 0) holders.push(h);
    }
    start[s + 1] = holders.length;
  }
  const t = model.p.tolerance;
  const input: ToleranceInput = {
    nodes: model.table.count, segments: M, k: model.k, storedShards: model.o,
    segmentStart: start, segmentHolders: Int32Array.from(holders),
    fMax: t.fMax, fStep: t.fStep, trials: t.trials, targetedTrials: t.targetedTrials, epsilon: t.epsilon,
    rng: (label) => model.kernel.rng(label),
  };
  const r = runTolerance(input);
  recordTolerance((name, value) => model.metrics.summary(name, value), input, r);
  return r;
}

// ─── Trials ─────────────────────────────────────────────────────────────────────────────────────────────────

interface NodeSegments {
  start: Int32Array;
  segs: Int32Array;
}

/** node → segments it holds (CSR), from segment → holders. */
function invert(input: ToleranceInput): NodeSegments {
  const N = input.nodes;
  const start = new Int32Array(N + 1);
  const h = input.segmentHolders;
  for (let p = 0; p < h.length; p++) start[h[p] + 1]++;
  for (let v = 0; v < N; v++) start[v + 1] += start[v];
  const fill = start.slice(0, N);
  const segs = new Int32Array(h.length);
  for (let s = 0; s < input.segments; s++) {
    for (let p = input.segmentStart[s]; p < input.segmentStart[s + 1]; p++) segs[fill[h[p]]++] = s;
  }
  return { start, segs };
}

class Scratch {
  readonly perm: Int32Array;
  readonly count: Int32Array;
  readonly gen: Int32Array;
  generation = 0;
  readonly failed: Uint8Array;
  readonly deficit: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly head: Int32Array;
  constructor(N: number, M: number, deficitMax: number) {
    this.perm = Int32Array.from({ length: N }, (_, i) => i);
    this.count = new Int32Array(M);
    this.gen = new Int32Array(M);
    this.failed = new Uint8Array(N);
    this.deficit = new Int32Array(M);
    this.next = new Int32Array(M);
    this.prev = new Int32Array(M);
    this.head = new Int32Array(Math.max(1, deficitMax) + 1);
  }
}

/** F uniform failures; returns segments that lost more than stored − k shards. */
function randomTrial(F: number, csr: NodeSegments, need: Int32Array, sc: Scratch, rng: Prng): number {
  const perm = sc.perm;
  const N = perm.length;
  const { count, gen } = sc;
  const g = ++sc.generation;
  const { start, segs } = csr;
  let lost = 0;
  // Partial Fisher–Yates: perm[0..F) is a uniform F-subset (perm stays a permutation between trials). Counts are
  // tagged with the trial's generation instead of being cleared, so a trial costs one pass over the failed holders.
  for (let j = 0; j < F; j++) {
    const r = j + rng.int(N - j);
    const v = perm[r];
    perm[r] = perm[j];
    perm[j] = v;
    for (let p = start[v], end = start[v + 1]; p < end; p++) {
      const s = segs[p];
      let c = 1;
      if (gen[s] === g) c = count[s] + 1;
      else gen[s] = g;
      count[s] = c;
      if (c === need[s]) lost++;
    }
  }
  return lost;
}

/** F failures spent greedily on the segments needing the fewest more failures; returns segments killed. */
function targetedTrial(F: number, csr: NodeSegments, input: ToleranceInput, need: Int32Array, sc: Scratch, rng: Prng): number {
  const M = input.segments;
  const { deficit, next, prev, head, failed } = sc;
  const D = head.length - 1;
  head.fill(-1);
  failed.fill(0);
  // A random order for ties, so the T trials are different adversaries' choices: segments enter the buckets in
  // the order (a + q·b) mod M with b coprime to M — a random affine permutation for two draws instead of M.
  const a = rng.int(Math.max(1, M));
  let b = 1 + rng.int(Math.max(1, M - 1));
  while (gcd(b, M) !== 1) b = 1 + rng.int(Math.max(1, M - 1));
  const unlink = (s: number) => {
    const d = deficit[s];
    if (prev[s] >= 0) next[prev[s]] = next[s]; else head[d] = next[s];
    if (next[s] >= 0) prev[next[s]] = prev[s];
  };
  const link = (s: number) => {
    const d = deficit[s];
    prev[s] = -1;
    next[s] = head[d];
    if (head[d] >= 0) prev[head[d]] = s;
    head[d] = s;
  };
  for (let q = 0, s = a; q < M; q++, s = (s + b) % M) {
    deficit[s] = Math.min(D, need[s]);
    if (deficit[s] > 0) link(s);
  }
  let budget = F;
  let lost = 0;
  const fail = (v: number) => {
    failed[v] = 1;
    budget--;
    for (let p = csr.start[v]; p < csr.start[v + 1]; p++) {
      const s = csr.segs[p];
      if (deficit[s] <= 0) continue;
      unlink(s);
      if (--deficit[s] === 0) lost++;
      else link(s);
    }
  };
  for (;;) {
    let d = 1;
    while (d <= D && head[d] < 0) d++;
    if (d > D || d > budget) break;
    const s = head[d];
    for (let p = input.segmentStart[s]; p < input.segmentStart[s + 1] && deficit[s] > 0; p++) {
      const v = input.segmentHolders[p];
      if (failed[v] === 0) fail(v);
    }
  }
  return lost;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
