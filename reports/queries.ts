/**
 * reports/queries.ts — what a report reads from the results store.
 *
 * Purpose: turn a selector (a run id, a unique or shared run-id prefix, or a sweep id) into the runs it names and
 * everything a report shows about them: identity, summary metrics, time series pivoted by metric name, the line
 * that reproduces each run, and — for several runs (seeds) of one scenario — per-metric mean, standard deviation
 * and 95 % Student-t confidence interval over the runs that completed.
 *
 * Method
 * - Resolution order: exact run id → sweep id → run-id prefix (all runs that start with it, so `default-s` is a
 *   set). Runs are sorted by (scenario, seed, run id): the same selector always gives the same order.
 * - Runs are grouped by (scenario, resolved parameters without the seed). A group's statistics use only runs
 *   whose status is `completed`; the others are listed as excluded, with their status. A group whose runs come
 *   from several code versions says so.
 * - The reproduce line: the stored parameters are compared with the scenario's built-in file resolved with the
 *   same seed; every difference becomes a `--set path=value`. The line is then checked by loading the scenario
 *   with those overrides and comparing canonical JSON with the stored text; if that fails (a scenario from a
 *   file, or a difference `--set` cannot express), the report falls back to running the stored parameters from
 *   a JSON file written beside the report.
 * - Metric order is the order the first run registered them (the store keeps write order); names only other
 *   runs have are appended in the order met. Nothing here depends on hash or locale order.
 * Imports: the store, and scenarios/load.ts for the reproduce line (scenario files are data, not code).
 */
import type { Metric, RunRow, RunStatus, Store, TimeseriesRows } from "../sim/store/store.ts";
import { StoreError } from "../sim/store/store.ts";
import { canonicalJson } from "../sim/store/canonicalJson.ts";
import { loadScenario } from "../scenarios/load.ts";
import { summarize, type Summary } from "./stats.ts";

/** The selector named no run (or was malformed): bad input for the CLI. */
export class ReportInputError extends Error {
  readonly _tag = "ReportInputError";
}

export type SelectorKind = "run" | "sweep" | "prefix";

export interface ResolvedRuns {
  selector: string;
  kind: SelectorKind;
  /** A name for the report: the full run id for one run, else the sweep id or the prefix. */
  id: string;
  runs: RunRow[];
}

const RUNS_MAX = 100_000;

const byRunOrder = (a: RunRow, b: RunRow) =>
  a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : a.seed - b.seed || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

/** Resolves a run id, sweep id or run-id prefix to its runs (sorted by scenario, seed, run id). */
export async function resolveRuns(store: Store, selector: string): Promise<ResolvedRuns> {
  if (typeof selector !== "string" || selector.trim() === "") throw new ReportInputError("run selector: got an empty string; expected a run id, a run-id prefix or a sweep id");
  try {
    const exact = await store.getRun(selector);
    if (exact.runId === selector) return { selector, kind: "run", id: exact.runId, runs: [exact] };
  } catch (e) {
    if (!(e instanceof StoreError) || (e.kind !== "not-found" && e.kind !== "ambiguous")) throw e;
  }
  const sweep = await store.listRuns({ sweepId: selector, limit: RUNS_MAX });
  if (sweep.length > 0) return { selector, kind: "sweep", id: selector, runs: [...sweep].sort(byRunOrder) };
  const all = await store.listRuns({ limit: RUNS_MAX });
  const matching = all.filter((r) => r.runId.startsWith(selector)).sort(byRunOrder);
  if (matching.length === 0) {
    const known = all.slice(0, 5).map((r) => r.runId);
    throw new ReportInputError(
      `run selector: got '${selector}'; expected a run id, a run-id prefix or a sweep id in ${store.path}` +
      (known.length > 0 ? ` (newest runs: ${known.join(", ")})` : " (the database has no runs)"));
  }
  if (matching.length === 1) return { selector, kind: "prefix", id: matching[0].runId, runs: matching };
  return { selector, kind: "prefix", id: selector, runs: matching };
}

// ─── Time series ────────────────────────────────────────────────────────────────────────────────────────────

/** A run's time series as a wide table: one column per metric name over sorted sample times. */
export interface SeriesTable {
  /** Sample times, ascending, distinct (µs of simulated time). */
  tUs: number[];
  /** Metric names in the order first written. */
  names: string[];
  /** name → values aligned with `tUs` (NaN where that name has no sample). */
  values: Map<string, Float64Array>;
}

/** Pivots long time-series rows (t, name, value) by name. A repeated (t, name) keeps the last value written. */
export function pivotTimeseries(rows: TimeseriesRows): SeriesTable {
  const n = rows.tUs.length;
  const times: number[] = [];
  const seenT = new Set<number>();
  const names: string[] = [];
  const seenName = new Set<string>();
  for (let i = 0; i < n; i++) {
    const t = rows.tUs[i];
    if (!seenT.has(t)) { seenT.add(t); times.push(t); }
    const name = rows.name[i];
    if (!seenName.has(name)) { seenName.add(name); names.push(name); }
  }
  times.sort((a, b) => a - b);
  const index = new Map<number, number>();
  times.forEach((t, i) => index.set(t, i));
  const values = new Map<string, Float64Array>();
  for (const name of names) values.set(name, new Float64Array(times.length).fill(NaN));
  for (let i = 0; i < n; i++) values.get(rows.name[i])![index.get(rows.tUs[i])!] = rows.value[i];
  return { tUs: times, names, values };
}

// ─── Reproduce line ─────────────────────────────────────────────────────────────────────────────────────────

export interface Reproduce {
  /** The shell line, e.g. `npx popsim run default --seed 7 --set network.loss=0.01`. */
  line: string;
  /** The `--set` values in that line (empty if none or if `exact` is false). */
  sets: string[];
  /**
   * True when loading the built-in scenario with these overrides and seed gives exactly the stored parameters
   * (checked). False: the line runs the stored parameters from `paramsFile` instead.
   */
  exact: boolean;
  /** Set when `exact` is false: the file name (relative to the report) the line expects the parameters in. */
  paramsFile?: string;
  note: string;
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function commandLine(scenario: string, seed: number, sets: readonly string[]): string {
  const parts = ["npx", "popsim", "run", scenario, "--seed", String(seed)];
  for (const s of sets) parts.push("--set", s);
  return parts.map(shellQuote).join(" ");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A value as `--set` reads it back: JSON, except plain strings that do not parse as JSON. */
function setValue(v: unknown): string {
  if (typeof v === "string") {
    try {
      JSON.parse(v);
      return JSON.stringify(v); // "123", "true" … must stay strings
    } catch {
      return v;
    }
  }
  return JSON.stringify(v);
}

/** The `--set` overrides that turn `base` into `target` (both canonical JSON values); undefined if not expressible. */
function diffSets(base: unknown, target: unknown, path: string[], out: string[]): boolean {
  if (canonicalJson(base) === canonicalJson(target)) return true;
  if (isObject(base) && isObject(target)) {
    const sameKeys = canonicalJson(Object.keys(base).sort()) === canonicalJson(Object.keys(target).sort());
    const sameTag = !("dist" in target) || base.dist === target.dist;
    if (sameKeys && sameTag) {
      for (const k of Object.keys(target).sort()) {
        if (path.length === 0 && k === "seed") continue; // --seed carries it
        if (!diffSets(base[k], target[k], [...path, k], out)) return false;
      }
      return true;
    }
  } else if (Array.isArray(base) && Array.isArray(target) && base.length === target.length) {
    for (let i = 0; i < target.length; i++) if (!diffSets(base[i], target[i], [...path, String(i)], out)) return false;
    return true;
  }
  if (path.length === 0) return false;
  out.push(`${path.join(".")}=${setValue(target)}`);
  return true;
}

/** The params file a fallback reproduce line names, relative to the report. */
export function paramsFileName(runId: string): string {
  return `params/${runId.replace(/[^A-Za-z0-9._-]+/g, "_")}.json`;
}

/** The line that reproduces `run`: scenario + seed + the `--set` overrides that give its stored parameters. */
export function reproduceFor(run: RunRow): Reproduce {
  const fallback = (why: string): Reproduce => {
    const paramsFile = paramsFileName(run.runId);
    return {
      line: commandLine(paramsFile, run.seed, []),
      sets: [],
      exact: false,
      paramsFile,
      note: `${why}; the line runs the stored parameters, which this report writes to ${paramsFile} (run it from the report's folder)`,
    };
  };
  let stored: unknown;
  try {
    stored = JSON.parse(run.paramsJson);
  } catch {
    return fallback("the stored parameters are not valid JSON");
  }
  let base: unknown;
  try {
    base = JSON.parse(canonicalJson(loadScenario(run.scenario, [], run.seed).scenario));
  } catch {
    return fallback(`'${run.scenario}' is not a built-in scenario (it came from a file)`);
  }
  const sets: string[] = [];
  if (!diffSets(base, stored, [], sets)) return fallback("the stored parameters differ from the scenario in a way --set cannot express");
  try {
    const check = canonicalJson(loadScenario(run.scenario, sets, run.seed).scenario);
    if (check !== canonicalJson(stored)) return fallback("the derived --set line does not give back the stored parameters");
  } catch {
    return fallback("the derived --set line is rejected by the current scenario schema");
  }
  return {
    line: commandLine(run.scenario, run.seed, sets),
    sets,
    exact: true,
    note: sets.length === 0
      ? `the built-in scenario '${run.scenario}' unchanged, with seed ${run.seed}`
      : `the built-in scenario '${run.scenario}' with ${sets.length} override${sets.length === 1 ? "" : "s"}, checked to give exactly the stored parameters`,
  };
}

// ─── Runs, groups, statistics ───────────────────────────────────────────────────────────────────────────────

export interface RunData {
  run: RunRow;
  /** Summary metrics in the order written. */
  metrics: Metric[];
  metricMap: ReadonlyMap<string, number>;
  series: SeriesTable;
  reproduce: Reproduce;
}

/** Reads one run's metrics and time series. */
export async function loadRunData(store: Store, run: RunRow): Promise<RunData> {
  const metrics = await store.getMetrics(run.runId);
  const series = pivotTimeseries(await store.getTimeseries(run.runId));
  return { run, metrics, metricMap: new Map(metrics.map((m) => [m.name, m.value])), series, reproduce: reproduceFor(run) };
}

export interface MetricStat extends Summary {
  name: string;
}

export interface ExcludedRun {
  runId: string;
  seed: number;
  status: RunStatus;
  reason: string | null;
}

export interface RunGroup {
  /** Scenario + canonical parameters without the seed. */
  key: string;
  /** Scenario name plus its `--set` overrides, for legends and headings. */
  label: string;
  scenario: string;
  runs: RunData[];
  /** Runs with status `completed`: the ones statistics use. */
  included: RunData[];
  excluded: ExcludedRun[];
  /** Per metric over `included`. */
  stats: MetricStat[];
  codeVersions: string[];
}

function paramsWithoutSeed(run: RunRow): string {
  try {
    const p = JSON.parse(run.paramsJson) as unknown;
    if (isObject(p)) { const { seed: _seed, ...rest } = p; return canonicalJson(rest); }
    return canonicalJson(p);
  } catch {
    return run.paramsJson;
  }
}

/** Metric names over `runs`: the first run's order, then names only later runs have, in the order met. */
export function metricNamesOf(runs: readonly RunData[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) for (const m of r.metrics) if (!seen.has(m.name)) { seen.add(m.name); out.push(m.name); }
  return out;
}

/** Mean, sd and 95 % CI of every metric over `runs` (missing values count as non-finite). */
export function metricStats(runs: readonly RunData[], names: readonly string[] = metricNamesOf(runs)): MetricStat[] {
  return names.map((name) => ({ name, ...summarize(runs.map((r) => r.metricMap.get(name) ?? NaN)) }));
}

/** Groups runs by (scenario, parameters without seed), in order of first appearance. */
export function groupRuns(runs: readonly RunData[]): RunGroup[] {
  const groups = new Map<string, RunData[]>();
  for (const r of runs) {
    const key = `${r.run.scenario}\u0000${paramsWithoutSeed(r.run)}`;
    const g = groups.get(key);
    if (g) g.push(r); else groups.set(key, [r]);
  }
  const out: RunGroup[] = [];
  for (const [key, members] of groups) {
    const first = members[0];
    const sets = first.reproduce.exact ? first.reproduce.sets : [];
    const label = [first.run.scenario, ...sets].join(" ");
    const included = members.filter((m) => m.run.status === "completed");
    const excluded = members.filter((m) => m.run.status !== "completed")
      .map((m) => ({ runId: m.run.runId, seed: m.run.seed, status: m.run.status, reason: m.run.reason }));
    out.push({
      key, label, scenario: first.run.scenario, runs: members, included, excluded,
      stats: metricStats(included, metricNamesOf(members)),
      codeVersions: [...new Set(members.map((m) => m.run.codeVersion + (m.run.codeDirty ? " (dirty)" : "")))].sort(),
    });
  }
  // Same label twice (a file scenario whose params differ): make labels distinct and stable.
  const count = new Map<string, number>();
  for (const g of out) {
    const n = (count.get(g.label) ?? 0) + 1;
    count.set(g.label, n);
    if (n > 1) g.label = `${g.label} #${n}`;
  }
  return out;
}

export interface ReportData {
  selector: string;
  kind: SelectorKind;
  /** Name of the report (file name stem, default out dir). */
  id: string;
  /** More than one run: the report shows statistics across runs. */
  multi: boolean;
  runs: RunData[];
  groups: RunGroup[];
  /** Every metric name over all runs, in a stable order. */
  metricNames: string[];
  /** Every time-series name over all runs, in a stable order. */
  seriesNames: string[];
  /** Longest simulated time over the runs (µs): charts pick their time unit from it. */
  simTimeUsMax: number;
}

/** Everything a report needs for `selector`. */
export async function loadReportData(store: Store, selector: string): Promise<ReportData> {
  const resolved = await resolveRuns(store, selector);
  const runs: RunData[] = [];
  for (const r of resolved.runs) runs.push(await loadRunData(store, r));
  const seriesNames: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) for (const n of r.series.names) if (!seen.has(n)) { seen.add(n); seriesNames.push(n); }
  let simTimeUsMax = 0;
  for (const r of runs) {
    simTimeUsMax = Math.max(simTimeUsMax, r.run.simTimeUs ?? 0, r.series.tUs[r.series.tUs.length - 1] ?? 0);
  }
  return {
    selector, kind: resolved.kind, id: resolved.id, multi: runs.length > 1, runs, groups: groupRuns(runs),
    metricNames: metricNamesOf(runs), seriesNames, simTimeUsMax,
  };
}
