/**
 * sim/sweep/compare.ts — the numbers of `popsim compare`: parameter diff, paired statistics, guardrails.
 *
 * Purpose: a governance reviewer asks "which metrics move, by how much, with what confidence, and does anything
 * cross a guardrail?". Baseline and proposal run with the same seeds, so each seed gives a *pair* of runs that
 * share every random stream the change did not touch; differences are taken within pairs, which removes the
 * seed-to-seed noise both sides share (the paired design is why few seeds suffice).
 *
 * Method (pure functions; no I/O)
 * - Parameter diff: both resolved scenarios flattened to dotted leaf paths (array items by index); every path
 *   whose canonical JSON differs is listed. `seed` is left out: pairs share it by construction.
 * - Per metric, over seeds where both runs completed and both values are finite (n pairs):
 *   baseline mean, proposal mean, mean difference d̄ = mean(p − b), sample sd s_d (n − 1), and the 95 %
 *   interval d̄ ± t(0.975, n − 1)·s_d/√n (Student t on the paired differences; `tQuantile` from reports/stats.ts).
 *   Effect size: Cohen's d_z = d̄ / s_d. When s_d = 0: d̄ = 0 gives d_z = 0 (nothing moved, in any seed);
 *   d̄ ≠ 0 gives d_z = null with a note (every seed moved by exactly the same amount, so d_z is infinite), and
 *   the interval collapses to [d̄, d̄]. n < 2: no sd, interval or d_z (null). A metric "moved" when its
 *   interval excludes 0.
 * - Guardrails (`guardrails` of the proposal's and the baseline's scenarios, de-duplicated) are judged on the
 *   proposal's runs, conservatively: the one-sample 95 % interval of the proposal's mean must satisfy the bound —
 *   its upper end for `<=`/`<`, its lower end for `>=`/`>` — so a pass means "the bound holds even at the
 *   unfavourable end of the interval", not merely "the mean is on the right side". Fewer than 2 finite values, or
 *   a metric the runs do not produce, fail (no evidence is not a pass). The baseline's interval and verdict are
 *   given beside it, so a reviewer sees whether the proposal broke the guardrail or the baseline already did.
 * Floats are fine here: these are report numbers, computed after the runs.
 */
import { mean as ssMean, sampleStandardDeviation } from "simple-statistics";
import { tQuantile } from "../../reports/stats.ts";
import { canonicalJson } from "../store/canonicalJson.ts";
import type { Guardrail } from "../../scenarios/schema.ts";

export const CONFIDENCE = 0.95;

// ─── Parameter diff ──────────────────────────────────────────────────────────────────────────────────────────

export interface ParamChange {
  path: string;
  /** null when the path does not exist on that side. */
  baseline: unknown;
  proposal: unknown;
}

function flatten(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (v !== null && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, v);
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, v);
  }
}

/** Leaf paths whose values differ between two resolved scenarios (`seed` excluded), sorted by path. */
export function paramDiff(baseline: unknown, proposal: unknown): ParamChange[] {
  const a = new Map<string, unknown>(), b = new Map<string, unknown>();
  flatten(baseline, "", a);
  flatten(proposal, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => p !== "seed").sort();
  const out: ParamChange[] = [];
  for (const p of paths) {
    const x = a.has(p) ? a.get(p) : undefined, y = b.has(p) ? b.get(p) : undefined;
    if (canonicalJson(x) !== canonicalJson(y)) out.push({ path: p, baseline: x ?? null, proposal: y ?? null });
  }
  return out;
}

// ─── Paired statistics ───────────────────────────────────────────────────────────────────────────────────────

export interface MetricComparison {
  name: string;
  /** Pairs used (both runs completed, both values finite). */
  n: number;
  /** Pairs left out because a value was NaN/infinite or missing on one side. */
  excluded: number;
  baselineMean: number | null;
  proposalMean: number | null;
  /** Mean of (proposal − baseline) over the pairs. */
  diffMean: number | null;
  /** Sample sd of the differences (n − 1); null when n < 2. */
  diffSd: number | null;
  /** 95 % CI of the mean difference (Student t, n − 1 df); null when n < 2. */
  ciLow: number | null;
  ciHigh: number | null;
  /** diffMean / |baselineMean| (null when the baseline mean is 0 or missing). */
  relativeDiff: number | null;
  /** Cohen's d_z = diffMean / diffSd; see the header for sd = 0. */
  effectSize: number | null;
  effectSizeNote?: string;
  /** The CI excludes 0. */
  moved: boolean;
}

const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** Paired comparison of one metric from per-seed values (undefined = that run lacks the metric). */
export function comparePaired(name: string, baseline: readonly (number | undefined)[], proposal: readonly (number | undefined)[]): MetricComparison {
  if (baseline.length !== proposal.length) throw new RangeError(`comparePaired(${name}): ${baseline.length} baseline values but ${proposal.length} proposal values`);
  const b: number[] = [], p: number[] = [];
  for (let i = 0; i < baseline.length; i++) {
    if (finite(baseline[i]) && finite(proposal[i])) { b.push(baseline[i]!); p.push(proposal[i]!); }
  }
  const n = b.length;
  const base: MetricComparison = {
    name, n, excluded: baseline.length - n, baselineMean: null, proposalMean: null, diffMean: null, diffSd: null,
    ciLow: null, ciHigh: null, relativeDiff: null, effectSize: null, moved: false,
  };
  if (n === 0) return { ...base, effectSizeNote: "no seed has a finite value on both sides" };
  const d = p.map((x, i) => x - b[i]);
  const bm = ssMean(b), pm = ssMean(p), dm = ssMean(d);
  const rel = bm !== 0 ? dm / Math.abs(bm) : null;
  if (n < 2) return { ...base, baselineMean: bm, proposalMean: pm, diffMean: dm, relativeDiff: rel, effectSizeNote: "one pair: no sd, interval or effect size" };
  const sd = sampleStandardDeviation(d);
  const half = sd === 0 ? 0 : tQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * (sd / Math.sqrt(n));
  const lo = dm - half, hi = dm + half;
  let effectSize: number | null, note: string | undefined;
  if (sd > 0) effectSize = dm / sd;
  else if (dm === 0) { effectSize = 0; note = "no seed moved: every difference is 0"; }
  else { effectSize = null; note = "every seed moved by exactly the same amount (sd of differences = 0): d_z is infinite"; }
  return {
    ...base, baselineMean: bm, proposalMean: pm, diffMean: dm, diffSd: sd, ciLow: lo, ciHigh: hi, relativeDiff: rel,
    effectSize, ...(note ? { effectSizeNote: note } : {}), moved: lo > 0 || hi < 0,
  };
}

// ─── Guardrails ──────────────────────────────────────────────────────────────────────────────────────────────

export interface MeanInterval {
  n: number;
  mean: number | null;
  ciLow: number | null;
  ciHigh: number | null;
}

/** Mean and one-sample 95 % Student-t interval of the finite values. */
export function meanInterval(values: readonly (number | undefined)[]): MeanInterval {
  const v = values.filter(finite);
  const n = v.length;
  if (n === 0) return { n, mean: null, ciLow: null, ciHigh: null };
  const m = ssMean(v);
  if (n < 2) return { n, mean: m, ciLow: null, ciHigh: null };
  const sd = sampleStandardDeviation(v);
  const half = sd === 0 ? 0 : tQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, mean: m, ciLow: m - half, ciHigh: m + half };
}

export interface GuardrailVerdict extends MeanInterval {
  status: "pass" | "fail";
  /** Which end of the interval was held against the bound. */
  boundUsed: "ciHigh" | "ciLow";
  /** That end's value (null when there is no interval). */
  evidenceValue: number | null;
  reason: string;
}

export interface GuardrailCheck {
  metric: string;
  op: Guardrail["op"];
  value: number;
  description: string;
  declaredIn: ("baseline" | "proposal")[];
  /** The verdict that counts: the proposal's runs. */
  status: "pass" | "fail";
  proposal: GuardrailVerdict;
  /** The same test on the baseline's runs, for context. */
  baseline: GuardrailVerdict;
}

const holds = (x: number, op: Guardrail["op"], bound: number) =>
  op === "<=" ? x <= bound : op === "<" ? x < bound : op === ">=" ? x >= bound : x > bound;

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/(\.\d*?)0+(e|$)/, "$1$2").replace(/\.(e|$)/, "$1"));

/** Judges one guardrail on one side's per-seed values (conservatively: see the header). */
export function judgeGuardrail(g: Pick<Guardrail, "metric" | "op" | "value">, values: readonly (number | undefined)[]): GuardrailVerdict {
  const iv = meanInterval(values);
  const upper = g.op === "<=" || g.op === "<";
  const boundUsed = upper ? "ciHigh" : "ciLow";
  const end = upper ? iv.ciHigh : iv.ciLow;
  if (iv.n === 0) {
    return { ...iv, status: "fail", boundUsed, evidenceValue: null, reason: `no run produced a finite ${g.metric}: no evidence, so not a pass` };
  }
  if (end === null) {
    return { ...iv, status: "fail", boundUsed, evidenceValue: null, reason: `only ${iv.n} value: no confidence interval, so no conservative pass (mean ${fmt(iv.mean!)})` };
  }
  const ok = holds(end, g.op, g.value);
  const which = upper ? "upper" : "lower";
  return {
    ...iv, status: ok ? "pass" : "fail", boundUsed, evidenceValue: end,
    reason: `95 % CI ${which} bound ${fmt(end)} ${ok ? "satisfies" : "violates"} ${g.metric} ${g.op} ${fmt(g.value)} (mean ${fmt(iv.mean!)}, n = ${iv.n})`,
  };
}

/** The guardrails of both scenarios (proposal's first), de-duplicated by (metric, op, value). */
export function mergeGuardrails(baseline: readonly Guardrail[], proposal: readonly Guardrail[]): (Guardrail & { declaredIn: ("baseline" | "proposal")[] })[] {
  const out = new Map<string, Guardrail & { declaredIn: ("baseline" | "proposal")[] }>();
  const add = (g: Guardrail, side: "baseline" | "proposal") => {
    const k = canonicalJson([g.metric, g.op, g.value]);
    const have = out.get(k);
    if (have) { if (!have.declaredIn.includes(side)) have.declaredIn.push(side); }
    else out.set(k, { ...g, declaredIn: [side] });
  };
  for (const g of proposal) add(g, "proposal");
  for (const g of baseline) add(g, "baseline");
  return [...out.values()];
}

export function checkGuardrails(
  guardrails: readonly (Guardrail & { declaredIn: ("baseline" | "proposal")[] })[],
  valuesOf: (side: "baseline" | "proposal", metric: string) => (number | undefined)[],
): GuardrailCheck[] {
  return guardrails.map((g) => {
    const proposal = judgeGuardrail(g, valuesOf("proposal", g.metric));
    const baseline = judgeGuardrail(g, valuesOf("baseline", g.metric));
    return { metric: g.metric, op: g.op, value: g.value, description: g.description, declaredIn: g.declaredIn, status: proposal.status, proposal, baseline };
  });
}
