/**
 * reports/sections/storage.ts — the "Storage" report section: failure tolerance, durability, the 29.57 % claim.
 *
 * Purpose: show the numbers the storage model writes (models/storage/{tolerance,claim,durability}.ts document the
 * metric names) the way engineers asked for them (issue 3 item 8): simulated loss probabilities with their
 * confidence intervals beside the exact theory, the largest tolerable failed fraction at ε, repair traffic over
 * time, losses under churn against the Markov chain, and which parameters make the whitepaper's sentence true.
 *
 * Method: everything is parsed from metric names, so the section needs no code from models/:
 * - `storage.tolerance.<model>.f<d>_<dd>.<quantity>` → one point per (model, f); P(segment lost) and P(any lost)
 *   are drawn on a log scale: theory as a line, simulation as dots with 95 % interval bars. A simulated 0 cannot
 *   sit on a log axis, so it is drawn as a downward caret at its upper bound ("below this"); theory values under
 *   1e−15 are left out (the caption says so). ε is a dashed rule on the P(any lost) chart.
 * - Time series: repair bandwidth (Mbit/s per sampling interval), segments lost / unavailable and the repair queue.
 * - Tables: ε thresholds, the claim, durability vs the chain. With several runs, charts and tables use the first
 *   completed run of each group (tolerance results are a run's own Monte Carlo; their intervals already say how
 *   precise they are), and the caption says so.
 * Wire it in by listing `storageSection` in reports/sections.ts SECTIONS (or pass it to the html builder's
 * `sections` option).
 */
import type { Chart, VlSpec } from "../charts.ts";
import { CHART_WIDTH, cleanNumber, FONT_FAMILY } from "../charts.ts";
import { escapeHtml, formatNumber } from "../format.ts";
import { charts, howToRead, seriesChart, type ReportData, type SectionEntry } from "../sectionKit.ts";

const THEORY_FLOOR = 1e-15;
const CONFIG: VlSpec = {
  font: FONT_FAMILY,
  background: "white",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal" },
  title: { fontSize: 13, fontWeight: "bold", anchor: "start" },
};

export interface TolerancePointRow {
  model: string;
  f: number;
  values: Map<string, number>;
}

/** Tolerance points parsed from metric names, sorted by model then f. */
export function tolerancePoints(metrics: ReadonlyMap<string, number>): TolerancePointRow[] {
  const rows = new Map<string, TolerancePointRow>();
  for (const [name, value] of metrics) {
    const m = /^storage\.tolerance\.(random|targeted)\.f(\d+)_(\d+)\.([a-z_]+)$/.exec(name);
    if (m === null) continue;
    const key = `${m[1]}|${m[2]}_${m[3]}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { model: m[1], f: Number(`${m[2]}.${m[3]}`), values: new Map() };
      rows.set(key, row);
    }
    row.values.set(m[4], value);
  }
  return [...rows.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.f - b.f));
}

type Quantity = "p_segment_lost" | "p_any_lost";

/** A log-scale chart of a loss probability against f: theory lines, simulated dots with CI bars, carets at 0. */
export function lossChart(points: readonly TolerancePointRow[], q: Quantity, opts: { id: string; title: string; epsilon?: number; caption: string }): Chart | undefined {
  const theory: VlSpec[] = [], sim: VlSpec[] = [], zero: VlSpec[] = [];
  let dropped = 0;
  for (const p of points) {
    const t = p.values.get(`${q}_theory`);
    // With no failed node nothing can be lost: no point, no caret.
    if ((p.values.get("failed_nodes") ?? 1) === 0) continue;
    if (t !== undefined && t > 0) {
      if (t >= THEORY_FLOOR) theory.push({ f: p.f, model: p.model, value: cleanNumber(t) });
      else dropped++;
    }
    const v = p.values.get(q), lo = p.values.get(`${q}_ci_lo`), hi = p.values.get(`${q}_ci_hi`);
    if (v === undefined || hi === undefined) continue;
    if (v > 0) sim.push({ f: p.f, model: p.model, value: cleanNumber(v), lo: cleanNumber(Math.max(lo ?? v, THEORY_FLOOR)), hi: cleanNumber(hi) });
    else if (hi > 0) zero.push({ f: p.f, model: p.model, hi: cleanNumber(hi) });
  }
  if (theory.length + sim.length + zero.length === 0) return undefined;
  const x = { field: "f", type: "quantitative", title: "failed fraction of masternodes f", axis: { format: ".0%" } };
  const y = (field: string) => ({ field, type: "quantitative", title: q === "p_segment_lost" ? "P(a segment is lost)" : "P(any segment is lost)", scale: { type: "log" }, axis: { format: ".0e" } });
  const color = { field: "model", type: "nominal", title: "failures", scale: { domain: ["random", "targeted"], range: ["#1f77b4", "#d62728"] } };
  const layers = (interactive: boolean): VlSpec[] => {
    const tip = (fields: VlSpec[]) => (interactive ? { tooltip: fields } : {});
    const out: VlSpec[] = [];
    if (theory.length > 0) out.push({ data: { values: theory }, mark: { type: "line", strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x, y: y("value"), color, ...tip([{ field: "f", format: ".2f" }, { field: "value", title: "theory", format: ".3e" }]) } });
    if (sim.length > 0) {
      out.push({ data: { values: sim }, mark: { type: "rule", strokeWidth: 2 }, encoding: { x, y: y("lo"), y2: { field: "hi" }, color } });
      out.push({ data: { values: sim }, mark: { type: "point", filled: true, size: 45 }, encoding: { x, y: y("value"), color, ...tip([{ field: "f", format: ".2f" }, { field: "value", title: "simulated", format: ".3e" }, { field: "lo", title: "95 % low", format: ".3e" }, { field: "hi", title: "95 % high", format: ".3e" }]) } });
    }
    if (zero.length > 0) out.push({ data: { values: zero }, mark: { type: "point", shape: "triangle-down", filled: false, size: 50 }, encoding: { x, y: y("hi"), color, ...tip([{ field: "f", format: ".2f" }, { field: "hi", title: "none seen; 95 % upper bound", format: ".3e" }]) } });
    if (opts.epsilon !== undefined) out.push({ data: { values: [{ eps: opts.epsilon }] }, mark: { type: "rule", strokeDash: [2, 2], color: "#555" }, encoding: { y: { field: "eps", type: "quantitative" } } });
    return out;
  };
  const base: VlSpec = { title: { text: opts.title }, width: CHART_WIDTH - 140, height: 260, config: CONFIG };
  const caption = opts.caption + (dropped > 0 ? ` Theory values below ${THEORY_FLOOR} (${dropped} points) are not drawn.` : "");
  return { id: opts.id, title: opts.title, caption, spec: { ...base, layer: layers(false) }, interactive: { ...base, layer: layers(true) } };
}

function table(rows: readonly (readonly string[])[], head: readonly string[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<td>${escapeHtml(c)}</td>` : `<td class="num">${escapeHtml(c)}</td>`)).join("")}</tr>`).join("");
  return `<table class="metrics"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const pct = (v: number | undefined) => (v === undefined ? "—" : v < 0 ? "not measurable" : `${(v * 100).toFixed(2)} %`);
const num = (v: number | undefined) => (v === undefined ? "—" : formatNumber(v));

/** The tables (HTML) for one run's metrics: ε thresholds, the 29.57 % claim, durability. */
export function storageTables(m: ReadonlyMap<string, number>): string {
  const out: string[] = [];
  const g = (name: string) => m.get(name);
  if (g("storage.tolerance.trials") !== undefined) {
    const eps = g("storage.tolerance.epsilon");
    out.push(`<h4>Largest tolerable failed fraction at ε = ${escapeHtml(num(eps))}</h4>`);
    out.push(table(["random", "targeted"].map((model) => [
      model,
      pct(g(`storage.tolerance.${model}.f_max_at_epsilon_theory`)),
      pct(g(`storage.tolerance.${model}.f_max_at_epsilon_sim`)),
      pct(g(`storage.tolerance.${model}.f_max_no_loss_observed`)),
    ]), ["failures", "theory (P(any) ≤ ε)", "simulated (upper bound ≤ ε)", "largest f with no loss seen"]));
    out.push(`<p>${escapeHtml(`${num(g("storage.tolerance.segments"))} segments of ${num(g("storage.tolerance.stored_shards"))} stored shards (any ${num(g("storage.tolerance.k"))} rebuild) on ${num(g("storage.tolerance.nodes"))} masternodes; ${num(g("storage.tolerance.trials"))} random and ${num(g("storage.tolerance.targeted_trials"))} targeted failure sets per f. Resolution: P(segment lost) down to ${num(g("storage.tolerance.p_segment_lost_resolution"))}, P(any lost) down to ${num(g("storage.tolerance.p_any_lost_resolution"))} — ε below that is "not measurable" by simulation here, and only theory speaks.`)}</p>`);
  }
  if (g("storage.claim.fraction") !== undefined) {
    const yes = (v: number | undefined) => (v === 1 ? "yes" : v === 0 ? "no" : "—");
    out.push("<h4>“29.57 % of masternodes may fail and the network fully recovers”</h4>");
    out.push(table([
      ["exactly true against any failures (targeted included)", `only if every segment spans all N masternodes (n = N ≤ ${num(g("storage.claim.spanning_nodes_max"))}) with (N − k)/N ≥ 29.57 %: e.g. k = ${num(g("storage.claim.mds_rounding.k"))}, n = N = ${num(g("storage.claim.mds_rounding.n"))} (${pct(g("storage.claim.mds_rounding.tolerance"))}) or k = ${num(g("storage.claim.mds_truncating.k"))}, n = N = ${num(g("storage.claim.mds_truncating.n"))} (${pct(g("storage.claim.mds_truncating.tolerance"))})`],
      ["those codes under independent failures at f = 29.57 %", `P(segment lost) = ${num(g("storage.claim.mds_rounding.p_segment_lost_binomial"))} (81/115), ${num(g("storage.claim.mds_truncating.p_segment_lost_binomial"))} (50/71): not “fully recovers”`],
      ["this run: random failures", `tolerates ${pct(g("storage.claim.scenario.f_max_random_theory"))} at ε; P(any lost) at 29.57 % = ${num(g("storage.claim.scenario.p_any_lost_random_at_claim"))}; claim holds: ${yes(g("storage.claim.scenario.holds_random"))}`],
      ["this run: targeted failures", `tolerates ${pct(g("storage.claim.scenario.f_max_targeted"))} (o − k of N); claim holds: ${yes(g("storage.claim.scenario.holds_targeted"))}`],
      ["smallest n for this k making the random claim hold", (g("storage.claim.scenario.n_min_random_for_k") ?? -1) < 0 ? "none with n ≤ 255" : num(g("storage.claim.scenario.n_min_random_for_k"))],
      ["largest k spanning all N making it exactly true", (g("storage.claim.scenario.k_max_spanning") ?? -1) < 0 ? `none: N = ${num(g("storage.claim.scenario.nodes"))} > 255 shards` : num(g("storage.claim.scenario.k_max_spanning"))],
    ], ["reading", "result"]));
  }
  if (g("storage.durability.years") !== undefined) {
    const d = (q: string) => g(`storage.durability.${q}`);
    out.push("<h4>Durability under churn with lazy repair</h4>");
    out.push(table([
      ["segments lost (simulated, 95 % interval)", `${num(d("segments_lost"))} [${num(d("segments_lost_ci_lo"))}, ${num(d("segments_lost_ci_hi"))}]`],
      ["expected, Markov chain with exponential repair", `${num(d("segments_lost_expected"))} (MTTDL ${num(d("mttdl_years_theory"))} years)`],
      ["expected, Markov chain with fixed repair time", `${num(d("segments_lost_expected_fixed_repair"))} (MTTDL ${num(d("mttdl_years_theory_fixed_repair"))} years)`],
      ["measured shard failure rate α (ground truth / declared)", `${num(d("alpha_per_year"))} / ${num(d("alpha_declared_per_year"))} per year`],
      ["repair time used by the chain (detection delay + mean repair)", `${num(d("mean_repair_time_s"))} s`],
      ["repairs per segment per year (simulated / theory)", `${num(d("repairs_per_segment_per_year"))} / ${num(d("repairs_per_segment_per_year_theory"))}`],
      ["repair bytes per stored byte per year (simulated / Giroire B_R)", `${num(d("repair_bandwidth_ratio_per_year"))} / ${num(d("repair_bandwidth_ratio_theory_per_year"))}`],
    ], ["quantity", "value"]));
  }
  return out.join("\n");
}

/** The charts for one run's metrics (tolerance) plus the time series of the report. */
export function storageCharts(data: ReportData, m: ReadonlyMap<string, number>): Chart[] {
  const points = tolerancePoints(m);
  const eps = m.get("storage.tolerance.epsilon");
  return charts(
    lossChart(points, "p_segment_lost", {
      id: "storage-p-segment-lost", title: "P(a segment is lost) vs failed fraction",
      caption: "Dashed: exact theory (random: hypergeometric tail; targeted: disjoint-holder lower bound). Dots: simulated frequency with its 95 % interval (Wilson, design-effect adjusted). Carets: no loss seen; the caret is the 95 % upper bound.",
    }),
    lossChart(points, "p_any_lost", {
      id: "storage-p-any-lost", title: "P(any segment is lost) vs failed fraction", epsilon: eps,
      caption: "Dashed: 1 − (1 − p)^M for random failures (assumes independent segments), a step at F = o − k + 1 for targeted. Dots: fraction of failure sets that lost a segment, 95 % Clopper–Pearson. Grey rule: ε.",
    }),
    seriesChart(data, {
      id: "storage-repair-bandwidth", title: "Repair bandwidth", yTitle: "Mbit/s", scale: 1e-6, interpolate: "step-before",
      series: [{ name: "storage.repair_bandwidth_bps", label: "repair traffic" }],
      caption: "Bytes moved by repairs (fetching k shards, uploading the rebuilt ones) per sampling interval, as a rate.",
    }),
    seriesChart(data, {
      id: "storage-segments", title: "Segments lost, unavailable and waiting for repair", yTitle: "segments", dropAllZero: true,
      series: [
        { name: "storage.segments_lost", label: "lost" },
        { name: "storage.segments_unavailable", label: "unavailable now" },
        { name: "storage.repair_queue", label: "in the repair queue" },
      ],
    }),
  );
}

export const storageSection: SectionEntry = {
  prefix: "storage.",
  title: "Storage",
  build(data) {
    const run = data.groups.flatMap((g) => (g.included.length > 0 ? [g.included[0]] : g.runs.slice(0, 1)))[0] ?? data.runs[0];
    if (run === undefined) return undefined;
    const m = run.metricMap;
    const note = data.multi ? ` With several runs, tolerance charts and tables show the first completed run (${run.run.runId}); the time series show every group.` : "";
    return {
      title: "Storage: failure tolerance, repair and durability",
      html: howToRead(
        "The top charts answer “what fraction of masternodes may fail before a segment is lost?” over this run's actual " +
        "shard placement: for each failed fraction f, many independent failure sets were drawn (random: uniform; " +
        "targeted: an adversary who fails the holders of the segments closest to loss first) and the lost segments " +
        "counted. Simulated dots should sit on the dashed theory curve within their bars for random failures; the " +
        "targeted adversary is far worse than random once it can afford o − k + 1 holders of one segment. The tables " +
        "give the largest f at which P(any loss) ≤ ε, settle the whitepaper's 29.57 % sentence, and compare losses " +
        "under a year of churn with the lazy-repair Markov chain." + note) + storageTables(m),
      charts: storageCharts(data, m),
    };
  },
};
