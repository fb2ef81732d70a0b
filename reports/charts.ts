/**
 * reports/charts.ts — chart specs (Vega-Lite JSON) and their headless renderers (SVG, PNG).
 *
 * Purpose: every chart in a report is a Vega-Lite spec with its data inline, built by two functions — a time
 * series (lines per metric, optionally with a 95 % confidence band across seeds) and a confidence-interval chart
 * (one row per metric: each run's value as a dot, the mean, and the interval as a bar). The same spec renders to
 * a static SVG/PNG here and, with tooltips and zoom added, live in the HTML report.
 *
 * Method
 * - Vega-Lite → Vega (`vega-lite.compile`) → `new vega.View(…, { renderer: "none" })` → `view.toSVG()`: no DOM,
 *   no canvas. Text widths come from Vega's estimator, never from a canvas package that might be installed on
 *   one machine and not another (`textMetrics.width` is pinned to `estimateWidth` on load).
 * - Determinism: Vega numbers clip paths and gradients from module-level counters (`clip1`, `gradient_0`, …),
 *   so the ids of a chart would depend on which charts were drawn before it in the process. `renderSvg` resets
 *   the counters (`resetSVGDefIds`) and then renumbers every such id in order of first appearance, so the same
 *   data gives the same SVG bytes in any order and any process. Data values are rounded to 9 significant digits
 *   and NaN becomes null (a gap in the line), so the JSON is also stable.
 * - PNG: `@resvg/resvg-js` renders the SVG at 2× with the DejaVu fonts from /usr/share/fonts/truetype/dejavu
 *   (Debian `fonts-dejavu-core`). Without them it falls back to the system fonts and warns once: the PNG is
 *   still written, but its text may be missing.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";
import { Resvg } from "@resvg/resvg-js";

/** A Vega-Lite spec as plain JSON (data inline). */
export type VlSpec = { [key: string]: unknown };

export interface Chart {
  /** Unique within a report and file-name safe: becomes `charts/<id>.svg`. */
  id: string;
  title: string;
  /** One sentence under the chart: what is plotted and how it was derived. */
  caption?: string;
  /** The static spec (SVG/PNG). */
  spec: VlSpec;
  /** The same chart with tooltips and zoom/pan, for the interactive HTML. */
  interactive: VlSpec;
}

export const FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif";
export const CHART_WIDTH = 560;

/** The look every chart shares (fonts, grid, legend, title); sections drawing their own specs use it too. */
export const CHART_CONFIG: VlSpec = {
  font: FONT_FAMILY,
  background: "white",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", labelLimit: 260 },
  title: { fontSize: 13, fontWeight: "bold", anchor: "start" },
};

// ─── Time axis ──────────────────────────────────────────────────────────────────────────────────────────────

export interface TimeUnit {
  /** "h", "min", "d" or "s". */
  unit: string;
  /** µs per unit. */
  divisor: number;
  /** Axis title. */
  title: string;
}

/** The time unit that reads best for a run of `durationUs`. */
export function timeUnitFor(durationUs: number): TimeUnit {
  if (durationUs > 72 * 3.6e9) return { unit: "d", divisor: 8.64e10, title: "simulated time (days)" };
  if (durationUs > 2 * 3.6e9) return { unit: "h", divisor: 3.6e9, title: "simulated time (h)" };
  if (durationUs > 120e6) return { unit: "min", divisor: 6e7, title: "simulated time (min)" };
  return { unit: "s", divisor: 1e6, title: "simulated time (s)" };
}

/** Rounds to 9 significant digits and maps non-finite values to null (a gap). */
export function cleanNumber(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  if (v === 0) return 0;
  return Number(v.toPrecision(9));
}

// ─── Time-series chart ──────────────────────────────────────────────────────────────────────────────────────

export interface SeriesPoint {
  /** Time in the chart's unit. */
  t: number;
  /** Legend label of the line. */
  series: string;
  /** Run group (scenario + overrides) when a report covers several; "" otherwise. */
  group: string;
  value: number;
  /** Confidence band across runs (omit for one run). */
  lo?: number;
  hi?: number;
}

export interface LineChartOptions {
  id: string;
  title: string;
  caption?: string;
  yTitle: string;
  time: TimeUnit;
  points: readonly SeriesPoint[];
  /** "step-before" for per-interval rates (the value at t covers the interval ending at t). Default "linear". */
  interpolate?: "linear" | "step-before" | "step-after";
  /** Start the y axis at zero. Default true. */
  yZero?: boolean;
  /** d3 format for the y axis and tooltips, e.g. ".2%", "~s". */
  yFormat?: string;
  /** Legend title. Default "series". */
  legendTitle?: string;
}

/** Lines over simulated time, one per series (and dashed per group); a shaded band where lo/hi are given. */
export function lineChart(o: LineChartOptions): Chart {
  const series = [...new Set(o.points.map((p) => p.series))];
  const groups = [...new Set(o.points.map((p) => p.group))];
  const band = o.points.some((p) => p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo) && Number.isFinite(p.hi));
  const values = o.points.map((p) => {
    const row: Record<string, unknown> = { t: cleanNumber(p.t), series: p.series, group: p.group, value: cleanNumber(p.value) };
    if (band) { row.lo = cleanNumber(p.lo ?? NaN); row.hi = cleanNumber(p.hi ?? NaN); }
    return row;
  });
  const colorField = series.length > 1 || groups.length <= 1 ? "series" : "group";
  const dash = series.length > 1 && groups.length > 1;
  const color = {
    field: colorField, type: "nominal", sort: colorField === "series" ? series : groups,
    title: colorField === "series" ? (o.legendTitle ?? "series") : "runs",
    legend: { orient: "bottom", direction: "vertical", columns: Math.min(3, colorField === "series" ? series.length : groups.length), symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 2 },
  };
  const x = { field: "t", type: "quantitative", title: o.time.title, scale: { nice: false } };
  const yAxis: VlSpec = o.yFormat ? { format: o.yFormat } : {};
  const y = { field: "value", type: "quantitative", title: o.yTitle, scale: { zero: o.yZero ?? true }, axis: yAxis };
  const layers: VlSpec[] = [];
  if (band) {
    layers.push({
      mark: { type: "area", opacity: 0.18, interpolate: o.interpolate ?? "linear" },
      encoding: { x, y: { field: "lo", type: "quantitative", title: o.yTitle }, y2: { field: "hi" }, color, ...(dash ? { detail: { field: "group" } } : {}) },
    });
  }
  const lineEncoding: VlSpec = { x, y, color };
  if (dash) lineEncoding.strokeDash = { field: "group", type: "nominal", sort: groups, title: "runs", legend: { orient: "bottom", direction: "vertical" } };
  else if (groups.length > 1) lineEncoding.detail = { field: "group" };
  layers.push({ mark: { type: "line", strokeWidth: 1.6, interpolate: o.interpolate ?? "linear" }, encoding: lineEncoding });
  const spec: VlSpec = {
    title: { text: o.title },
    width: CHART_WIDTH,
    height: 200,
    config: CHART_CONFIG,
    data: { values },
    layer: layers,
  };
  const tooltip: VlSpec[] = [
    { field: "series", type: "nominal", title: o.legendTitle ?? "series" },
    ...(groups.length > 1 ? [{ field: "group", type: "nominal", title: "runs" }] : []),
    { field: "t", type: "quantitative", title: o.time.title, format: ",.3~f" },
    { field: "value", type: "quantitative", title: o.yTitle, format: o.yFormat ?? ",.4~g" },
    ...(band ? [{ field: "lo", type: "quantitative", title: "95 % CI low", format: o.yFormat ?? ",.4~g" }, { field: "hi", type: "quantitative", title: "95 % CI high", format: o.yFormat ?? ",.4~g" }] : []),
  ];
  const interactive: VlSpec = {
    ...spec,
    layer: [
      ...layers,
      {
        params: [{ name: "zoom", select: "interval", bind: "scales" }],
        mark: { type: "point", filled: true, size: 36, opacity: 0 },
        encoding: { x, y, color, tooltip },
      },
    ],
  };
  return { id: o.id, title: o.title, caption: o.caption, spec, interactive };
}

// ─── Confidence-interval chart ──────────────────────────────────────────────────────────────────────────────

export interface CiRow {
  metric: string;
  group: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface CiPoint {
  metric: string;
  group: string;
  value: number;
  /** Which run the dot is (tooltip). */
  run: string;
}

export interface CiChartOptions {
  id: string;
  title: string;
  caption?: string;
  xTitle: string;
  rows: readonly CiRow[];
  points: readonly CiPoint[];
  xFormat?: string;
  /** Start the x axis at zero. Default false (intervals are easier to compare zoomed in). */
  xZero?: boolean;
}

/** One row per metric: each run's value (grey dots), the mean (black diamond) and its 95 % CI (bar). */
export function ciChart(o: CiChartOptions): Chart {
  const metrics = [...new Set(o.rows.map((r) => r.metric))];
  const groups = [...new Set(o.rows.map((r) => r.group))];
  const multiGroup = groups.length > 1;
  const y = { field: "metric", type: "nominal", sort: metrics, title: null, axis: { labelLimit: 240 } };
  const yOffset = multiGroup ? { yOffset: { field: "group", type: "nominal", sort: groups } } : {};
  const color = multiGroup
    ? { color: { field: "group", type: "nominal", sort: groups, title: "runs", legend: { orient: "bottom", direction: "vertical" } } }
    : {};
  const xAxis: VlSpec = o.xFormat ? { format: o.xFormat } : {};
  const x = (field: string) => ({ field, type: "quantitative", title: o.xTitle, scale: { zero: o.xZero ?? false }, axis: xAxis });
  const rows = o.rows.map((r) => ({ metric: r.metric, group: r.group, mean: cleanNumber(r.mean), lo: cleanNumber(r.lo), hi: cleanNumber(r.hi), n: r.n }));
  const points = o.points.map((p) => ({ metric: p.metric, group: p.group, value: cleanNumber(p.value), run: p.run }));
  const hasInterval = rows.some((r) => r.lo !== null && r.hi !== null);
  const layers = (interactive: boolean): VlSpec[] => {
    const tip = (fields: VlSpec[]) => (interactive ? { tooltip: fields } : {});
    const fmt = o.xFormat ?? ",.4~g";
    const all: (VlSpec | undefined)[] = [
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 30, opacity: 0.45, color: "#888" },
        encoding: { x: x("value"), y, ...yOffset, ...tip([{ field: "run", title: "run" }, { field: "value", type: "quantitative", title: "value", format: fmt }]) },
      },
      hasInterval ? {
        data: { values: rows.filter((r) => r.lo !== null && r.hi !== null) },
        mark: { type: "rule", strokeWidth: 2.5, ...(multiGroup ? {} : { color: "#1f77b4" }) },
        encoding: {
          x: x("lo"), x2: { field: "hi" }, y, ...yOffset, ...color,
          ...tip([{ field: "metric", title: "metric" }, { field: "lo", type: "quantitative", title: "95 % CI low", format: fmt }, { field: "hi", type: "quantitative", title: "95 % CI high", format: fmt }, { field: "n", title: "runs" }]),
        },
      } : undefined,
      {
        data: { values: rows },
        mark: { type: "point", shape: "diamond", filled: true, size: 70, ...(multiGroup ? {} : { color: "black" }) },
        encoding: {
          x: x("mean"), y, ...yOffset, ...color,
          ...tip([{ field: "metric", title: "metric" }, { field: "mean", type: "quantitative", title: "mean", format: fmt }, { field: "n", title: "runs" }]),
        },
      },
    ];
    return all.filter((l): l is VlSpec => l !== undefined);
  };
  const base: VlSpec = {
    title: { text: o.title },
    width: CHART_WIDTH - 120,
    height: { step: multiGroup ? 18 * groups.length : 28 },
    config: CHART_CONFIG,
  };
  return {
    id: o.id, title: o.title, caption: o.caption,
    spec: { ...base, layer: layers(false) },
    interactive: { ...base, layer: layers(true) },
  };
}

// ─── Rendering ──────────────────────────────────────────────────────────────────────────────────────────────

// Pin text measurement to Vega's estimator (see header): a canvas package on one machine must not move labels.
{
  const tm = (vega as unknown as { textMetrics?: { width: unknown; estimateWidth: unknown } }).textMetrics;
  if (tm !== undefined && typeof tm.estimateWidth === "function") tm.width = tm.estimateWidth;
}

/** Renumbers Vega's clip-path and gradient ids (and their references) in order of first appearance. */
export function normalizeSvg(svg: string): string {
  const ids = new Map<string, string>();
  const rename = (kind: string, id: string) => {
    const key = `${kind}:${id}`;
    let out = ids.get(key);
    if (out === undefined) {
      let n = 0;
      for (const k of ids.keys()) if (k.startsWith(kind + ":")) n++;
      out = kind === "clip" ? `clip${n + 1}` : `gradient_${n}`;
      ids.set(key, out);
    }
    return out;
  };
  return svg.replace(/\b(clip)(\d+)\b|\b(gradient)_(\d+)\b/g, (m, c: string | undefined, cn: string | undefined, g: string | undefined, gn: string | undefined) =>
    c !== undefined ? rename("clip", cn!) : g !== undefined ? rename("gradient", gn!) : m);
}

export interface RenderWarnings {
  /** Called with a message for anything that makes the output less than complete. */
  warn?: (message: string) => void;
}

/** Vega-Lite spec → deterministic SVG text (headless). */
export async function renderSvg(spec: VlSpec, opts: RenderWarnings = {}): Promise<string> {
  const warnings: string[] = [];
  const logger: vega.LoggerInterface = {
    level(): number { return vega.Warn; },
    warn(...args: readonly unknown[]) { warnings.push(args.map(String).join(" ")); return logger; },
    info() { return logger; },
    debug() { return logger; },
    error(...args: readonly unknown[]) { throw new Error(`vega-lite: ${args.map(String).join(" ")}`); },
  } as vega.LoggerInterface;
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger });
  for (const w of warnings) opts.warn?.(`chart: ${w}`);
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none", logLevel: vega.Error });
  try {
    return normalizeSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

export const DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu";

interface FontChoice {
  fontFiles: string[];
  loadSystemFonts: boolean;
  warning?: string;
}

let fontChoice: FontChoice | undefined;
let fontWarned = false;

function chooseFonts(): FontChoice {
  if (fontChoice) return fontChoice;
  const wanted = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];
  const files = existsSync(DEJAVU_DIR) ? readdirSync(DEJAVU_DIR).filter((f) => wanted.includes(f)).sort().map((f) => join(DEJAVU_DIR, f)) : [];
  fontChoice = files.length > 0
    ? { fontFiles: files, loadSystemFonts: false }
    : {
      fontFiles: [],
      loadSystemFonts: true,
      warning: `PNG charts: DejaVu fonts not found in ${DEJAVU_DIR} (Debian package fonts-dejavu-core); ` +
        "using whatever system fonts exist — the PNGs' text may be missing or differ between machines (the SVGs are unaffected)",
    };
  return fontChoice;
}

/** SVG → PNG (2× scale). Warns once per process if the DejaVu fonts are missing. */
export function svgToPng(svg: string, opts: RenderWarnings & { scale?: number } = {}): Buffer {
  const fonts = chooseFonts();
  if (fonts.warning !== undefined && !fontWarned) {
    fontWarned = true;
    (opts.warn ?? ((m: string) => process.stderr.write(`popsim: warning: ${m}\n`)))(fonts.warning);
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: opts.scale ?? 2 },
    background: "white",
    font: { loadSystemFonts: fonts.loadSystemFonts, fontFiles: fonts.fontFiles, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
