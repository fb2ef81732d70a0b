/**
 * notebooks/lib.ts — the plumbing the notebooks share: where the results are, opening them with DuckDB, drawing
 * Observable Plot charts to SVG without a browser, and showing charts, tables and data in Jupyter.
 *
 * Purpose: keep the notebooks about the analysis. Every cell that computes something a reader should check (SQL,
 * grouping, confidence intervals, theory) stays in the notebook; what is here is the same for every notebook.
 *
 * Method
 * - Runs in the notebooks' kernel (Deno's Jupyter kernel, which reads this TypeScript and the project's
 *   node_modules as they are) and under Node (test/notebooks.test.ts imports the pure helpers), so it uses only
 *   `node:` modules and npm packages, and reaches `Deno.jupyter` through `globalThis` when it is there.
 * - Results come from a DuckDB file opened read-only, or from a Parquet export (`popsim export --format parquet`)
 *   read into an in-memory DuckDB as views named like the tables (`runs`, `metrics`, `timeseries`, `events`), so
 *   the notebooks' SQL is the same for both.
 * - Charts: `@observablehq/plot` with a `linkedom` document, serialised to SVG text (as reports/ does).
 * - Every chart and data output also carries a stable id (`data-popsim-chart`, `popsimData`), which is what
 *   test/notebooks.test.ts reads back from the executed notebooks.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { parseHTML } from "linkedom";

// ─── Where the results are ───────────────────────────────────────────────────────────────────────────────────

export type ResultsSource = { kind: "duckdb"; path: string } | { kind: "parquet"; dir: string };

export interface FindResultsOptions {
  /** A DuckDB results file; wins over everything else. */
  db?: string;
  /** A Parquet export folder (`popsim export --format parquet --out DIR`). */
  exportDir?: string;
  /** Default `process.env`: POPSIM_DB, then POPSIM_EXPORT. */
  env?: Record<string, string | undefined>;
  /** Relative paths resolve against this; default the current directory (the notebook's folder in Jupyter). */
  cwd?: string;
}

export interface FoundResults {
  source?: ResultsSource;
  /** Where the notebook looked, in order, for the message shown when nothing was found. */
  tried: string[];
  /** Why an explicitly given path was not used (it does not exist, or is not what it should be). */
  problem?: string;
}

/** The default places, relative to the notebook's folder: the current folder, then the project root above it. */
export const DEFAULT_DB_PATHS = ["./popsim.duckdb", "../popsim.duckdb"];
export const DEFAULT_EXPORT_DIRS = ["./popsim-export", "../popsim-export"];

/**
 * Finds the results: an explicit `db` / `exportDir`, else the env vars POPSIM_DB / POPSIM_EXPORT, else the first of
 * the default places that exists. An explicit path (argument or env var) that does not exist is a `problem`: the
 * notebook says so instead of silently reading some other file.
 */
export function findResults(options: FindResultsOptions = {}): FoundResults {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const db = options.db ?? nonEmpty(env.POPSIM_DB);
  const exportDir = options.exportDir ?? nonEmpty(env.POPSIM_EXPORT);
  if (db !== undefined) {
    const path = resolve(cwd, db);
    if (isFile(path)) return { source: { kind: "duckdb", path }, tried: [path] };
    return { tried: [path], problem: `results database ${path} does not exist` };
  }
  if (exportDir !== undefined) {
    const dir = resolve(cwd, exportDir);
    if (isExportDir(dir)) return { source: { kind: "parquet", dir }, tried: [dir] };
    return { tried: [dir], problem: `${dir} is not a popsim Parquet export (no runs.parquet and metrics.parquet in it)` };
  }
  const tried: string[] = [];
  for (const candidate of DEFAULT_DB_PATHS) {
    const path = resolve(cwd, candidate);
    tried.push(path);
    if (isFile(path)) return { source: { kind: "duckdb", path }, tried };
  }
  for (const candidate of DEFAULT_EXPORT_DIRS) {
    const dir = resolve(cwd, candidate);
    tried.push(dir);
    if (isExportDir(dir)) return { source: { kind: "parquet", dir }, tried };
  }
  return { tried };
}

export function describeSource(source: ResultsSource): string {
  return source.kind === "duckdb" ? `DuckDB file ${source.path}` : `Parquet export ${source.dir}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s;
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isExportDir(dir: string): boolean {
  return existsSync(join(dir, "runs.parquet")) && existsSync(join(dir, "metrics.parquet"));
}

// ─── Opening them ────────────────────────────────────────────────────────────────────────────────────────────

export type Row = Record<string, unknown>;

export interface Results {
  readonly source: ResultsSource;
  /** Runs SQL over `runs`, `metrics`, `timeseries`, `events`; `$1, $2, …` bind `params`. BIGINTs come back as numbers. */
  query(sql: string, params?: readonly DuckDBValue[]): Promise<Row[]>;
  /** The tables this source has. */
  tables(): Promise<string[]>;
  close(): void;
}

const TABLES = ["runs", "metrics", "timeseries", "events"] as const;

/** Opens a results source read-only. A DuckDB file another process is writing to cannot be opened: wait for it. */
export async function openResults(source: ResultsSource): Promise<Results> {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  if (source.kind === "duckdb") {
    instance = await DuckDBInstance.create(source.path, { access_mode: "READ_ONLY" });
    connection = await instance.connect();
  } else {
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
    for (const table of TABLES) {
      const file = join(source.dir, `${table}.parquet`);
      if (existsSync(file)) await connection.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet(${sqlString(file)})`);
    }
  }
  const query = async (sql: string, params?: readonly DuckDBValue[]): Promise<Row[]> => {
    const reader = await connection.runAndReadAll(sql, params === undefined ? undefined : [...params]);
    return reader.getRowObjectsJS().map((row) => {
      const out: Row = {};
      for (const [key, value] of Object.entries(row)) out[key] = typeof value === "bigint" ? Number(value) : value;
      return out;
    });
  };
  return {
    source,
    query,
    async tables() {
      const rows = await query("SELECT table_name FROM information_schema.tables ORDER BY table_name");
      return rows.map((r) => String(r.table_name)).filter((t) => (TABLES as readonly string[]).includes(t));
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

// ─── Parameters ──────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Flattens a resolved scenario (`runs.params`) into dotted paths → JSON text of the leaf, with array items by index
 * (`faults.timeline.0.at`), the same paths `--set` and `--grid` take. Empty objects and arrays are leaves.
 */
export function flattenParams(value: unknown, prefix = "", out: Map<string, string> = new Map()): Map<string, string> {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length > 0) {
      for (const [key, v] of entries) flattenParams(v, prefix === "" ? key : `${prefix}.${key}`, out);
      return out;
    }
  }
  out.set(prefix, JSON.stringify(value));
  return out;
}

/** Paths whose value differs between the given runs' params (the seed excluded): what a sweep varied. Sorted. */
export function sweptPaths(params: readonly unknown[], ignore: readonly string[] = ["seed"]): string[] {
  const flat = params.map((p) => flattenParams(p));
  const paths = new Set<string>();
  for (const f of flat) for (const k of f.keys()) paths.add(k);
  const varied: string[] = [];
  for (const path of paths) {
    if (ignore.includes(path)) continue;
    const first = flat[0]?.get(path);
    if (flat.some((f) => f.get(path) !== first)) varied.push(path);
  }
  return varied.sort();
}

/** The value at a dotted path of a params object (undefined when absent). */
export function paramAt(params: unknown, path: string): unknown {
  let v: unknown = params;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

// ─── Charts and display ──────────────────────────────────────────────────────────────────────────────────────

/** A DOM `document` for Observable Plot's `document` option (no browser needed). */
export function plotDocument(): ReturnType<typeof parseHTML>["document"] {
  return parseHTML("<!doctype html><html><head></head><body></body></html>").document;
}

/** The part of a DOM element a chart is read through (what `Plot.plot` returns, built on `plotDocument()`). */
export interface ChartElement {
  readonly tagName: string;
  readonly outerHTML: string;
  setAttribute(name: string, value: string): void;
  querySelectorAll(selector: string): ArrayLike<ChartElement> & Iterable<ChartElement>;
}

/** Serialises what `Plot.plot` returned (an `<svg>`, or a `<figure>` when it has a legend or title). */
export function chartMarkup(chart: ChartElement): string {
  if (chart.tagName.toLowerCase() === "svg") chart.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  for (const svg of Array.from(chart.querySelectorAll("svg"))) svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return chart.outerHTML;
}

interface JupyterApi {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

function jupyter(): JupyterApi | undefined {
  const deno = (globalThis as { Deno?: { jupyter?: JupyterApi } }).Deno;
  try {
    return deno?.jupyter;
  } catch {
    return undefined; // `deno run`: Deno.jupyter exists only inside `deno jupyter` and throws when read elsewhere
  }
}

/**
 * How long to keep the kernel's event loop turning after each output. Deno 2.9's kernel sends an output from the
 * JavaScript thread, and the message leaves only while that thread's event loop runs; the kernel announces the end
 * of the cell ("idle") from another thread. Without a pause, an output written just before a cell ends can arrive
 * after "idle", and `nbconvert --execute` (which stops listening at "idle") drops it. Measured here with 10 outputs
 * per cell: some lost in 2 to 6 of 8 runs (depending on the cell); with a 10 ms pause after each output, none lost
 * in 40 runs, on an idle and on a loaded machine.
 */
export const OUTPUT_FLUSH_MS = 25;

/**
 * Shows a MIME bundle in Jupyter; outside Jupyter prints its text/plain part. Every output of the notebooks goes
 * through here (never as a cell's value, never with console.log: those have the same race and no pause after them).
 */
export async function showBundle(bundle: Record<string, unknown>): Promise<void> {
  const api = jupyter();
  if (!api) {
    console.log(String(bundle["text/plain"] ?? ""));
    return;
  }
  await api.display(bundle, { raw: true });
  await new Promise((resolve) => setTimeout(resolve, OUTPUT_FLUSH_MS));
}

/** Shows a chart with a stable id (what the tests look for) and a caption. */
export async function showChart(id: string, chart: ChartElement, caption = ""): Promise<void> {
  const markup = chartMarkup(chart);
  await showBundle({
    "text/html": `<figure class="popsim-chart" data-popsim-chart="${escapeHtml(id)}" style="margin:0 0 1em 0">${markup}${
      caption === "" ? "" : `<figcaption style="font-size:12px;color:#555;max-width:640px">${escapeHtml(caption)}</figcaption>`
    }</figure>`,
    "text/plain": `[chart ${id}] ${caption}`,
  });
}

export interface Column {
  key: string;
  label?: string;
  format?: (v: unknown, row: Row) => string;
}

/** Shows rows as an HTML table (and as aligned text for plain frontends). */
export async function showTable(id: string, rows: readonly Row[], columns: readonly Column[]): Promise<void> {
  const cell = (c: Column, r: Row) => (c.format ? c.format(r[c.key], r) : formatCell(r[c.key]));
  const head = columns.map((c) => `<th style="text-align:left;padding:2px 8px">${escapeHtml(c.label ?? c.key)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${columns.map((c) => `<td style="padding:2px 8px;font-variant-numeric:tabular-nums">${escapeHtml(cell(c, r))}</td>`).join("")}</tr>`)
    .join("\n");
  const text = [columns.map((c) => c.label ?? c.key).join("\t"), ...rows.map((r) => columns.map((c) => cell(c, r)).join("\t"))].join("\n");
  await showBundle({
    "text/html": `<table class="popsim-table" data-popsim-table="${escapeHtml(id)}" style="border-collapse:collapse;font-size:13px"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`,
    "text/plain": text,
  });
}

/** Shows machine-readable results (application/json; text/plain for people), tagged with a stable id. */
export async function showData(id: string, data: object): Promise<void> {
  await showBundle({ "application/json": { popsimData: id, data }, "text/plain": `[data ${id}] ${JSON.stringify(data).slice(0, 400)}` });
}

/** Shows Markdown (a note, a warning, a how-to). */
export async function showMarkdown(md: string): Promise<void> {
  await showBundle({ "text/markdown": md, "text/plain": md });
}

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return formatNumber(v);
  return String(v);
}

/** Four significant digits; exponent form below 1e-3 and from 1e6. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
