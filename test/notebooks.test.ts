/**
 * The notebooks (notebooks/*.ipynb) run as a researcher runs them — Jupyter's nbconvert driving Deno's kernel,
 * through notebooks/run.ts — against results made here by the real CLI, and say the right things:
 *
 * - sweep.ipynb over a `popsim sweep` (3 loss values × 3 seeds) finds the swept parameter, draws one chart with a
 *   dot per run, and its means and 95 % intervals equal reports/stats.ts over the CLI's own per-run metrics; the
 *   same numbers come out of the Parquet export;
 * - storage-tolerance.ipynb draws the hypergeometric curves (values equal to models/storage/theory.ts and to
 *   DOMAIN.md §a's independently computed table), overlays a small `storage-tolerance` run with the theory inside
 *   the simulated intervals, and, over results without such a run, says so and still draws the theory.
 *
 * Skipped only when Jupyter's nbconvert is missing (Debian `jupyter-nbconvert python3-nbclient`, which .ci/run
 * installs); a missing deno (an npm devDependency) fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { summarize } from "../reports/stats.ts";
import { hypergeometricLossProbability } from "../models/storage/theory.ts";
import { findResults, flattenParams, paramAt, sweptPaths } from "../notebooks/lib.ts";
import { DEBIAN_PACKAGES, executeNotebook, findToolchain, listNotebooks, NOTEBOOKS_DIR, type Executed } from "../notebooks/run.ts";
import { limit, popsim, ROOT } from "./helpers/cli.ts";

// ─── Reading an executed notebook ────────────────────────────────────────────────────────────────────────────

interface NotebookOutputs {
  charts: Map<string, string>;
  tables: Map<string, string>;
  data: Map<string, any>;
  markdown: string[];
  errors: string[];
}

function text(v: unknown): string {
  return Array.isArray(v) ? v.join("") : String(v ?? "");
}

function readOutputs(path: string): NotebookOutputs {
  const nb = JSON.parse(readFileSync(path, "utf8"));
  const out: NotebookOutputs = { charts: new Map(), tables: new Map(), data: new Map(), markdown: [], errors: [] };
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      if (o.output_type === "error") out.errors.push(`${o.ename}: ${o.evalue}`);
      const d = o.data ?? {};
      const html = d["text/html"] === undefined ? undefined : text(d["text/html"]);
      const chart = html && /data-popsim-chart="([^"]+)"/.exec(html);
      if (chart) out.charts.set(chart[1].replace(/&quot;/g, '"'), html!);
      const table = html && /data-popsim-table="([^"]+)"/.exec(html);
      if (table) out.tables.set(table[1], html!);
      if (d["application/json"]?.popsimData) out.data.set(d["application/json"].popsimData, d["application/json"].data);
      if (d["text/markdown"] !== undefined) out.markdown.push(text(d["text/markdown"]));
    }
  }
  return out;
}

/** Per Plot mark (`<g aria-label="dot">` …): how many circles, paths and lines each such group holds. */
function marks(svg: string): Map<string, { circle: number; path: number; line: number }[]> {
  const out = new Map<string, { circle: number; path: number; line: number }[]>();
  for (const chunk of svg.split("<g ").slice(1)) {
    const open = chunk.slice(0, chunk.indexOf(">"));
    const label = /aria-label="([^"]+)"/.exec(open)?.[1];
    if (!label) continue;
    const body = chunk.slice(0, chunk.indexOf("</g>"));
    const count = (tag: string) => body.split(`<${tag}`).length - 1;
    if (!out.has(label)) out.set(label, []);
    out.get(label)!.push({ circle: count("circle"), path: count("path"), line: count("line") });
  }
  return out;
}

// ─── Pure helpers (no Jupyter needed) ────────────────────────────────────────────────────────────────────────

describe("notebook helpers", () => {
  it("flattenParams gives the dotted paths --set takes, array items by index", () => {
    const flat = flattenParams({ a: { b: 1, c: [1, { d: "x" }] }, e: {}, f: null });
    expect([...flat.entries()]).toEqual([["a.b", "1"], ["a.c.0", "1"], ["a.c.1.d", '"x"'], ["e", "{}"], ["f", "null"]]);
    expect(paramAt({ a: { c: [1, { d: "x" }] } }, "a.c.1.d")).toBe("x");
    expect(paramAt({ a: 1 }, "a.b")).toBeUndefined();
  });

  it("sweptPaths finds what varied, leaving the seed out", () => {
    const runs = [
      { seed: 1, network: { loss: 0 }, population: { viewers: 200 }, x: [1, 2] },
      { seed: 2, network: { loss: 0.02 }, population: { viewers: 200 }, x: [1, 3] },
      { seed: 1, network: { loss: 0.02 }, population: { viewers: 200 }, x: [1, 2] },
    ];
    expect(sweptPaths(runs)).toEqual(["network.loss", "x.1"]);
    expect(sweptPaths([runs[0]])).toEqual([]);
  });

  it("findResults: explicit path, then env, then the default places; a missing explicit path is a problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "popsim-nbfind-"));
    try {
      const sub = join(dir, "notebooks");
      mkdirSync(sub);
      expect(findResults({ cwd: sub, env: {} })).toEqual({
        tried: [join(sub, "popsim.duckdb"), join(dir, "popsim.duckdb"), join(sub, "popsim-export"), join(dir, "popsim-export")],
      });
      mkdirSync(join(dir, "popsim-export"));
      writeFileSync(join(dir, "popsim-export", "runs.parquet"), "");
      writeFileSync(join(dir, "popsim-export", "metrics.parquet"), "");
      expect(findResults({ cwd: sub, env: {} }).source).toEqual({ kind: "parquet", dir: join(dir, "popsim-export") });
      writeFileSync(join(dir, "popsim.duckdb"), "");
      expect(findResults({ cwd: sub, env: {} }).source).toEqual({ kind: "duckdb", path: join(dir, "popsim.duckdb") });
      expect(findResults({ cwd: sub, env: { POPSIM_EXPORT: "../popsim-export" } }).source).toEqual({ kind: "parquet", dir: join(dir, "popsim-export") });
      const missing = findResults({ cwd: sub, env: { POPSIM_DB: "nope.duckdb" } });
      expect(missing.source).toBeUndefined();
      expect(missing.problem).toBe(`results database ${join(sub, "nope.duckdb")} does not exist`);
      expect(findResults({ cwd: sub, env: {}, exportDir: sub }).problem).toMatch(/is not a popsim Parquet export/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ─── The notebooks, executed ─────────────────────────────────────────────────────────────────────────────────

const tools = findToolchain();
const skipReason = tools.nbconvert
  ? ""
  : `Jupyter's nbconvert is not installed (Debian: apt-get install --no-install-recommends ${DEBIAN_PACKAGES.join(" ")})`;
if (skipReason) console.warn(`test/notebooks.test.ts: notebooks not executed — ${skipReason}`);
const hasToleranceScenario = existsSync(join(ROOT, "scenarios", "storage-tolerance.json"));

describe.skipIf(skipReason !== "")(`notebooks executed against generated results${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "popsim-notebooks-"));
  const sweepDb = join(dir, "sweep.duckdb");
  const exportDir = join(dir, "sweep-export");
  const toleranceDb = join(dir, "tolerance.duckdb");
  const sweepNb = join(NOTEBOOKS_DIR, "sweep.ipynb");
  const storageNb = join(NOTEBOOKS_DIR, "storage-tolerance.ipynb");
  let sweep: { sweepId: string; runs: { params: Record<string, number>; status: string; metrics: Record<string, number> }[] };
  let toleranceRunId = "";
  const executed = new Map<string, Executed>();
  const outputs = new Map<string, NotebookOutputs>();

  beforeAll(async () => {
    const makeSweep = async () => {
      const r = await popsim(["sweep", "smoke", "--grid", "network.loss=0,0.02,0.05", "--seeds", "1..3", "--workers", "1", "--db", sweepDb, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      sweep = JSON.parse(r.stdout);
      const e = await popsim(["export", "--format", "parquet", "--db", sweepDb, "--out", exportDir, "--json"]);
      expect(e.code, e.stderr).toBe(0);
    };
    const makeTolerance = async () => {
      if (!hasToleranceScenario) return;
      const r = await popsim([
        "run", "storage-tolerance", "--seed", "1", "--db", toleranceDb, "--json",
        "--set", "population.masternodes=200", "--set", "models.storage.videos=10", "--set", "models.storage.segmentsPerVideo=50",
        "--set", "models.storage.tolerance.trials=200", "--set", "models.storage.tolerance.targetedTrials=20",
        "--set", "models.storage.tolerance.fStep=0.1",
      ]);
      expect(r.code, r.stderr).toBe(0);
      toleranceRunId = JSON.parse(r.stdout).runId;
    };
    await Promise.all([makeSweep(), makeTolerance()]);

    const cases: [string, string, { db?: string; exportDir?: string; html?: boolean }][] = [
      ["sweep@db", sweepNb, { db: sweepDb, html: true }],
      ["sweep@parquet", sweepNb, { exportDir }],
      ["storage@no-tolerance-run", storageNb, { db: sweepDb }],
      ...(hasToleranceScenario ? [["storage@tolerance", storageNb, { db: toleranceDb }] as [string, string, { db: string }]] : []),
    ];
    await limit(2, cases.map(([name, nb, o]) => async () => {
      const r = await executeNotebook(nb, { outDir: join(dir, "out", name), html: false, ...o });
      executed.set(name, r);
      outputs.set(name, readOutputs(r.executed));
    }));
  }, 240_000); // ~25 s on a quiet machine; allow for a loaded one

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("every notebook in notebooks/ is executed here, with no cell error", () => {
    const ran = new Set([...executed.values()].map((e) => basename(e.notebook)));
    expect(listNotebooks().map((p) => basename(p)).filter((n) => !ran.has(n))).toEqual([]);
    for (const [name, o] of outputs) expect(o.errors, name).toEqual([]);
  });

  it("sweep.ipynb: one chart per sweep, a dot per run, means and 95 % CIs equal to reports/stats.ts over the CLI's metrics", () => {
    const o = outputs.get("sweep@db")!;
    const chart = o.charts.get(`sweep:${sweep.sweepId}`);
    expect(chart, [...o.charts.keys()].join(", ")).toBeDefined();
    expect(chart).toContain("<svg");
    expect(chart).toContain("network.loss");
    const m = marks(chart!);
    expect(m.get("dot")![0].circle).toBe(9); // the runs
    expect(m.get("dot")![1].path).toBe(3); // the means (diamonds)
    expect(m.get("rule")![0].line).toBe(3); // the intervals
    expect(m.get("line")![0].path).toBe(1);
    expect(o.tables.get(`sweep-table:${sweep.sweepId}`)!.split("<tr>").length - 1).toBe(4); // header + 3 settings

    const summary = o.data.get("sweep-summary");
    expect(summary.metric).toBe("traffic.fetch_latency_s.p99");
    expect(summary.sweeps).toHaveLength(1);
    const s = summary.sweeps[0];
    expect(s).toMatchObject({ sweepId: sweep.sweepId, scenario: "smoke", param: "network.loss", varied: ["network.loss"], runs: 9, metricMissing: false });
    expect(s.groups.map((g: any) => g.x)).toEqual([0, 0.02, 0.05]);
    for (const g of s.groups) {
      const values = sweep.runs
        .filter((r) => r.params["network.loss"] === g.x && r.status === "completed")
        .map((r) => r.metrics["traffic.fetch_latency_s.p99"]);
      const want = summarize(values);
      expect(g.n).toBe(3);
      expect(g.excluded).toBe(0);
      for (const k of ["mean", "sd", "ciLow", "ciHigh", "min", "max"] as const) expect(g[k]).toBeCloseTo(want[k], 12);
      expect(g.ciLow).toBeLessThan(g.mean);
    }
    const html = readFileSync(executed.get("sweep@db")!.html!, "utf8");
    expect(html).toContain(`data-popsim-chart="sweep:${sweep.sweepId}"`);
    expect(html).not.toMatch(/<script[^>]+src="https?:/);
  });

  it("sweep.ipynb over the Parquet export gives the same numbers as over the database", () => {
    const fromDb = outputs.get("sweep@db")!.data.get("sweep-summary");
    const fromParquet = outputs.get("sweep@parquet")!.data.get("sweep-summary");
    expect(fromParquet.source).toEqual({ kind: "parquet", dir: exportDir });
    expect(fromParquet.sweeps).toEqual(fromDb.sweeps);
    expect(outputs.get("sweep@parquet")!.charts.has(`sweep:${sweep.sweepId}`)).toBe(true);
  });

  it("storage-tolerance.ipynb: theory curves from models/storage/theory.ts, matching DOMAIN.md's table", () => {
    const o = outputs.get("storage@no-tolerance-run")!;
    for (const id of ["tolerance:p-segment-lost", "tolerance:p-any-lost"]) {
      const chart = o.charts.get(id);
      expect(chart, id).toBeDefined();
      expect(marks(chart!).get("line")![0].path).toBe(5); // one line per code
      expect(chart).toContain("29.57 % claim");
    }
    const theory = o.data.get("tolerance-theory");
    expect(theory.claimFailed).toBe(296);
    const byCode = new Map<string, any>(theory.codes.map((c: any) => [c.code, c]));
    // DOMAIN.md §a, computed with scipy: P_loss at f = 0.2957, N = 1000, hypergeometric.
    for (const [code, domain] of [["RS(3, 10)", 1.4e-3], ["RS(10, 30)", 4.1e-6], ["RS(20, 40)", 1.6e-3], ["RS(29, 80)", 7.9e-12]] as const) {
      const c = byCode.get(code);
      expect(c.pSegmentAtClaim).toBe(hypergeometricLossProbability(c.k, c.n, 1000, 296));
      expect(Math.abs(c.pSegmentAtClaim - domain) / domain, code).toBeLessThan(0.05);
    }
    expect(byCode.get("RS(10, 30)").mdsTolerance).toBeCloseTo(2 / 3, 12);
    // P(any lost) ≤ ε at the largest tolerated F, and not one failure more.
    for (const c of theory.codes) {
      expect(c.failedMaxMany).toBeLessThanOrEqual(c.failedMaxOne);
      const p = (F: number) => 1 - (1 - hypergeometricLossProbability(c.k, c.n, 1000, F)) ** theory.segments;
      expect(p(c.failedMaxMany)).toBeLessThanOrEqual(theory.epsilon * 1.0001);
      expect(p(c.failedMaxMany + 1)).toBeGreaterThan(theory.epsilon);
    }
  });

  it("storage-tolerance.ipynb without a storage-tolerance run says so and keeps the theory", () => {
    const o = outputs.get("storage@no-tolerance-run")!;
    const sim = o.data.get("tolerance-sim");
    expect(sim.runs).toEqual([]);
    expect(sim.note).toContain("holds no completed storage-tolerance run");
    expect(o.markdown.join("\n")).toContain("No simulated points to overlay");
    expect([...o.charts.keys()].filter((k) => k.startsWith("tolerance-sim"))).toEqual([]);
  });

  it.skipIf(!hasToleranceScenario)("storage-tolerance.ipynb overlays a simulated run: its points inside the exact theory's reach", () => {
    const o = outputs.get("storage@tolerance")!;
    const sim = o.data.get("tolerance-sim");
    expect(sim.runs).toHaveLength(1);
    const run = sim.runs[0];
    expect(run).toMatchObject({ runId: toleranceRunId, k: 10, storedShards: 25, nodes: 200, segments: 500, trials: 200 });
    const grid = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    expect(run.points.filter((p: any) => p.model === "random").map((p: any) => p.f)).toEqual(grid);
    expect(run.points.filter((p: any) => p.model === "targeted").map((p: any) => p.f)).toEqual(grid);
    // The notebook's theory (theory.ts, here) and the run's stored theory agree; the simulation lands on it.
    expect(run.maxRelDiffTheory).toBeLessThan(1e-9);
    expect(run.randomTotal).toBe(7);
    expect(run.randomInside).toBeGreaterThanOrEqual(run.randomTotal - 1);
    for (const p of run.points) expect(p.ciLo).toBeLessThanOrEqual(p.ciHi);
    const chart = o.charts.get(`tolerance-sim:${toleranceRunId}`);
    expect(chart).toBeDefined();
    const dots = marks(chart!).get("dot")!;
    expect(dots.reduce((s, d) => s + d.circle, 0)).toBe(14); // every point: filled, or hollow at the floor when 0
    expect(o.charts.has(`tolerance-sim-any:${toleranceRunId}`)).toBe(true);
    expect(o.tables.has(`tolerance-sim-table:${toleranceRunId}`)).toBe(true);
  });
});
