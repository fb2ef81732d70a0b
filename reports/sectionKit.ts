/**
 * reports/sectionKit.ts — the contract and the helpers for a model's report section.
 *
 * Purpose: a model's report section is a function `(data: ReportData) => ReportSection | undefined` registered in
 * reports/sections.ts under its metric prefix (DESIGN.md §5 "its report section"). This module holds that
 * contract and the few helpers a section needs, so a section is a handful of lines: pick series or metrics by
 * name, say how to read them, and return charts.
 *
 * Method
 * - `seriesPoints` turns stored time series into chart points. `value` plots samples as stored (gauges, or
 *   counters as running totals); `rate` plots a counter's increase per second over each sampling interval (the
 *   point at t covers the interval ending at t, drawn as a step; the first interval's value is also placed at
 *   the first sample time so its step starts there); `delta` the increase per interval. `scale` multiplies (e.g. bytes/s → Mbit/s).
 * - One run: its own values. Several runs: for each run group (same scenario and overrides) the mean over the
 *   group's completed runs at each sample time, with a 95 % Student-t band; times come from the group's first
 *   completed run and other runs are matched by exact sample time (runs of one scenario share the sampling grid).
 * - Series that are zero at every point can be left out (`dropAllZero`), and the caption says which were.
 */
import type { Chart, CiPoint, CiRow, SeriesPoint, TimeUnit } from "./charts.ts";
import { ciChart, lineChart, timeUnitFor } from "./charts.ts";
import { escapeHtml, parseMetricName } from "./format.ts";
import type { ReportData, RunData, RunGroup } from "./queries.ts";
import { summarize } from "./stats.ts";

export type { ReportData, RunData, RunGroup } from "./queries.ts";
export type { Chart } from "./charts.ts";

/** What a section builder returns. */
export interface ReportSection {
  /** Heading of the section. */
  title: string;
  /** HTML placed under the heading, before the charts: the "how to read this" paragraph, extra tables. */
  html: string;
  /** Charts, in display order; ids must be unique in the report (prefix them with the model's name). */
  charts: Chart[];
}

/** A model's section: builds nothing (undefined) when the report has no data for it. */
export type SectionBuilder = (data: ReportData) => ReportSection | undefined;

export interface SectionEntry {
  /** Metric prefix this section covers, dot included (`net.`). Metrics with this prefix are not given a generic section. */
  prefix: string;
  /** Heading used for this prefix's block in the metrics table. */
  title: string;
  build: SectionBuilder;
}

/** The "how to read this" paragraph every section opens with (text is escaped; use `htmlText` for markup). */
export function howToRead(text: string, htmlText?: string): string {
  return `<p class="how"><strong>How to read this.</strong> ${htmlText ?? escapeHtml(text)}</p>`;
}

/** The sentence multi-run sections add: what the line and band mean. */
export const MULTI_RUN_NOTE =
  "With several runs, each line is the mean over the completed runs of one scenario at each sample time, and the shaded band is the 95 % confidence interval of that mean (Student t); a wide band means the seeds disagree.";

/** The chart time unit for this report (from the longest run). */
export function timeUnitOf(data: ReportData): TimeUnit {
  return timeUnitFor(data.simTimeUsMax);
}

/** Time-series names present in the report that start with `prefix`, in stable order. */
export function seriesWithPrefix(data: ReportData, prefix: string): string[] {
  return data.seriesNames.filter((n) => n.startsWith(prefix));
}

/** Summary-metric names present in the report that start with `prefix`, in stable order. */
export function metricsWithPrefix(data: ReportData, prefix: string): string[] {
  return data.metricNames.filter((n) => n.startsWith(prefix));
}

export type SeriesMode = "value" | "rate" | "delta";

export interface SeriesSpec {
  /** Stored time-series name. */
  name: string;
  /** Legend label (default: the name without its model prefix). */
  label?: string;
}

export interface SeriesOptions {
  mode?: SeriesMode;
  /** Multiplies every value (after the mode), e.g. 8 / 1e6 for bytes/s → Mbit/s. */
  scale?: number;
}

function transform(run: RunData, name: string, o: SeriesOptions): { tUs: number[]; v: number[] } | undefined {
  const col = run.series.values.get(name);
  if (col === undefined) return undefined;
  const mode = o.mode ?? "value";
  const scale = o.scale ?? 1;
  const t = run.series.tUs;
  const tUs: number[] = [], v: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if (mode === "value") { tUs.push(t[i]); v.push(col[i] * scale); continue; }
    if (i === 0) continue;
    const d = col[i] - col[i - 1];
    const dt = (t[i] - t[i - 1]) / 1e6;
    const x = mode === "rate" ? (dt > 0 ? (d / dt) * scale : NaN) : d * scale;
    // The first interval also gets a point at its start, so a step line draws it as a full step from t[0].
    if (i === 1) { tUs.push(t[0]); v.push(x); }
    tUs.push(t[i]);
    v.push(x);
  }
  return { tUs, v };
}

/** Groups that have data to plot: completed runs, or (one run only) the run whatever its status. */
function plottable(data: ReportData): { group: RunGroup; runs: RunData[] }[] {
  if (!data.multi) return data.groups.map((g) => ({ group: g, runs: g.runs }));
  return data.groups.filter((g) => g.included.length > 0).map((g) => ({ group: g, runs: g.included }));
}

/** Chart points for `specs`: one run's values, or per group the mean and 95 % band over its completed runs. */
export function seriesPoints(data: ReportData, specs: readonly SeriesSpec[], o: SeriesOptions = {}): SeriesPoint[] {
  const time = timeUnitOf(data);
  const groupsShown = plottable(data);
  const multiGroup = groupsShown.length > 1;
  const out: SeriesPoint[] = [];
  for (const { group, runs } of groupsShown) {
    const groupLabel = multiGroup ? group.label : "";
    for (const s of specs) {
      const label = s.label ?? parseMetricName(s.name).quantity;
      const per = runs.map((r) => transform(r, s.name, o)).filter((x): x is { tUs: number[]; v: number[] } => x !== undefined);
      if (per.length === 0) continue;
      if (!data.multi) {
        const only = per[0];
        for (let i = 0; i < only.tUs.length; i++) out.push({ t: only.tUs[i] / time.divisor, series: label, group: groupLabel, value: only.v[i] });
        continue;
      }
      const grid = per[0].tUs;
      const lookups = per.map((p) => new Map(p.tUs.map((t, i) => [t, p.v[i]] as const)));
      for (const t of grid) {
        const st = summarize(lookups.map((m) => m.get(t) ?? NaN));
        out.push({ t: t / time.divisor, series: label, group: groupLabel, value: st.mean, lo: st.ciLow, hi: st.ciHigh });
      }
    }
  }
  return out;
}

export interface SeriesChartOptions extends SeriesOptions {
  id: string;
  title: string;
  yTitle: string;
  series: readonly SeriesSpec[];
  caption?: string;
  yFormat?: string;
  yZero?: boolean;
  interpolate?: "linear" | "step-before" | "step-after";
  legendTitle?: string;
  /** Leave out series that are zero (or missing) at every point; the caption names them. Default false. */
  dropAllZero?: boolean;
}

/** A time-series chart of `series` (undefined when none of them has data). */
export function seriesChart(data: ReportData, o: SeriesChartOptions): Chart | undefined {
  let points = seriesPoints(data, o.series, o);
  let caption = o.caption ?? "";
  if (o.dropAllZero) {
    const nonZero = new Set(points.filter((p) => Number.isFinite(p.value) && p.value !== 0).map((p) => p.series));
    const dropped = [...new Set(points.map((p) => p.series))].filter((s) => !nonZero.has(s));
    if (dropped.length > 0) {
      points = points.filter((p) => nonZero.has(p.series));
      caption = `${caption}${caption ? " " : ""}Always zero, not drawn: ${dropped.join(", ")}.`;
    }
  }
  if (points.length === 0) return undefined;
  const interpolate = o.interpolate ?? (o.mode === "rate" || o.mode === "delta" ? "step-before" : "linear");
  return lineChart({
    id: o.id, title: o.title, caption: caption || undefined, yTitle: o.yTitle, time: timeUnitOf(data), points,
    interpolate, yZero: o.yZero, yFormat: o.yFormat, legendTitle: o.legendTitle,
  });
}

export interface MetricSpec {
  name: string;
  label?: string;
}

export interface MetricsChartOptions {
  id: string;
  title: string;
  xTitle: string;
  metrics: readonly MetricSpec[];
  caption?: string;
  xFormat?: string;
  xZero?: boolean;
  /** Also draw for a single run (its values as points, no interval). Default false: multi-run only. */
  single?: boolean;
}

/**
 * Final metric values with their 95 % CI across runs: one row per metric, each run a dot (undefined when the
 * report has one run and `single` is not set, or none of the metrics exists).
 */
export function metricsChart(data: ReportData, o: MetricsChartOptions): Chart | undefined {
  if (!data.multi && !o.single) return undefined;
  const groupsShown = plottable(data);
  const multiGroup = groupsShown.length > 1;
  const rows: CiRow[] = [];
  const points: CiPoint[] = [];
  for (const { group, runs } of groupsShown) {
    const g = multiGroup ? group.label : "";
    for (const m of o.metrics) {
      const values = runs.map((r) => r.metricMap.get(m.name));
      if (values.every((v) => v === undefined)) continue;
      const label = m.label ?? m.name;
      const st = summarize(values.map((v) => v ?? NaN));
      rows.push({ metric: label, group: g, mean: st.mean, lo: st.ciLow, hi: st.ciHigh, n: st.n });
      runs.forEach((r, i) => {
        const v = values[i];
        if (v !== undefined && Number.isFinite(v)) points.push({ metric: label, group: g, value: v, run: `${r.run.runId} (seed ${r.run.seed})` });
      });
    }
  }
  if (rows.length === 0) return undefined;
  return ciChart({ id: o.id, title: o.title, caption: o.caption, xTitle: o.xTitle, rows, points, xFormat: o.xFormat, xZero: o.xZero });
}

/** Drops undefined entries (charts a helper declined to build). */
export function charts(...cs: (Chart | undefined)[]): Chart[] {
  return cs.filter((c): c is Chart => c !== undefined);
}
