/**
 * sim/sweep/compareHtml.ts — the `popsim compare` review page: one self-contained HTML file (plus the same
 * numbers as compare.json beside it), written atomically.
 *
 * Purpose: what a governance reviewer reads. Top to bottom: the verdict (guardrails), what the proposal changes
 * (parameter diff), which metrics moved (chart + table of paired differences with 95 % intervals and effect
 * sizes), every metric, the runs, and the exact commands that reproduce it all.
 *
 * Method: plain HTML with inline CSS and one static SVG chart — no script, no external request (a
 * Content-Security-Policy forbids them), so it opens offline from a file. It reuses the report layer's helpers
 * (reports/format.ts for escaping and number formatting, reports/charts.ts `ciChart` + `renderSvg` for the
 * chart); if the chart cannot be drawn the page says so and keeps the tables. Output is a pure function of the
 * comparison (no timestamp, host or path of this machine is added). Files are written to temporary names in
 * the target folder and renamed into place (JSON first, HTML last), so a reader never sees half a file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { escapeHtml, formatNumber } from "../../reports/format.ts";
import { ciChart, renderSvg } from "../../reports/charts.ts";
import type { GuardrailCheck, MetricComparison, ParamChange } from "./compare.ts";

export interface CompareRunRef {
  seed: number;
  runId: string | null;
  status: string;
  traceHash: string | null;
  reused: boolean;
}

export interface CompareSide {
  /** The scenario argument as given (name or path). */
  source: string;
  scenario: string;
  sets: string[];
  runs: CompareRunRef[];
}

export interface CompareReport {
  compareId: string;
  codeVersion: string;
  codeDirty: boolean;
  seeds: number[];
  /** Seeds whose baseline and proposal runs both completed. */
  pairs: number;
  baseline: CompareSide;
  proposal: CompareSide;
  identical: boolean;
  paramDiff: ParamChange[];
  metrics: MetricComparison[];
  moved: string[];
  guardrails: GuardrailCheck[];
  guardrailsPass: boolean;
  method: Record<string, string>;
  reproduce: { compare: string; baselineRuns: string[]; proposalRuns: string[] };
  /** Per-seed differences (proposal − baseline) of each metric, for the chart (not in the JSON output). */
  perSeed?: Record<string, (number | null)[]>;
}

const e = escapeHtml;
const num = (v: number | null | undefined) => (v === null || v === undefined ? "—" : formatNumber(v));
const code = (s: string) => `<code>${e(s)}</code>`;
const json = (v: unknown) => (v === null ? "—" : e(typeof v === "string" ? v : JSON.stringify(v)));
const signed = (v: number | null) => (v === null ? "—" : v > 0 ? `+${formatNumber(v)}` : formatNumber(v));
const pct = (v: number | null) => (v === null ? "—" : `${v > 0 ? "+" : ""}${formatNumber(+(v * 100).toPrecision(3))} %`);

const CSS = `
body{font:14px/1.45 "DejaVu Sans",Verdana,Arial,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em;font-size:1.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;background:#f4f4f4;padding:0 3px}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto;font-size:12px}
.pass{color:#176b2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}.moved{background:#fff7d6}
.note{color:#555;font-size:12.5px}.verdict{font-size:1.15em;padding:.5em .8em;border-radius:4px;display:inline-block}
.verdict.pass{background:#e5f5e8}.verdict.fail{background:#fde7ea}.scroll{overflow-x:auto}
figure{margin:1em 0}figcaption{color:#555;font-size:12.5px}
`;

function guardrailsSection(r: CompareReport): string {
  if (r.guardrails.length === 0) {
    return `<p>Neither scenario declares guardrails (the <code>guardrails</code> section of a scenario), so there is nothing to pass or fail.</p>`;
  }
  const rows = r.guardrails.map((g) => {
    const side = (v: GuardrailCheck["proposal"]) =>
      `<td class="${v.status}">${v.status}</td><td class=num>${num(v.mean)}</td><td class=num>${v.ciLow === null ? "—" : `${num(v.ciLow)} … ${num(v.ciHigh)}`}</td><td class=num>${v.n}</td>`;
    return `<tr><td>${code(g.metric)} ${e(g.op)} ${e(formatNumber(g.value))}<div class="note">${e(g.description)}</div><div class="note">declared in: ${e(g.declaredIn.join(", "))}</div></td>` +
      `${side(g.proposal)}<td class="note">${e(g.proposal.reason)}</td>${side(g.baseline)}</tr>`;
  }).join("");
  return `<p class="note">Judged conservatively on the proposal's runs: a guardrail passes only if the 95 % confidence interval of the proposal's mean satisfies the bound at its unfavourable end (the upper end for ≤ and &lt;, the lower end for ≥ and &gt;). Fewer than two values, or a metric the runs do not produce, is a fail. The baseline's result is shown for context.</p>` +
    `<div class="scroll"><table><thead><tr><th rowspan=2>guardrail</th><th colspan=5>proposal (verdict)</th><th colspan=4>baseline (context)</th></tr>` +
    `<tr><th>result</th><th class=num>mean</th><th class=num>95 % CI</th><th class=num>n</th><th>evidence</th><th>result</th><th class=num>mean</th><th class=num>95 % CI</th><th class=num>n</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function diffSection(r: CompareReport): string {
  if (r.paramDiff.length === 0) return `<p>The proposal's resolved parameters are <strong>identical</strong> to the baseline's (the seed aside): any difference below could only come from the code, and with the same code version there is none.</p>`;
  const rows = r.paramDiff.map((d) => `<tr><td>${code(d.path)}</td><td>${json(d.baseline)}</td><td>${json(d.proposal)}</td></tr>`).join("");
  return `<table><thead><tr><th>parameter</th><th>baseline</th><th>proposal</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function metricsTable(list: readonly MetricComparison[]): string {
  const rows = list.map((m) => {
    const es = m.effectSize === null ? (m.effectSizeNote ? `<abbr title="${e(m.effectSizeNote)}">—</abbr>` : "—") : formatNumber(+m.effectSize.toPrecision(3));
    return `<tr class="${m.moved ? "moved" : ""}"><td>${code(m.name)}</td><td class=num>${num(m.baselineMean)}</td><td class=num>${num(m.proposalMean)}</td>` +
      `<td class=num>${signed(m.diffMean)}</td><td class=num>${m.ciLow === null ? "—" : `${signed(m.ciLow)} … ${signed(m.ciHigh)}`}</td>` +
      `<td class=num>${pct(m.relativeDiff)}</td><td class=num>${es}</td><td class=num>${m.n}${m.excluded ? ` <span class="note">(${m.excluded} left out)</span>` : ""}</td><td>${m.moved ? "yes" : ""}</td></tr>`;
  }).join("");
  return `<div class="scroll"><table><thead><tr><th>metric</th><th class=num>baseline mean</th><th class=num>proposal mean</th><th class=num>mean difference</th><th class=num>95 % CI of the difference</th><th class=num>relative</th><th class=num>effect size d<sub>z</sub></th><th class=num>n</th><th>moved</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

async function movedChart(r: CompareReport, warn: (m: string) => void): Promise<string> {
  const moved = r.metrics.filter((m) => m.moved && m.relativeDiff !== null && m.baselineMean !== null && m.baselineMean !== 0).slice(0, 30);
  if (moved.length === 0) return "";
  const scale = (m: MetricComparison, v: number | null) => (v === null ? Number.NaN : (v / Math.abs(m.baselineMean!)) * 100);
  const chart = ciChart({
    id: "moved",
    title: "Metrics that moved: proposal − baseline, % of the baseline mean",
    xTitle: "difference (% of the baseline mean)",
    rows: moved.map((m) => ({ metric: m.name, group: "proposal − baseline", mean: scale(m, m.diffMean), lo: scale(m, m.ciLow), hi: scale(m, m.ciHigh), n: m.n })),
    points: moved.flatMap((m) => (r.perSeed?.[m.name] ?? []).map((d, i) => ({ metric: m.name, group: "proposal − baseline", value: scale(m, d), run: `seed ${r.seeds[i]}` }))),
    xZero: true,
  });
  // Moves of +4000 % and −2 % share one axis: a symmetric-log scale keeps both readable (linear near 0).
  const xs = moved.flatMap((m) => [scale(m, m.ciLow), scale(m, m.ciHigh), ...(r.perSeed?.[m.name] ?? []).map((d) => scale(m, d))]).filter(Number.isFinite);
  const [xMin, xMax] = [Math.min(0, ...xs), Math.max(0, ...xs)];
  const ticks = [0, ...[1, 10, 100, 1e3, 1e4, 1e5, 1e6].flatMap((t) => [t, -t])].filter((t) => t >= xMin * 1.0001 - 1 && t <= xMax * 1.0001 + 1).sort((a, b) => a - b);
  for (const layer of (chart.spec.layer ?? []) as { encoding?: { x?: { scale?: Record<string, unknown>; axis?: Record<string, unknown> } } }[]) {
    if (!layer.encoding?.x) continue;
    layer.encoding.x.scale = { type: "symlog", constant: 1, domain: [xMin, xMax], nice: false };
    layer.encoding.x.axis = { ...(layer.encoding.x.axis ?? {}), values: ticks, format: "~s" };
  }
  try {
    const svg = await renderSvg(chart.spec, { warn });
    return `<figure>${svg.replace(/^<\?xml[^>]*>\s*/, "")}<figcaption>Each grey dot is one seed's paired difference; the diamond is the mean difference and the bar its 95 % confidence interval (Student t on the paired differences), all as a percentage of the baseline mean, on a symmetric-log axis (linear within ±1 %, logarithmic beyond). Only metrics whose interval excludes 0 are drawn.</figcaption></figure>`;
  } catch (err) {
    warn(`compare: the chart could not be drawn (${(err as Error).message}); the tables are complete`);
    return `<p class="note">(The chart could not be drawn: ${e((err as Error).message)}. The table below has every number.)</p>`;
  }
}

function runsTable(r: CompareReport): string {
  const rows = r.seeds.map((s, i) => {
    const b = r.baseline.runs[i], p = r.proposal.runs[i];
    const cell = (x: CompareRunRef) => `<td>${x.runId ? code(x.runId) : "—"}${x.reused ? ' <span class="note">(reused)</span>' : ""}</td><td class="${x.status === "completed" ? "" : "fail"}">${e(x.status)}</td><td>${code(x.traceHash ?? "—")}</td>`;
    return `<tr><td class=num>${s}</td>${cell(b)}${cell(p)}</tr>`;
  }).join("");
  return `<div class="scroll"><table><thead><tr><th rowspan=2>seed</th><th colspan=3>baseline</th><th colspan=3>proposal</th></tr><tr><th>run</th><th>status</th><th>trace hash</th><th>run</th><th>status</th><th>trace hash</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const label = (s: CompareSide) => [s.scenario, ...s.sets].join(" ");

/** The review page as one HTML string. */
export async function renderCompareHtml(r: CompareReport, warn: (m: string) => void = () => {}): Promise<string> {
  const moved = r.metrics.filter((m) => m.moved);
  const side = (s: CompareSide) => `${code(s.source)}${s.sets.length ? ` with ${s.sets.map(code).join(" ")}` : ""} (scenario ${code(s.scenario)})`;
  const verdict = r.guardrails.length === 0 ? `<span class="verdict">no guardrails declared</span>`
    : `<span class="verdict ${r.guardrailsPass ? "pass" : "fail"}">${r.guardrailsPass ? "all guardrails pass" : `${r.guardrails.filter((g) => g.status === "fail").length} of ${r.guardrails.length} guardrails fail`}</span>`;
  const chart = await movedChart(r, warn);
  const method = Object.entries(r.method).map(([k, v]) => `<li><strong>${e(k)}</strong>: ${e(v)}</li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>popsim compare ${e(r.compareId)}</title><style>${CSS}</style></head><body>
<h1>Proposal review: ${e(label(r.proposal))} vs ${e(label(r.baseline))}</h1>
<p class="note">comparison ${code(r.compareId)} · code ${code(r.codeVersion)}${r.codeDirty ? " (dirty tree: uncommitted changes took part, so this may not be reproducible from the commit)" : ""} · ${r.seeds.length} seeds, ${r.pairs} complete pairs</p>
<p><strong>Baseline</strong>: ${side(r.baseline)}<br><strong>Proposal</strong>: ${side(r.proposal)}</p>
<p>${verdict} &nbsp; ${moved.length} of ${r.metrics.length} metrics moved (95 % interval of the paired difference excludes 0).</p>
${r.pairs < r.seeds.length ? `<p class="fail">${r.seeds.length - r.pairs} seed(s) lack a completed run on one side; they are left out of every statistic (see Runs).</p>` : ""}
<h2>Guardrails</h2>${guardrailsSection(r)}
<h2>What the proposal changes</h2>${diffSection(r)}
<h2>What moved</h2>${chart}${moved.length ? metricsTable(moved) : "<p>No metric moved: every 95 % interval of the paired difference contains 0.</p>"}
<h2>Every metric</h2><p class="note">Paired by seed: for each seed, proposal − baseline; the interval is the mean difference ± t(0.975, n − 1) · sd / √n. Rows that moved are highlighted.</p>${metricsTable(r.metrics)}
<h2>Runs</h2>${runsTable(r)}
<h2>Reproduce</h2><p>The whole comparison (completed runs in the database are reused; the same code version gives the same trace hashes):</p><pre>${e(r.reproduce.compare)}</pre>
<details><summary>Each run on its own</summary><pre>${e([...r.reproduce.baselineRuns, ...r.reproduce.proposalRuns].join("\n"))}</pre></details>
<h2>Method</h2><ul>${method}</ul>
</body></html>
`;
}

/** Writes `text` to `file` through a temporary file in the same folder and a rename. */
export function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes `<dir>/compare.json` and `<dir>/index.html`; returns the HTML path. */
export async function writeCompareReport(dir: string, r: CompareReport, jsonText: string, warn?: (m: string) => void): Promise<string> {
  const html = await renderCompareHtml(r, warn);
  fs.mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, "compare.json"), jsonText);
  const file = path.join(dir, "index.html");
  writeAtomic(file, html);
  return file;
}
