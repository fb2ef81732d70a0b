/**
 * reports/html.ts — the report: one self-contained HTML file, plus its charts as SVG and PNG files.
 *
 * Purpose: `popsim report` and `popsim start` call `buildReport(store, selector)`; it reads the runs
 * (queries.ts), asks every registered section (sections.ts) for its charts, renders them (charts.ts), and writes
 *   <out>/<name>.html            the report (works offline, from a file: no CDN, no request of any kind)
 *   <out>/charts/<id>.svg|.png   each chart, static
 *   <out>/charts/<id>.vl.json    each chart's Vega-Lite spec with its data (for the Vega editor, Observable, …)
 *   <out>/params/<run>.json      the stored parameters, only for runs whose reproduce line needs them
 *
 * Method
 * - Layout: run identity (with the line that reproduces each run), the metrics table grouped by model prefix
 *   with units (for several runs: n, mean, sd and 95 % CI per metric over completed runs, and which runs were
 *   excluded), then one section per model, each opening with "how to read this".
 * - Charts are inlined as static SVG (readable with scripting off; ids scoped per chart so clip paths of one
 *   chart never resolve into another). The `vega` and `vega-lite` UMD builds are inlined from node_modules
 *   (read by file path: their build/ files are outside the packages' exports; `</script` and `<!--` escaped,
 *   source-map comments dropped); a small script swaps each static chart for a live view with tooltips and
 *   zoom/pan (drag, wheel; double-click resets). `vega-embed` is not installed and not needed: Vega's built-in
 *   tooltip handler shows tooltips as native titles. A Content-Security-Policy forbids every network request.
 * - Determinism: no timestamp, hostname or path of this machine is written; the runs' stored wall-clock times
 *   are shown as data. Same database rows ⇒ byte-identical HTML, SVG and spec files.
 * - Atomic writes: everything is written into a temporary folder inside <out>, then renamed into place — charts
 *   first, the HTML last — and the temporary folder removed. Files of an earlier report in the same folder are
 *   overwritten, never deleted (two reports may share a folder).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Store } from "../sim/store/store.ts";
import { renderSvg, svgToPng, type Chart } from "./charts.ts";
import { escapeHtml, formatCompact, formatNumber, formatSimTime, formatValue, parseMetricName, safeFileName } from "./format.ts";
import { loadReportData, type ReportData, type RunData, type RunGroup } from "./queries.ts";
import { prefixTitle, sectionsFor, SECTIONS, type BuiltSection } from "./sections.ts";
import type { SectionEntry } from "./sectionKit.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
/** UMD builds inlined into the HTML, by path (see header). */
export const VEGA_BUILDS = [
  { name: "vega", file: path.join(ROOT, "node_modules", "vega", "build", "vega.min.js") },
  { name: "vega-lite", file: path.join(ROOT, "node_modules", "vega-lite", "build", "vega-lite.min.js") },
] as const;

export interface ReportOptions {
  /** Output folder (created). Default `./reports-out/<id>/`. */
  outDir?: string;
  /** File name stem of the HTML. Default: the report id (run id, sweep id or prefix), made file-name safe. */
  name?: string;
  /** Inline the Vega runtime for interactive charts. Default true. */
  interactive?: boolean;
  /** Write PNGs. Default true. */
  png?: boolean;
  /** Warnings (missing fonts, chart compiler notes). Default: stderr. */
  warn?: (message: string) => void;
  /** Section registry. Default SECTIONS. */
  sections?: readonly SectionEntry[];
}

export interface WrittenChart {
  id: string;
  title: string;
  svg: string;
  png?: string;
  spec: string;
}

export interface ReportResult {
  /** Absolute path of the HTML file. */
  html: string;
  /** Absolute path of the output folder. */
  dir: string;
  charts: WrittenChart[];
  /** Runs in the report. */
  runs: number;
  /** Runs left out of statistics (status other than completed). */
  excluded: number;
  id: string;
}

export const DEFAULT_REPORTS_DIR = "reports-out";

/** `./reports-out/<id>/` for a report id. */
export function defaultReportDir(id: string): string {
  return path.resolve(DEFAULT_REPORTS_DIR, safeFileName(id));
}

/** Reads `selector`'s runs from `store` and writes their report. */
export async function buildReport(store: Store, selector: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const data = await loadReportData(store, selector);
  return writeReport(data, opts);
}

// ─── Rendering pieces ───────────────────────────────────────────────────────────────────────────────────────

/** Escapes inline script text so nothing in it can end the <script> element or open a comment state. */
export function escapeScript(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--").replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "\n");
}

/** JSON for a <script type="application/json"> block: `<` escaped, so `</script>` cannot appear. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Prefixes every id in an SVG (and its `url(#…)` / `href="#…"` references) so several SVGs can share a page. */
export function scopeSvgIds(svg: string, scope: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}${scope}-${id}${b}`)
    .replace(/url\(#([^)]+)\)/g, (m, id: string) => (ids.has(id) ? `url(#${scope}-${id})` : m))
    .replace(/(href=")#([^"]+)(")/g, (m, a: string, id: string, b: string) => (ids.has(id) ? `${a}#${scope}-${id}${b}` : m));
}

const STATUS_CLASS = (s: string) => (s === "completed" ? "ok" : s === "running" ? "warn" : "bad");

function kv(rows: [string, string][]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${v}</td></tr>`).join("")}</tbody></table>`;
}

function code(s: string): string {
  return `<code>${escapeHtml(s)}</code>`;
}

function statusBadge(status: string): string {
  return `<span class="status ${STATUS_CLASS(status)}">${escapeHtml(status)}</span>`;
}

function reproduceBlock(r: RunData): string {
  return `<pre class="cmd">${escapeHtml(r.reproduce.line)}</pre><p class="note">${escapeHtml(r.reproduce.note)}. ` +
    `Same code version (${code(r.run.codeVersion)}${r.run.codeDirty ? ", <strong>dirty tree: uncommitted changes were part of this run, so it may not be reproducible</strong>" : ""}) ⇒ same trace hash ${code(r.run.traceHash ?? "—")}.</p>`;
}

function identitySingle(r: RunData): string {
  const run = r.run;
  const rows: [string, string][] = [
    ["run", code(run.runId)],
    ["scenario", escapeHtml(run.scenario)],
    ["seed", escapeHtml(String(run.seed))],
    ["status", `${statusBadge(run.status)}${run.reason ? ` ${escapeHtml(run.reason)}` : ""}`],
    ...(run.error ? [["error", `<pre class="err">${escapeHtml(run.error)}</pre>`] as [string, string]] : []),
    ["code version", `${code(run.codeVersion)}${run.codeDirty ? " (dirty)" : ""}`],
    ["trace hash", code(run.traceHash ?? "—")],
    ["events", escapeHtml(run.events === null ? "—" : formatNumber(run.events))],
    ["simulated", escapeHtml(run.simTimeUs === null ? "—" : formatSimTime(run.simTimeUs))],
    ["wall time", escapeHtml(run.wallTimeS === null ? "—" : `${formatNumber(+run.wallTimeS.toFixed(2))} s`)],
    ["started", escapeHtml(run.startedAt)],
    ["finished", escapeHtml(run.finishedAt ?? "—")],
    ...(run.sweepId ? [["sweep", code(run.sweepId)] as [string, string]] : []),
  ];
  const notice = run.status === "completed" ? "" :
    `<p class="warning">This run's status is <strong>${escapeHtml(run.status)}</strong>: it did not reach the end of its scenario normally, so its numbers describe a partial run.</p>`;
  return notice + kv(rows) + `<h3>Reproduce</h3>${reproduceBlock(r)}` +
    `<details><summary>Resolved scenario parameters (as stored)</summary><pre class="params">${escapeHtml(JSON.stringify(run.params, null, 2))}</pre></details>`;
}

function identityMulti(data: ReportData): string {
  const head = "<tr><th>run</th><th>scenario</th><th>seed</th><th>status</th><th>trace hash</th><th>code</th><th class=num>events</th><th class=num>simulated</th><th class=num>wall s</th><th>started</th></tr>";
  const body = data.runs.map((r) => {
    const run = r.run;
    return `<tr><td>${code(run.runId)}</td><td>${escapeHtml(run.scenario)}</td><td class=num>${run.seed}</td><td>${statusBadge(run.status)}</td>` +
      `<td>${code(run.traceHash ?? "—")}</td><td>${code(run.codeVersion)}${run.codeDirty ? " (dirty)" : ""}</td>` +
      `<td class=num>${run.events === null ? "—" : formatNumber(run.events)}</td><td class=num>${run.simTimeUs === null ? "—" : escapeHtml(formatSimTime(run.simTimeUs))}</td>` +
      `<td class=num>${run.wallTimeS === null ? "—" : formatNumber(+run.wallTimeS.toFixed(2))}</td><td>${escapeHtml(run.startedAt)}</td></tr>`;
  }).join("");
  const groups = data.groups.map((g) => {
    const ex = g.excluded.length === 0 ? "none" : g.excluded.map((e) => `${code(e.runId)} (${escapeHtml(e.status)})`).join(", ");
    const cv = g.codeVersions.length > 1 ? ` <span class="warning">Runs from ${g.codeVersions.length} code versions (${g.codeVersions.map(code).join(", ")}): differences may come from code, not seeds.</span>` : "";
    return `<li><strong>${escapeHtml(g.label)}</strong>: ${g.runs.length} run${g.runs.length === 1 ? "" : "s"}, ${g.included.length} completed and used for statistics; excluded: ${ex}.${cv}</li>`;
  }).join("");
  const lines = data.runs.map((r) => `<h4>${code(r.run.runId)}</h4>${reproduceBlock(r)}`).join("");
  return `<p>${data.runs.length} runs selected by ${code(data.selector)} (${escapeHtml(data.kind === "sweep" ? "sweep id" : "run-id prefix")}), in ${data.groups.length} group${data.groups.length === 1 ? "" : "s"} (same scenario and parameters, seeds differ):</p><ul>${groups}</ul>` +
    `<div class="scroll"><table class="runs"><thead>${head}</thead><tbody>${body}</tbody></table></div>` +
    `<details><summary>Reproduce each run</summary>${lines}</details>`;
}

function unitCell(name: string): string {
  const u = parseMetricName(name).unit;
  return u.label === "" ? "" : `<abbr title="${escapeHtml(u.long)}">${escapeHtml(u.label)}</abbr>`;
}

function byPrefix(names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const p = parseMetricName(n).prefix;
    const list = out.get(p);
    if (list) list.push(n); else out.set(p, [n]);
  }
  return out;
}

function metricsTableSingle(r: RunData, registry: readonly SectionEntry[]): string {
  const blocks: string[] = [];
  for (const [prefix, names] of byPrefix(r.metrics.map((m) => m.name))) {
    const rows = names.map((n) => {
      const u = parseMetricName(n).unit;
      return `<tr><td>${code(n)}</td><td class=num>${escapeHtml(formatValue(r.metricMap.get(n) ?? NaN, u))}</td><td>${unitCell(n)}</td></tr>`;
    }).join("");
    blocks.push(`<tbody><tr class="grp"><th colspan=3>${escapeHtml(prefixTitle(prefix, registry))} <span class="pfx">${escapeHtml(prefix)}</span></th></tr>${rows}</tbody>`);
  }
  return `<table class="metrics"><thead><tr><th>metric</th><th class=num>value</th><th>unit</th></tr></thead>${blocks.join("")}</table>`;
}

function ciTable(g: RunGroup, registry: readonly SectionEntry[]): string {
  const blocks: string[] = [];
  const stat = new Map(g.stats.map((s) => [s.name, s]));
  for (const [prefix, names] of byPrefix(g.stats.map((s) => s.name))) {
    const rows = names.map((n) => {
      const s = stat.get(n)!;
      const f = (v: number) => escapeHtml(formatCompact(v));
      const ci = Number.isFinite(s.ciLow) ? `${f(s.ciLow)} … ${f(s.ciHigh)}` : "—";
      return `<tr><td>${code(n)}</td><td>${unitCell(n)}</td><td class=num>${s.n}${s.nonFinite ? ` <span class="note">(+${s.nonFinite} NaN)</span>` : ""}</td>` +
        `<td class=num>${f(s.mean)}</td><td class=num>${f(s.sd)}</td><td class="num ci">${ci}</td><td class=num>${f(s.ciHalf)}</td><td class=num>${f(s.min)}</td><td class=num>${f(s.max)}</td></tr>`;
    }).join("");
    blocks.push(`<tbody><tr class="grp"><th colspan=9>${escapeHtml(prefixTitle(prefix, registry))} <span class="pfx">${escapeHtml(prefix)}</span></th></tr>${rows}</tbody>`);
  }
  const excluded = g.excluded.length === 0 ? "No run was excluded." :
    `${g.excluded.length} run${g.excluded.length === 1 ? " was" : "s were"} excluded because ${g.excluded.length === 1 ? "its" : "their"} status is not completed: ${g.excluded.map((e) => `${code(e.runId)} (${escapeHtml(e.status)})`).join(", ")}.`;
  return `<h3>${escapeHtml(g.label)} — ${g.included.length} completed run${g.included.length === 1 ? "" : "s"}</h3><p class="note">${excluded}</p>` +
    `<div class="scroll"><table class="metrics ci-table"><thead><tr><th>metric</th><th>unit</th><th class=num>n</th><th class=num>mean</th><th class=num>sd</th><th class=num>95 % CI of the mean</th><th class=num>± half-width</th><th class=num>min</th><th class=num>max</th></tr></thead>${blocks.join("")}</table></div>`;
}

function figure(chart: Chart, svg: string, interactive: boolean, png: boolean): string {
  const scope = `c-${chart.id}`;
  const links = [`<a href="charts/${chart.id}.svg">SVG</a>`, ...(png ? [`<a href="charts/${chart.id}.png">PNG</a>`] : []), `<a href="charts/${chart.id}.vl.json">Vega-Lite spec</a>`].join(" · ");
  return `<figure class="chart" id="chart-${chart.id}">` +
    `<div class="static">${scopeSvgIds(svg.replace(/^<\?xml[^>]*>\s*/, ""), scope)}</div>` +
    (interactive ? `<div class="live" hidden></div><script type="application/json" class="vl-spec">${scriptJson(chart.interactive)}</script>` : "") +
    `<figcaption>${chart.caption ? `${escapeHtml(chart.caption)} ` : ""}<span class="links">${links}</span></figcaption></figure>`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5b636d;--line:#d9dde2;--bg:#fff;--accent:#1f5fa8}
*{box-sizing:border-box}
body{font:15px/1.5 "DejaVu Sans",Verdana,system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1080px;padding:1.5rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.4rem}h4{font-size:.95rem;margin:.8rem 0 .2rem}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em}
pre{background:#f5f7f9;border:1px solid var(--line);border-radius:4px;padding:.5rem .7rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
pre.params{max-height:28rem;overflow:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{padding:.2rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv th{color:var(--muted);font-weight:normal;padding-right:1.2rem}
tr.grp th{background:#f0f3f6;padding-top:.4rem}.pfx{color:var(--muted);font-weight:normal;font-family:"DejaVu Sans Mono",monospace;font-size:.85em}
.scroll{overflow-x:auto}
.status{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:.85em;font-weight:600}.status.ok{background:#e3f4e6;color:#1d6b2e}.status.bad{background:#fbe4e4;color:#9b1c1c}.status.warn{background:#fff3d6;color:#7a5200}
.warning{background:#fff3d6;border-left:4px solid #e0a100;padding:.4rem .7rem}
.note{color:var(--muted);font-size:.9rem}
p.how{background:#f3f7fc;border-left:4px solid var(--accent);padding:.5rem .8rem;margin:.6rem 0 1rem}
figure.chart{margin:1rem 0 1.6rem;max-width:100%;overflow-x:auto}figure.chart svg{max-width:100%;height:auto}
figcaption{color:var(--muted);font-size:.85rem;margin-top:.2rem}.links a{color:var(--accent)}
nav ul{columns:2;padding-left:1.2rem;margin:.3rem 0}
.toggle{font-size:.9rem;color:var(--muted)}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);padding-top:.6rem}
@media print{.toggle,.links{display:none}figure.chart{break-inside:avoid}}
`;

// Runs in the browser. Swaps each static SVG for a live Vega view (tooltips, zoom/pan); keeps the static one on error.
const BOOT = `
(function () {
  "use strict";
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart"));
  var toggle = document.getElementById("interactive-toggle");
  if (typeof vega === "undefined" || typeof vegaLite === "undefined") { if (toggle) toggle.parentNode.hidden = true; return; }
  var views = [];
  function show(live) {
    figures.forEach(function (f) {
      var s = f.querySelector(".static"), l = f.querySelector(".live");
      if (!l || !l.getAttribute("data-ready")) return;
      l.hidden = !live; s.hidden = live;
    });
  }
  figures.forEach(function (f) {
    var specEl = f.querySelector("script.vl-spec"), live = f.querySelector(".live");
    if (!specEl || !live) return;
    try {
      var vg = vegaLite.compile(JSON.parse(specEl.textContent)).spec;
      var view = new vega.View(vega.parse(vg), { renderer: "svg", container: live, hover: true, logLevel: vega.Warn });
      views.push(view);
      view.runAsync().then(function () { live.setAttribute("data-ready", "1"); show(!toggle || toggle.checked); })
        .catch(function (e) { console.error("popsim report: chart " + f.id + " stays static:", e); });
    } catch (e) { console.error("popsim report: chart " + f.id + " stays static:", e); }
  });
  if (toggle) toggle.addEventListener("change", function () { show(toggle.checked); });
})();
`;

let vegaScripts: string | undefined;

function inlineVega(): string {
  if (vegaScripts === undefined) {
    vegaScripts = VEGA_BUILDS.map((b) => {
      const js = fs.readFileSync(b.file, "utf8");
      return `<script data-lib="${b.name}">${escapeScript(js)}</script>`;
    }).join("\n");
  }
  return vegaScripts;
}

export interface RenderedChart {
  chart: Chart;
  svg: string;
  png?: Buffer;
}

/** The report's HTML text (deterministic: a function of the data and the rendered SVGs only). */
export function reportHtml(data: ReportData, sections: readonly BuiltSection[], rendered: ReadonlyMap<string, RenderedChart>, opts: { interactive: boolean; png: boolean; registry: readonly SectionEntry[] }): string {
  const first = data.runs[0];
  const title = data.multi ? `popsim report: ${data.id} (${data.runs.length} runs)` : `popsim report: ${first.run.runId}`;
  const toc: string[] = [`<li><a href="#identity">Run identity</a></li>`, `<li><a href="#metrics">${data.multi ? "Metrics across runs (95 % CI)" : "Metrics"}</a></li>`];
  const body: string[] = [];
  body.push(`<section id="identity"><h2>Run identity</h2>` +
    `${data.multi ? identityMulti(data) : identitySingle(first)}` +
    `<p class="note">A run's identity is (scenario after overrides, seed, code version); its trace hash fingerprints every event it processed, so two runs with the same identity must show the same hash on any machine.</p></section>`);
  if (data.multi) {
    body.push(`<section id="metrics"><h2>Metrics across runs</h2>` +
      `<p class="how"><strong>How to read this.</strong> For each metric: n is the number of completed runs with a value, mean and sd (sample standard deviation) are over those runs, and the 95 % confidence interval of the mean is mean ± t(0.975, n − 1) · sd / √n (Student t). Runs that did not complete are excluded and named below each table. When the intervals of two configurations do not overlap, the difference is credible (overlapping intervals may still differ); with few seeds the intervals are wide.</p>` +
      data.groups.map((g) => ciTable(g, opts.registry)).join("") + `</section>`);
  } else {
    body.push(`<section id="metrics"><h2>Metrics</h2>` +
      `<p class="how"><strong>How to read this.</strong> Final values at the end of the run, grouped by model. Names read <code>&lt;model&gt;.&lt;quantity&gt;[_&lt;unit&gt;]</code>; the unit column comes from the suffix (<code>_s</code> seconds, <code>_bytes</code> bytes, …) and is empty for counts. Counters are totals over the run; gauges (such as nodes up) are the value at the end; <code>.p50/.p90/.p99</code> are quantiles of a histogram.</p>` +
      metricsTableSingle(first, opts.registry) + `</section>`);
  }
  sections.forEach((s, i) => {
    const id = `sec-${s.prefix.replace(/[^A-Za-z0-9_-]/g, "") || i}`;
    toc.push(`<li><a href="#${id}">${escapeHtml(s.title)}</a></li>`);
    const figs = s.charts.map((c) => {
      const r = rendered.get(c.id)!;
      return figure(c, r.svg, opts.interactive, opts.png);
    }).join("");
    body.push(`<section id="${id}"><h2>${escapeHtml(s.title)}</h2>${s.html}${figs}</section>`);
  });
  const toggle = opts.interactive
    ? `<p class="toggle"><label><input type="checkbox" id="interactive-toggle" checked> interactive charts (hover for values; drag to pan, wheel to zoom, double-click to reset)</label></p>`
    : "";
  const csp = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="popsim report">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>
<p class="note">Generated by <code>popsim report ${escapeHtml(data.selector)}</code> from the results database. This file is self-contained and works offline; the charts are also beside it in <code>charts/</code> as SVG and PNG.</p>
${toggle}
<nav><ul>${toc.join("")}</ul></nav></header>
<main>
${body.join("\n")}
</main>
<footer>popsim — deterministic discrete-event simulator for the POP Network. Same runs ⇒ the same report, byte for byte.</footer>
${opts.interactive ? `${inlineVega()}\n<script>${escapeScript(BOOT)}</script>` : ""}
</body>
</html>
`;
}

function checkCharts(sections: readonly BuiltSection[]): Chart[] {
  const all: Chart[] = [];
  const seen = new Set<string>();
  for (const s of sections) {
    for (const c of s.charts) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(c.id)) throw new Error(`report section '${s.title}': chart id '${c.id}' must be letters, digits, '-' or '_'`);
      if (seen.has(c.id)) throw new Error(`report section '${s.title}': chart id '${c.id}' is used twice; prefix chart ids with the model's name`);
      seen.add(c.id);
      all.push(c);
    }
  }
  return all;
}

let tmpCounter = 0;

/** Renders `data`'s charts and writes the report atomically into `opts.outDir`. */
export async function writeReport(data: ReportData, opts: ReportOptions = {}): Promise<ReportResult> {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`popsim: warning: ${m}\n`));
  const interactive = opts.interactive ?? true;
  const png = opts.png ?? true;
  const registry = opts.sections ?? SECTIONS;
  const dir = path.resolve(opts.outDir ?? defaultReportDir(data.id));
  const name = safeFileName(opts.name ?? data.id);

  const sections = sectionsFor(data, registry);
  const charts = checkCharts(sections);
  const rendered = new Map<string, RenderedChart>();
  for (const c of charts) {
    const svg = await renderSvg(c.spec, { warn });
    rendered.set(c.id, { chart: c, svg, png: png ? svgToPng(svg, { warn }) : undefined });
  }
  const html = reportHtml(data, sections, rendered, { interactive, png, registry });

  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.report-tmp-${process.pid}-${++tmpCounter}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const files: { rel: string; content: string | Buffer }[] = [];
  for (const c of charts) {
    const r = rendered.get(c.id)!;
    files.push({ rel: `charts/${c.id}.svg`, content: r.svg.endsWith("\n") ? r.svg : r.svg + "\n" });
    if (r.png) files.push({ rel: `charts/${c.id}.png`, content: r.png });
    files.push({ rel: `charts/${c.id}.vl.json`, content: JSON.stringify({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", ...c.spec }, null, 1) + "\n" });
  }
  for (const r of data.runs) {
    if (r.reproduce.paramsFile !== undefined) files.push({ rel: r.reproduce.paramsFile, content: JSON.stringify(r.run.params, null, 2) + "\n" });
  }
  const htmlRel = `${name}.html`;
  try {
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(tmp, f.rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, f.rel), f.content);
    }
    fs.writeFileSync(path.join(tmp, htmlRel), html);
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(dir, f.rel)), { recursive: true });
      fs.renameSync(path.join(tmp, f.rel), path.join(dir, f.rel));
    }
    fs.renameSync(path.join(tmp, htmlRel), path.join(dir, htmlRel));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return {
    html: path.join(dir, htmlRel),
    dir,
    charts: charts.map((c) => ({
      id: c.id, title: c.title,
      svg: path.join(dir, "charts", `${c.id}.svg`),
      ...(png ? { png: path.join(dir, "charts", `${c.id}.png`) } : {}),
      spec: path.join(dir, "charts", `${c.id}.vl.json`),
    })),
    runs: data.runs.length,
    excluded: data.groups.reduce((a, g) => a + g.excluded.length, 0),
    id: data.id,
  };
}
