/**
 * The report layer end to end: smoke runs written into a temporary results store the way `popsim run` does
 * (beginRun → runScenario → finishRun), then reports built from it.
 *
 * Checks: the HTML requests nothing from the network (no http(s) resource reference; a CSP that forbids any);
 * every chart SVG is non-empty and has its marks and axis titles; every PNG is a real PNG; the same runs give
 * byte-identical SVGs, specs and HTML, even after other charts were drawn in the process; a 3-seed report shows
 * mean / sd / 95 % CI columns and names the run it excluded; the CLI writes a report and rejects a bad selector.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadScenario } from "../scenarios/load.ts";
import { runScenario } from "../sim/runner/run.ts";
import { canonicalJson } from "../sim/store/canonicalJson.ts";
import { openStore, type FinishStatus, type Store } from "../sim/store/store.ts";
import { buildReport, scopeSvgIds, type ReportResult } from "../reports/html.ts";
import { loadReportData, ReportInputError, reproduceFor } from "../reports/queries.ts";
import { formatNumber, parseMetricName } from "../reports/format.ts";
import { SECTIONS } from "../reports/sections.ts";
import { charts, howToRead, seriesChart, type SectionEntry } from "../reports/sectionKit.ts";
import { popsim } from "./helpers/cli.ts";
import { CliFailure, EXIT, reportCommand } from "../sim/cli/commands.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-report-"));
const dbPath = join(dir, "runs.duckdb");
const SWEEP = "sweep-report-test";
const SEEDS = [1, 2, 3];
let store: Store;
const runIds: string[] = [];
const perRun = new Map<string, Map<string, number>>();

async function storeRun(o: { seed: number; runId: string; sweepId?: string; status?: FinishStatus; sets?: string[] }): Promise<void> {
  const s = loadScenario("smoke", o.sets ?? [], o.seed).scenario;
  await store.beginRun({ runId: o.runId, scenario: s.name, params: JSON.parse(canonicalJson(s)), seed: s.seed, codeVersion: "test0000", codeDirty: false, sweepId: o.sweepId ?? null });
  const r = await runScenario({ scenario: s });
  await store.finishRun(o.runId, {
    status: o.status ?? r.outcome.status, reason: o.status ? `test: recorded as ${o.status}` : r.outcome.reason,
    traceHash: r.outcome.traceHash, simTimeUs: r.outcome.time, events: r.outcome.events, wallTimeS: 0.25,
  }, r.metrics, r.timeseries);
  perRun.set(o.runId, new Map(r.metrics.map((m) => [m.name, m.value])));
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Every place an HTML document can make the browser fetch something. */
function externalReferences(html: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:src|href|action|formaction|poster|data|srcset|background|xlink:href|manifest|ping|cite|longdesc)\s*=\s*["']?\s*(?:https?:)?\/\/[^"'\s>]*/gi,
    /url\(\s*["']?\s*(?:https?:)?\/\/[^)]*\)/gi,
    /@import\s+(?:url\()?\s*["']?\s*(?:https?:)?\/\//gi,
    /<(?:link|iframe|img|object|embed|audio|video|source|base)\b[^>]*>/gi,
    /<script\b[^>]*\bsrc\s*=/gi,
  ];
  for (const p of patterns) for (const m of html.matchAll(p)) found.push(m[0]);
  return found;
}

beforeAll(async () => {
  store = await openStore(dbPath);
  for (const seed of SEEDS) {
    const runId = `smoke-s${seed}-rpt`;
    runIds.push(runId);
    await storeRun({ seed, runId, sweepId: SWEEP });
  }
  // A run of the same sweep that did not complete: reports must leave it out of the statistics and say so.
  await storeRun({ seed: 4, runId: "smoke-s4-rpt", sweepId: SWEEP, status: "interrupted" });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("single-run report", () => {
  let a: ReportResult;
  let html: string;

  beforeAll(async () => {
    a = await buildReport(store, runIds[0], { outDir: join(dir, "single-a"), warn: () => {} });
    html = readFileSync(a.html, "utf8");
  });

  it("writes <out>/<run id>.html and one SVG + PNG + spec per chart", () => {
    expect(a.html).toBe(join(dir, "single-a", `${runIds[0]}.html`));
    expect(a.runs).toBe(1);
    const ids = a.charts.map((c) => c.id);
    for (const id of ["nodes-up-viewers", "nodes-up-infra", "traffic-fetches", "traffic-success", "traffic-latency", "net-messages", "net-throughput", "churn-totals", "faults-totals"]) {
      expect(ids).toContain(id);
    }
    for (const c of a.charts) {
      expect(existsSync(c.svg), c.svg).toBe(true);
      expect(existsSync(c.png!), c.png).toBe(true);
      expect(existsSync(c.spec), c.spec).toBe(true);
    }
    expect(existsSync(join(dir, "single-a", ".report-tmp-"))).toBe(false);
  });

  it("the HTML is self-contained: no http(s) resource, no external script, a CSP that forbids requests", () => {
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).toMatch(/<script data-lib="vega">/);
    expect(html).toMatch(/<script data-lib="vega-lite">/);
    // Inlined libraries cannot end their own <script> early.
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    expect(html.split(/<\/script/i).length - 1).toBe(scripts.length);
    expect(html).not.toContain("sourceMappingURL");
  });

  it("shows identity, the reproduce line and every metric with its unit", () => {
    expect(html).toContain("trace hash");
    expect(html).toContain("npx popsim run smoke --seed 1");
    expect(html).toContain("test0000");
    const metrics = perRun.get(runIds[0])!;
    for (const [name, value] of metrics) {
      expect(html, name).toContain(`<code>${name}</code>`);
      if (Number.isInteger(value)) expect(html, name).toContain(formatNumber(value));
    }
    expect(parseMetricName("traffic.fetch_latency_s.p99").unit.label).toBe("s");
    expect(parseMetricName("traffic.fetch_latency_s.count").unit.label).toBe("");
    expect(parseMetricName("net.bytes_sent").unit.label).toBe("");
    expect(parseMetricName("storage.shard_size_bytes").unit.label).toBe("bytes");
    expect(html).toMatch(/<abbr title="seconds">s<\/abbr>/);
    // Each model section opens with how to read it.
    for (const title of ["Nodes online", "Network", "Probe traffic", "Churn", "Fault timeline"]) expect(html).toContain(`${title}`);
    expect((html.match(/class="how"/g) ?? []).length).toBeGreaterThanOrEqual(6);
  });

  it("every chart SVG is non-empty, with its marks, title and axis titles", () => {
    for (const c of a.charts) {
      const svg = readFileSync(c.svg, "utf8");
      expect(svg.startsWith("<svg"), c.id).toBe(true);
      expect(svg.length, c.id).toBeGreaterThan(2000);
      expect(svg, c.id).toContain("<path");
      expect(svg, c.id).toContain(c.title.replace(/&/g, "&amp;"));
      expect(svg, c.id).not.toMatch(/NaN|undefined/);
      if (c.id === "traffic-latency") {
        expect(svg).toContain("seconds");
        expect(svg).toContain("latency p99");
        expect(svg).toContain('class="mark-symbol'); // points
      } else {
        expect(svg, c.id).toContain("simulated time (min)");
        expect(svg, c.id).toContain('class="mark-line'); // a line per series
      }
    }
    const nodes = readFileSync(a.charts.find((c) => c.id === "nodes-up-viewers")!.svg, "utf8");
    expect(nodes).toContain("nodes up");
    const net = readFileSync(a.charts.find((c) => c.id === "net-messages")!.svg, "utf8");
    expect(net).toContain("messages/s");
    expect(net).toContain("messages_delivered");
  });

  it("every PNG starts with the PNG signature and is non-trivial", () => {
    for (const c of a.charts) {
      const png = readFileSync(c.png!);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE), c.id).toBe(true);
      expect(png.length, c.id).toBeGreaterThan(10_000);
    }
  });

  it("is deterministic: same run ⇒ byte-identical SVGs, PNGs, specs and HTML, whatever was drawn before", async () => {
    await buildReport(store, SWEEP, { outDir: join(dir, "in-between"), warn: () => {} }); // moves Vega's global id counters
    const b = await buildReport(store, runIds[0], { outDir: join(dir, "single-b"), warn: () => {} });
    expect(b.charts.map((c) => c.id)).toEqual(a.charts.map((c) => c.id));
    for (let i = 0; i < a.charts.length; i++) {
      expect(readFileSync(b.charts[i].svg, "utf8"), a.charts[i].id).toBe(readFileSync(a.charts[i].svg, "utf8"));
      expect(readFileSync(b.charts[i].spec, "utf8"), a.charts[i].id).toBe(readFileSync(a.charts[i].spec, "utf8"));
      expect(readFileSync(b.charts[i].png!).equals(readFileSync(a.charts[i].png!)), a.charts[i].id).toBe(true);
    }
    expect(readFileSync(b.html, "utf8")).toBe(html);
    // Inline SVGs get their ids scoped, so one chart's clip path never resolves into another's.
    const ids = [...html.matchAll(/\sid="(c-[^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(scopeSvgIds('<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>', "c-x")).toBe('<svg><clipPath id="c-x-clip1"/><g clip-path="url(#c-x-clip1)"/></svg>');
  });
});

describe("section registry", () => {
  it("a registered section appears without touching html.ts; an unregistered prefix gets a generic section", async () => {
    const custom: SectionEntry = {
      prefix: "nodes.",
      title: "Custom nodes",
      build: (data) => ({
        title: "Custom nodes section",
        html: howToRead("A test section."),
        charts: charts(seriesChart(data, { id: "custom-masternodes", title: "Masternodes (custom)", yTitle: "up", series: [{ name: "nodes.up_masternodes" }] })),
      }),
    };
    const registry = [custom, ...SECTIONS.filter((e) => e.prefix !== "nodes." && e.prefix !== "churn.")];
    const r = await buildReport(store, runIds[0], { outDir: join(dir, "registry"), sections: registry, png: false, interactive: false, warn: () => {} });
    const html = readFileSync(r.html, "utf8");
    expect(html).toContain("Custom nodes section");
    expect(html).toContain("A test section.");
    expect(r.charts.map((c) => c.id)).toEqual(expect.arrayContaining(["custom-masternodes", "churn-raw-1"]));
    expect(r.charts.map((c) => c.id)).not.toContain("nodes-up-viewers");
    expect(html).toContain("has no report section yet");
    expect(html).not.toContain("<script data-lib"); // interactive: false ⇒ static SVG only
    expect(r.charts.every((c) => c.png === undefined)).toBe(true);
  });
});

describe("multi-run report (3 seeds + 1 interrupted run in one sweep)", () => {
  it("computes mean, sd and 95 % CI over completed runs only, and says which run was excluded", async () => {
    const data = await loadReportData(store, SWEEP);
    expect(data.kind).toBe("sweep");
    expect(data.multi).toBe(true);
    expect(data.runs.map((r) => r.run.seed)).toEqual([1, 2, 3, 4]);
    expect(data.groups).toHaveLength(1);
    const g = data.groups[0];
    expect(g.included.map((r) => r.run.runId)).toEqual(runIds);
    expect(g.excluded.map((e) => [e.runId, e.status])).toEqual([["smoke-s4-rpt", "interrupted"]]);
    const fetches = g.stats.find((s) => s.name === "traffic.fetches")!;
    const values = runIds.map((id) => perRun.get(id)!.get("traffic.fetches")!);
    const mean = values.reduce((x, y) => x + y, 0) / 3;
    const sd = Math.sqrt(values.reduce((x, y) => x + (y - mean) ** 2, 0) / 2);
    expect(fetches.n).toBe(3);
    expect(fetches.mean).toBeCloseTo(mean, 6);
    expect(fetches.sd).toBeCloseTo(sd, 6);
    expect(fetches.ciHalf).toBeCloseTo(4.302652729749464 * sd / Math.sqrt(3), 6); // t(0.975, 2)
  });

  it("the HTML shows the CI table, the runs table and CI charts", async () => {
    const r = await buildReport(store, SWEEP, { outDir: join(dir, "multi"), warn: () => {} });
    expect(r.runs).toBe(4);
    expect(r.excluded).toBe(1);
    expect(r.html).toBe(join(dir, "multi", `${SWEEP}.html`));
    const html = readFileSync(r.html, "utf8");
    expect(externalReferences(html)).toEqual([]);
    for (const col of ["<th class=num>n</th>", "<th class=num>mean</th>", "<th class=num>sd</th>", "95 % CI of the mean", "± half-width"]) expect(html).toContain(col);
    expect(html).toContain("3 completed runs");
    expect(html).toMatch(/1 run was excluded because its status is not completed: <code>smoke-s4-rpt<\/code> \(interrupted\)/);
    for (const id of runIds) expect(html).toContain(id);
    const ids = r.charts.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(["nodes-up-final", "traffic-latency", "net-drops-final", "churn-final"]));
    const band = readFileSync(r.charts.find((c) => c.id === "nodes-up-viewers")!.svg, "utf8");
    expect(band).toContain('class="mark-area'); // the 95 % band around the mean line
    const ci = readFileSync(r.charts.find((c) => c.id === "traffic-latency")!.svg, "utf8");
    expect(ci).toContain('class="mark-rule'); // CI bars
    expect(ci).toContain('class="mark-symbol'); // per-run dots and means
  });

  it("a prefix selects several runs; an unknown selector is an input error", async () => {
    const data = await loadReportData(store, "smoke-s");
    expect(data.kind).toBe("prefix");
    expect(data.runs).toHaveLength(4);
    await expect(loadReportData(store, "nope-")).rejects.toBeInstanceOf(ReportInputError);
  });

  it("a run whose scenario is not built in reproduces from its stored parameters", () => {
    const s = loadScenario("smoke", [], 5).scenario;
    const r = reproduceFor({ runId: "custom-s5-x", scenario: "my-file-scenario", seed: 5, paramsJson: canonicalJson({ ...s, name: "my-file-scenario" }) } as never);
    expect(r.exact).toBe(false);
    expect(r.line).toBe("npx popsim run params/custom-s5-x.json --seed 5");
    const o = reproduceFor({ runId: "o", scenario: "smoke", seed: 5, paramsJson: canonicalJson(loadScenario("smoke", ["network.loss=0.02", "duration=45min"], 5).scenario) } as never);
    expect(o.exact).toBe(true);
    expect(o.line).toBe("npx popsim run smoke --seed 5 --set duration=45min --set network.loss=0.02");
  });
});

describe("popsim report (CLI)", () => {
  it("--json prints { html, charts, runs } and the same bytes as in-process; a bad selector or a missing database exits 2", async () => {
    await store.close(); // DuckDB: one process writes a file, and then no other process may read it
    const out = join(dir, "cli");
    const ok = await popsim(["report", "smoke-s2", "--db", dbPath, "--out", out, "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j.html).toBe(join(out, `${runIds[1]}.html`));
    expect(j.runs).toBe(1);
    expect(j.charts.length).toBeGreaterThan(5);
    expect(existsSync(j.html)).toBe(true);
    // Bad input, in process (the CLI maps CliFailure.exitCode to the process exit code): exit 2, nothing created.
    const bad = await reportCommand({ selector: "no-such-run", db: dbPath }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(CliFailure);
    expect((bad as CliFailure).exitCode).toBe(EXIT.badInput);
    expect((bad as CliFailure).message).toContain("no-such-run");
    const missing = await reportCommand({ selector: "x", db: join(dir, "missing.duckdb") }).catch((e: unknown) => e);
    expect((missing as CliFailure).exitCode).toBe(EXIT.badInput);
    expect((missing as CliFailure).message).toContain("missing.duckdb");
    expect(existsSync(join(dir, "missing.duckdb"))).toBe(false);
    store = await openStore(dbPath, { readOnly: true });
    // Same report in this process: the same bytes as the child process wrote (no process-dependent ids).
    const here = await buildReport(store, "smoke-s2", { outDir: join(dir, "cli-again"), warn: () => {} });
    expect(here.charts.map((c) => c.id)).toEqual(j.charts.map((c: { id: string }) => c.id));
    for (let i = 0; i < here.charts.length; i++) expect(readFileSync(here.charts[i].svg, "utf8"), here.charts[i].id).toBe(readFileSync(j.charts[i].svg, "utf8"));
    expect(readFileSync(here.html, "utf8")).toBe(readFileSync(j.html, "utf8"));
  });
});
