/**
 * Durability under churn with lazy repair: the run's segment losses against the object Markov chain.
 *
 * Purpose: part (c) of the tolerance report (issue 3 item 8): over a simulated year with transient and permanent
 * masternode departures and lazy repair on, compare the number of segments lost with what the lazy-repair Markov
 * chain (`mttdlLazyRepair`, DOMAIN.md §a) predicts, and the repair bandwidth with Giroire's B_R.
 *
 * Method: the chain's inputs are *measured* in the run, so the comparison tests the chain's structure (independent
 * exponential shard failures, exponential repair once below m, repair back to o) rather than our guess at rates:
 * - α: ground-truth shard failures (a stored shard's bytes lost: departure, corruption, discard, or dropped while
 *   intact) per intact-shard-time. Transient absences are not failures: the bytes come back.
 * - repair time: the model reacts to a failure only after the detection delay D, then the segment waits in the
 *   queue and is rebuilt; the chain's 1/γ is taken as D + the mean measured time from "below m" to "back to o"
 *   (storage.time_to_repair_s). This is the approximation to look at first if the two disagree: real repair
 *   times are closer to constant than exponential, and transient absences longer than D trigger extra repairs
 *   that the chain does not know about (both make the chain pessimistic).
 * - The chain starts every segment at o healthy shards (the success threshold, where uploads and repairs stop);
 *   expected losses over the run = M·(1 − e^(−T/MTTDL)); the observed count gets a 95 % Clopper–Pearson interval
 *   (each segment is lost at most once).
 *
 * - The same chain with an Erlang(32) repair time of the same mean (≈ fixed, as a detection delay is) is the
 *   second prediction: with a fixed window the chance of further failures inside it is about half the
 *   exponential's when two more are needed, so this one should sit closer to the run.
 * - Repairs per segment per year against α / Σ_{i=m}^{o} 1/i (the time to fall from o to m − 1 alive), and bytes
 *   moved per byte stored against Giroire's B_R, whose ln(n/m) approximation of that sum is coarse for small o − m.
 *
 * Metric names (summaries): storage.durability.{years, alpha_per_year, alpha_declared_per_year, detection_delay_s,
 * mean_repair_time_s, mttdl_years_theory, segments_lost_expected, mttdl_years_theory_fixed_repair,
 * segments_lost_expected_fixed_repair, segments_lost, segments_lost_ci_lo, segments_lost_ci_hi,
 * repairs_per_segment_per_year, repairs_per_segment_per_year_theory, repair_bandwidth_ratio_per_year,
 * repair_bandwidth_ratio_theory_per_year}; the time series storage.repair_bandwidth_bps (per metrics interval).
 */
import { SECOND, parseDuration } from "../../sim/kernel/time.ts";
import { absorptionTimes, clopperPearsonInterval, mttdlLazyRepair, repairBandwidthRatio } from "./theory.ts";
import type { StorageModel } from "./model.ts";

const YEAR_S = 365 * 24 * 3600;
/** Erlang phases standing in for a fixed repair time (CV = 1/√32 ≈ 0.18). */
const FIXED_REPAIR_PHASES = 32;

/**
 * MTTDL of the lazy-repair chain with an Erlang(r) repair time of mean 1/γ instead of an exponential one (r = 1 is
 * `mttdlLazyRepair`; large r approaches a fixed repair time, which is what a detection delay is). States: i ≥ m
 * alive shards with no repair pending, and (i, phase) for k ≤ i < m; a failure keeps the repair's progress (the
 * timer started when the segment fell below m keeps running), and the last phase returns the object to n.
 */
export function mttdlLazyRepairErlang(p: { k: number; m: number; n: number; alpha: number; gamma: number; phases: number }): number {
  const { k, m, n, alpha, gamma, phases: r } = p;
  if (!(Number.isInteger(r) && r >= 1)) throw new RangeError(`phases must be a positive integer, got ${r}`);
  if (!(k >= 1 && k <= m && m <= n)) throw new RangeError(`need 1 ≤ k ≤ m ≤ n, got ${k}, ${m}, ${n}`);
  const upper = n - m + 1; // states n, n−1, …, m
  const size = upper + (m - k) * r;
  const index = (alive: number, phase: number) => (alive >= m ? n - alive : upper + (m - 1 - alive) * r + phase);
  const rates = new Float64Array(size * size);
  const absorb = new Float64Array(size);
  for (let alive = n; alive >= k; alive--) {
    for (let phase = 0; phase < (alive >= m ? 1 : r); phase++) {
      const from = index(alive, phase);
      const fail = alive * alpha;
      if (alive - 1 < k) absorb[from] += fail;
      else rates[from * size + index(alive - 1, alive - 1 >= m ? 0 : phase)] += fail;
      if (alive < m) {
        const to = phase + 1 < r ? index(alive, phase + 1) : index(n, 0);
        rates[from * size + to] += r * gamma;
      }
    }
  }
  return absorptionTimes(rates, absorb)[0];
}

export interface DurabilityResult {
  years: number;
  alphaPerYear: number;
  alphaDeclaredPerYear: number;
  meanRepairTimeS: number;
  mttdlYears: number;
  lostExpected: number;
  mttdlFixedRepairYears: number;
  lostExpectedFixedRepair: number;
  repairsPerSegmentPerYear: number;
  repairsPerSegmentPerYearTheory: number;
  lost: number;
  lostCi: [number, number];
  bandwidthRatioPerYear: number;
  bandwidthRatioTheoryPerYear: number;
}

export function durabilityOf(model: StorageModel): DurabilityResult {
  const L = model.ledger;
  const T = Math.max(1, model.kernel.now);
  const years = T / SECOND / YEAR_S;
  // Shard-time is in µs·shards; rates per year.
  const perYear = (events: number, shardTimeUs: number) => (shardTimeUs > 0 ? events / (shardTimeUs / SECOND / YEAR_S) : 0);
  const alphaPerYear = perYear(L.intactFailures, L.intactShardTime);
  const alphaDeclaredPerYear = perYear(L.healthyFailures, L.healthyShardTime);
  const D = parseDuration(model.p.repair.detectionDelay)! / SECOND;
  const h = model.timeToRepair;
  const meanRepairTimeS = D + (h.count > 0 ? h.mean : 0);
  const gammaPerYear = model.p.repair.enabled ? YEAR_S / Math.max(1, meanRepairTimeS) : 0;
  let mttdlYears = Infinity, mttdlFixedRepairYears = Infinity;
  if (alphaPerYear > 0) {
    const chain = { k: model.k, m: model.m, n: model.o, alpha: alphaPerYear, gamma: gammaPerYear };
    mttdlYears = mttdlLazyRepair(chain);
    if (gammaPerYear > 0) mttdlFixedRepairYears = mttdlLazyRepairErlang({ ...chain, phases: FIXED_REPAIR_PHASES });
  }
  const M = model.segments;
  const expected = (mttdl: number) => (Number.isFinite(mttdl) ? M * -Math.expm1(-years / mttdl) : 0);
  const lostExpected = expected(mttdlYears);
  // Repairs: a segment is repaired each time it falls from o to m − 1 alive; at rate iα per state that takes
  // Σ_{i=m}^{o} 1/(iα) (ignoring the delay and the repair itself, which are short against 1/α).
  let harmonic = 0;
  for (let i = model.m; i <= model.o; i++) harmonic += 1 / i;
  const repairsPerSegmentPerYearTheory = alphaPerYear > 0 ? alphaPerYear / harmonic : 0;
  const lost = L.segmentsLost;
  const ci = clopperPearsonInterval(lost, Math.max(1, M), 0.95);
  // Repair bandwidth: bytes moved per byte stored per year, against Giroire's B_R at the measured α.
  const storedBytesMean = (L.intactShardTime / T) * model.shardBytes;
  const bandwidthRatioPerYear = storedBytesMean > 0 ? model.c.repairBytes.value / storedBytesMean / years : 0;
  const bandwidthRatioTheoryPerYear = alphaPerYear > 0 && model.m < model.o ? repairBandwidthRatio({ k: model.k, m: model.m, n: model.o, alpha: alphaPerYear }) : 0;
  return {
    years, alphaPerYear, alphaDeclaredPerYear, meanRepairTimeS, mttdlYears, lostExpected,
    mttdlFixedRepairYears, lostExpectedFixedRepair: expected(mttdlFixedRepairYears),
    repairsPerSegmentPerYear: M > 0 ? model.c.repairsCompleted.value / M / years : 0, repairsPerSegmentPerYearTheory, lost,
    lostCi: [ci.lower * M, ci.upper * M], bandwidthRatioPerYear, bandwidthRatioTheoryPerYear,
  };
}

export function recordDurability(model: StorageModel): DurabilityResult {
  const r = durabilityOf(model);
  const put = (name: string, v: number) => model.metrics.summary(`storage.durability.${name}`, v);
  put("years", r.years);
  put("alpha_per_year", r.alphaPerYear);
  put("alpha_declared_per_year", r.alphaDeclaredPerYear);
  put("detection_delay_s", parseDuration(model.p.repair.detectionDelay)! / SECOND);
  put("mean_repair_time_s", r.meanRepairTimeS);
  // Infinity is not storable: a chain that never loses is recorded as −1 years.
  put("mttdl_years_theory", Number.isFinite(r.mttdlYears) ? r.mttdlYears : -1);
  put("segments_lost", r.lost);
  put("segments_lost_ci_lo", r.lostCi[0]);
  put("segments_lost_ci_hi", r.lostCi[1]);
  put("segments_lost_expected", r.lostExpected);
  put("mttdl_years_theory_fixed_repair", Number.isFinite(r.mttdlFixedRepairYears) ? r.mttdlFixedRepairYears : -1);
  put("segments_lost_expected_fixed_repair", r.lostExpectedFixedRepair);
  put("repairs_per_segment_per_year", r.repairsPerSegmentPerYear);
  put("repairs_per_segment_per_year_theory", r.repairsPerSegmentPerYearTheory);
  put("repair_bandwidth_ratio_per_year", r.bandwidthRatioPerYear);
  put("repair_bandwidth_ratio_theory_per_year", r.bandwidthRatioTheoryPerYear);
  return r;
}
