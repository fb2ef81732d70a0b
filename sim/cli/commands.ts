/**
 * What each `popsim` command does, as plain async functions (main.ts wires them into Effect CLI).
 *
 * Rules every command keeps:
 * - Validation comes first: a bad scenario, `--set` or flag exits with code 2 before the database is opened or
 *   any file is written, and the message names the path, the value given and what was expected.
 * - With `--json`, stdout carries exactly one JSON object; everything for humans goes to stderr.
 * - Every failure prints the line that reproduces it.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadScenario, listScenarios, ScenarioError, type LoadedScenario } from "../../scenarios/load.ts";
import { runScenario, type RunResult } from "../runner/run.ts";
import { openStore, StoreError, type ExportedFile, type Store } from "../store/store.ts";
import { canonicalJson } from "../store/canonicalJson.ts";
import { codeVersion } from "./codeVersion.ts";
import { Progress } from "./progress.ts";
import { formatDuration } from "../kernel/time.ts";

export const DEFAULT_DB = "popsim.duckdb";

/** Exit codes: 0 ok, 1 the run failed or hit a limit, 2 bad input, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

export class CliFailure extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function reproduceLine(scenario: string, seed: number | undefined, sets: readonly string[]): string {
  const parts = ["npx", "popsim", "run", scenario];
  if (seed !== undefined) parts.push("--seed", String(seed));
  for (const s of sets) parts.push("--set", s);
  return parts.map(shellQuote).join(" ");
}

/** Validate a seed flag value (the CLI parses integers; this checks the range). */
function checkSeed(seed: number | undefined): void {
  if (seed === undefined) return;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new CliFailure(`--seed: got ${seed}; expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`, EXIT.badInput);
  }
}

export function load(scenario: string, sets: readonly string[], seed: number | undefined): LoadedScenario {
  checkSeed(seed);
  try {
    return loadScenario(scenario, sets, seed);
  } catch (e) {
    if (e instanceof ScenarioError) throw new CliFailure(`popsim: invalid input, nothing was written.\n${e.message}`, EXIT.badInput);
    throw e;
  }
}

export interface RunCommandOptions {
  scenario: string;
  seed?: number;
  sets: readonly string[];
  db: string;
  json: boolean;
  check: boolean;
  /** Store one row per processed event in the `events` table (small runs only; capped). */
  events?: boolean;
}

export interface RunSummary {
  runId: string;
  scenario: string;
  seed: number;
  status: string;
  reason: string;
  events: number;
  simTimeS: number;
  wallTimeS: number;
  /** Peak resident memory of this process so far, KiB (benchmarks read it). */
  maxRssKb: number;
  traceHash: string;
  codeVersion: string;
  codeDirty: boolean;
  db: string;
  metrics: Record<string, number>;
}

function newRunId(scenario: string, seed: number): string {
  // Run ids only name rows; they are not part of a run's identity, so wall-clock entropy is fine here.
  return `${scenario}-s${seed}-${randomBytes(4).toString("hex")}`;
}

/** `popsim run`: validate, run, store atomically, print. */
export async function runCommand(o: RunCommandOptions): Promise<RunSummary> {
  const { scenario } = load(o.scenario, o.sets, o.seed);
  const dbPath = resolve(o.db);
  const cv = codeVersion();
  const store: Store = await openStore(dbPath);
  const runId = newRunId(scenario.name, scenario.seed);
  const reproduce = reproduceLine(o.scenario, scenario.seed, o.sets);
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  try {
    await store.beginRun({ runId, scenario: scenario.name, params: JSON.parse(canonicalJson(scenario)), seed: scenario.seed, codeVersion: cv.version, codeDirty: cv.dirty });
    if (!o.json) process.stderr.write(`popsim: run ${runId} — scenario ${scenario.name}, seed ${scenario.seed}, ${scenario.duration} simulated, code ${cv.version}${cv.dirty ? " (dirty)" : ""}\n`);
    const bar = new Progress(parseDurationUs(scenario.duration), process.stderr.isTTY === true);
    let result: RunResult;
    try {
      result = await runScenario({
        scenario,
        checkMode: o.check || undefined,
        recordEvents: o.events ?? false,
        onProgress: bar.update,
        between: async () => {
          await new Promise<void>((r) => setImmediate(r));
          return interrupted;
        },
      });
    } catch (e) {
      bar.done();
      const msg = (e as Error).stack ?? String(e);
      await store.markRun(runId, "failed", (e as Error).message);
      await store.close();
      throw new CliFailure(`popsim: run ${runId} failed: ${msg}\nreproduce: ${reproduce}`, EXIT.failed);
    }
    bar.done();
    const wallTimeS = bar.wallSeconds;
    const status = interrupted && result.outcome.reason === "interrupted by the user" ? "interrupted" : result.outcome.status;
    await store.finishRun(runId, {
      status,
      reason: result.outcome.reason,
      traceHash: result.outcome.traceHash,
      simTimeUs: result.outcome.time,
      events: result.outcome.events,
      wallTimeS,
    }, result.metrics, result.timeseries, result.events);
    await store.close();
    const metrics: Record<string, number> = {};
    for (const m of result.metrics) metrics[m.name] = m.value;
    const summary: RunSummary = {
      runId, scenario: scenario.name, seed: scenario.seed, status, reason: result.outcome.reason, events: result.outcome.events,
      simTimeS: result.outcome.time / 1e6, wallTimeS, maxRssKb: process.resourceUsage().maxRSS, traceHash: result.outcome.traceHash, codeVersion: cv.version, codeDirty: cv.dirty, db: dbPath, metrics,
    };
    if (status !== "completed") {
      const code = status === "interrupted" ? EXIT.interrupted : EXIT.failed;
      if (o.json) process.stdout.write(JSON.stringify(summary) + "\n");
      throw new CliFailure(`popsim: run ${runId} ended with status ${status}: ${result.outcome.reason}\nreproduce: ${reproduce}`, code);
    }
    return summary;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
}

function parseDurationUs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|min|m|h|d|w|y)$/.exec(d.trim());
  const unit: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, m: 6e7, min: 6e7, h: 3.6e9, d: 8.64e10, w: 6.048e11, y: 3.1536e13 };
  return m ? Number(m[1]) * unit[m[2]] : 1;
}

/** Human summary of a run for stderr. */
export function describeRun(s: RunSummary): string {
  const pick = (prefix: string) => Object.entries(s.metrics).filter(([k]) => k.startsWith(prefix));
  const lines = [
    `popsim: run ${s.runId} ${s.status} — ${s.events.toLocaleString("en-US")} events, ${formatDuration(s.simTimeS * 1e6)} simulated in ${s.wallTimeS.toFixed(2)} s wall`,
    `  trace hash ${s.traceHash}   results in ${s.db}`,
  ];
  // A short digest per model; everything is in the database and the report.
  const only = (prefix: string, names: string[]) => names.map((n) => [prefix + n, s.metrics[prefix + n]] as const).filter(([, v]) => v !== undefined);
  const key = [
    ...only("traffic.", ["fetches", "success_ratio", "fetch_latency_s.p50", "fetch_latency_s.p99"]),
    ...pick("nodes."),
    ...only("faults.", ["crashes", "recoveries", "region_outages", "partitions"]),
    ...only("churn.", ["departures", "arrivals"]),
    ...only("storage.", ["segments", "segments_lost", "segments_unavailable", "repairs_completed", "audits_failed", "availability"]),
    ...only("chain.", ["blocks_produced", "missed_slot_rate", "lib_height", "finality_latency_s.p50", "finality_latency_s.p99", "conflicting_irreversible", "nakamoto_seats"]),
  ];
  for (const [k, v] of key) lines.push(`  ${k.padEnd(36)} ${Number.isInteger(v) ? v.toLocaleString("en-US") : v.toPrecision(4)}`);
  lines.push(`  (all metrics: npx popsim show ${s.runId}${s.db.endsWith(DEFAULT_DB) ? "" : ` --db ${s.db}`})`);
  return lines.join("\n");
}

export function scenariosCommand(): string {
  const list = listScenarios();
  const w = Math.max(...list.map((s) => s.name.length));
  return list.map((s) => `${s.name.padEnd(w)}  ${s.description}`).join("\n");
}

export async function showCommand(runId: string, db: string, json: boolean): Promise<string> {
  const store = await openStore(resolve(db), { readOnly: true });
  try {
    const run = await store.getRun(runId);
    const metrics = await store.getMetrics(run.runId);
    if (json) {
      const { paramsJson: _omit, ...rest } = run;
      return JSON.stringify({ ...rest, metrics: Object.fromEntries(metrics.map((m) => [m.name, m.value])) });
    }
    const lines = [
      `run        ${run.runId}`,
      `scenario   ${run.scenario}   seed ${run.seed}`,
      `status     ${run.status}${run.reason ? ` (${run.reason})` : ""}${run.error ? `\nerror      ${run.error}` : ""}`,
      `code       ${run.codeVersion}${run.codeDirty ? " (dirty)" : ""}`,
      `trace hash ${run.traceHash ?? "-"}`,
      `events     ${(run.events ?? 0).toLocaleString("en-US")}   simulated ${formatDuration(run.simTimeUs ?? 0)}   wall ${(run.wallTimeS ?? 0).toFixed(2)} s`,
      `started    ${run.startedAt}${run.finishedAt ? `   finished ${run.finishedAt}` : ""}`,
      "",
      "metrics:",
      ...metrics.map((m) => `  ${m.name.padEnd(40)} ${Number.isInteger(m.value) ? m.value.toLocaleString("en-US") : m.value.toPrecision(6)}`),
    ];
    return lines.join("\n");
  } finally {
    await store.close();
  }
}

// ─── report / export ────────────────────────────────────────────────────────────────────────────────────────

/** Opens an existing results database read-only; a missing file is bad input (exit 2), never created. */
async function openExisting(db: string, command: string): Promise<Store> {
  const dbPath = resolve(db);
  if (!existsSync(dbPath)) {
    throw new CliFailure(`popsim ${command}: --db: got ${dbPath}; expected an existing results database (run a scenario first, e.g. npx popsim run smoke)`, EXIT.badInput);
  }
  try {
    return await openStore(dbPath, { readOnly: true });
  } catch (e) {
    if (e instanceof StoreError && (e.kind === "not-a-database" || e.kind === "not-a-store" || e.kind === "schema-version")) {
      throw new CliFailure(`popsim ${command}: --db: ${e.message}`, EXIT.badInput);
    }
    if (e instanceof StoreError) throw new CliFailure(`popsim ${command}: ${e.message}`, EXIT.failed);
    throw e;
  }
}

export interface ReportCommandOptions {
  /** Run id, run-id prefix or sweep id. */
  selector: string;
  db: string;
  /** Output folder; default ./reports-out/<id>/. */
  out?: string;
}

export interface ReportSummary {
  html: string;
  charts: { id: string; title: string; svg: string; png?: string; spec: string }[];
  runs: number;
  excluded: number;
  dir: string;
}

/** `popsim report`: read the runs, write the HTML report and its charts. */
export async function reportCommand(o: ReportCommandOptions): Promise<ReportSummary> {
  const store = await openExisting(o.db, "report");
  try {
    // Loaded on demand: vega and vega-lite take a few hundred ms to load, which `run` should not pay.
    const { buildReport } = await import("../../reports/html.ts");
    const { ReportInputError } = await import("../../reports/queries.ts");
    try {
      const r = await buildReport(store, o.selector, { outDir: o.out === undefined ? undefined : resolve(o.out) });
      return { html: r.html, charts: r.charts, runs: r.runs, excluded: r.excluded, dir: r.dir };
    } catch (e) {
      if (e instanceof ReportInputError) throw new CliFailure(`popsim report: ${e.message}`, EXIT.badInput);
      throw e;
    }
  } finally {
    await store.close();
  }
}

export function describeReport(r: ReportSummary): string {
  return `popsim: report of ${r.runs} run${r.runs === 1 ? "" : "s"}${r.excluded ? ` (${r.excluded} not completed, left out of statistics)` : ""} with ${r.charts.length} charts:\n  ${r.html}\n  charts (SVG, PNG): ${resolve(r.dir, "charts")}`;
}

export const EXPORT_FORMATS = ["parquet", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const DEFAULT_EXPORT_DIR = "popsim-export";

export interface ExportSummary {
  format: ExportFormat;
  dir: string;
  files: ExportedFile[];
}

/** `popsim export`: every results table to <out>/<table>.<format>. */
export async function exportCommand(o: { format: string; db: string; out?: string }): Promise<ExportSummary> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) {
    throw new CliFailure(`popsim export: --format: got ${JSON.stringify(o.format)}; expected ${EXPORT_FORMATS.join(" or ")}`, EXIT.badInput);
  }
  const format = o.format as ExportFormat;
  const dir = resolve(o.out ?? DEFAULT_EXPORT_DIR);
  const store = await openExisting(o.db, "export");
  try {
    const files = await store.exportTables(dir, format);
    return { format, dir, files };
  } finally {
    await store.close();
  }
}

export function describeExport(r: ExportSummary): string {
  return [`popsim: exported ${r.files.length} tables as ${r.format} to ${r.dir}`, ...r.files.map((f) => `  ${f.table.padEnd(10)} ${String(f.rows).padStart(10)} rows  ${f.path}`)].join("\n");
}
