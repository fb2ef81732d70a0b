/**
 * sim/store/store.ts — the results database (DESIGN.md §3 "Results").
 *
 * Purpose: every run writes one `runs` row, its summary `metrics`, its `timeseries` and optional `events` rows to
 * an embedded DuckDB file (default `./popsim.duckdb`); readers, reports and notebooks query the same file or its
 * Parquet/CSV export. A plain async API (the CLI wraps it in Effect; `storeLayer`/`acquireStore` below do that).
 *
 * Method
 * - One DuckDBInstance and one connection per Store. Every public method runs through a FIFO promise queue, so
 *   the explicit transactions of concurrent callers (a sweep's results, a SIGINT handler's `markRun`) never
 *   interleave on the shared connection.
 * - `beginRun` commits a `running` row at once: a run killed mid-way is visible as not complete.
 * - `finishRun` is atomic. The DuckDB Appender DOES take part in the connection's explicit transaction in
 *   @duckdb/node-api 1.5.6 (store.test.ts "appender rows obey an explicit ROLLBACK" checks it on every run), so
 *   no staging table is used: BEGIN → UPDATE the `running` row to its final status → append metrics, timeseries
 *   and events through Appenders fed with ≤ 2048-row DuckDBDataChunks (`setColumns`) → close the Appenders
 *   (flush) → COMMIT. On any error: `appender.clear()` first (rows still buffered in the Appender would
 *   otherwise be flushed by `close()` in autocommit mode, *after* the ROLLBACK), close, ROLLBACK, then mark the
 *   row `failed` with the error in its own statement, and throw a StoreError. A process killed inside the
 *   transaction leaves nothing: DuckDB drops uncommitted WAL content, and the row stays `running`.
 * - Stale `running` rows: DuckDB lets one process at a time open a file for writing, so when a writer opens the
 *   store every `running` row belongs to a writer that died; open marks them `abandoned` with a note.
 *   DuckDB's file lock is per *process*: two Store objects (or two worker threads) of one process can both open
 *   the file for writing (checked: the second DuckDBInstance opens without error), which DuckDB does not support. `openStore` refuses a second writer, or a reader beside a
 *   writer, for the same path in this module instance; worker threads each load their own module, so open the
 *   store from one thread only (sweep workers hand their results to that thread).
 * - Schema: created if missing in one transaction, versioned in `meta(key, value)` (`schema_version`). A newer
 *   version, or a DuckDB file holding other tables and no `meta`, is refused rather than altered.
 * - Params are stored as canonical JSON (sorted keys, bigint as decimal string: canonicalJson.ts), so the same
 *   resolved scenario always has the same text and `findCompletedRun` can match it exactly.
 * - Wall-clock stamps (`started_at`, `finished_at`) are informational ISO strings from an injectable clock.
 */

import * as fs from "node:fs";
import * as nodePath from "node:path";
import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import { Context, Data, Effect, Layer } from "effect";
import { canonicalJson } from "./canonicalJson.ts";

export { canonicalJson };

// ─── Public types ────────────────────────────────────────────────────────────────────────────────────────────

export const SCHEMA_VERSION = 1;
/** DuckDB's vector size: the most rows one DuckDBDataChunk holds. */
export const CHUNK_ROWS_MAX = 2048;
export const DEFAULT_STORE_PATH = "./popsim.duckdb";

export type RunStatus = "running" | "completed" | "event-limit" | "stopped" | "failed" | "interrupted" | "abandoned";
/** Statuses `finishRun` may record. */
export type FinishStatus = "completed" | "event-limit" | "stopped" | "failed" | "interrupted";
/** Statuses `markRun` may record. */
export type MarkStatus = Exclude<RunStatus, "running">;

const RUN_STATUSES: readonly RunStatus[] = ["running", "completed", "event-limit", "stopped", "failed", "interrupted", "abandoned"];
const FINISH_STATUSES: readonly FinishStatus[] = ["completed", "event-limit", "stopped", "failed", "interrupted"];

export type ResultTable = "runs" | "metrics" | "timeseries" | "events";
export const RESULT_TABLES: readonly ResultTable[] = ["runs", "metrics", "timeseries", "events"];

export interface BeginRunMeta {
  runId: string;
  scenario: string;
  /** The resolved scenario (after overrides). Stored as canonical JSON. */
  params: unknown;
  /** Root seed: a safe integer (the kernel's seed type). */
  seed: number;
  codeVersion: string;
  codeDirty: boolean;
  sweepId?: string | null;
}

export interface FinishRunResult {
  status: FinishStatus;
  reason: string;
  traceHash: string | null;
  simTimeUs: number;
  events: number;
  wallTimeS: number;
  error?: string | null;
}

export interface Metric {
  name: string;
  value: number;
}

/** Columnar time series: equal-length columns, one row per (tUs[i], name[i], value[i]). */
export interface TimeseriesColumns {
  tUs: Float64Array | readonly number[];
  name: readonly string[];
  value: Float64Array | readonly number[];
}

/** Columnar event rows (optional trace rows); equal-length columns. */
export interface EventColumns {
  tUs: Float64Array | readonly number[];
  seq: Float64Array | readonly number[];
  kind: readonly string[];
  /** Target agent id, or null. */
  target: Int32Array | readonly (number | null)[];
  detail: readonly (string | null)[];
}

/** Read-back time series; rows in the order they were written. */
export interface TimeseriesRows {
  tUs: Float64Array;
  name: string[];
  value: Float64Array;
}

export interface RunRow {
  runId: string;
  scenario: string;
  /** Parsed `paramsJson` (bigints come back as decimal strings: canonicalJson.ts). */
  params: unknown;
  paramsJson: string;
  seed: number;
  codeVersion: string;
  codeDirty: boolean;
  traceHash: string | null;
  status: RunStatus;
  reason: string | null;
  simTimeUs: number | null;
  events: number | null;
  wallTimeS: number | null;
  startedAt: string;
  finishedAt: string | null;
  sweepId: string | null;
  error: string | null;
}

export interface ListRunsOptions {
  /** Default 100. */
  limit?: number;
  scenario?: string;
  status?: RunStatus;
  sweepId?: string;
}

export interface FindCompletedRunQuery {
  scenario: string;
  /** The resolved scenario as JSON (re-canonicalised here), or pass `params` instead. */
  paramsJson?: string;
  params?: unknown;
  seed: number;
  codeVersion: string;
  /** Also accept runs whose code was dirty. Default false: a dirty tree is not a reproducible identity. */
  includeDirty?: boolean;
  /** Default ["completed"]. */
  statuses?: readonly FinishStatus[];
}

export interface ExportedFile {
  table: ResultTable;
  path: string;
  rows: number;
}

/** Test-only fault injection: lets store.test.ts fail `finishRun` at a chosen point. */
export interface StoreFaultHooks {
  afterChunk?: (info: { runId: string; table: ResultTable; chunkIndex: number; rowsAppended: number }) => void | Promise<void>;
  /** Runs after every row is appended and the Appenders are closed, just before COMMIT. `countRows` sees the open transaction. */
  beforeCommit?: (info: { runId: string; countRows: (table: ResultTable) => Promise<number> }) => void | Promise<void>;
}

export interface OpenStoreOptions {
  /** Open without writing: no schema creation, no `abandoned` marking; write methods fail. Default false. */
  readOnly?: boolean;
  /** Wall clock for the informational `started_at`/`finished_at` stamps. Default `() => new Date()`. */
  clock?: () => Date;
  /** @internal test-only fault injection. */
  faultHooks?: StoreFaultHooks;
}

export interface Store {
  readonly path: string;
  readonly readOnly: boolean;
  /** Run ids found `running` at open and marked `abandoned` (empty for read-only stores). */
  readonly abandonedAtOpen: readonly string[];
  beginRun(meta: BeginRunMeta): Promise<void>;
  finishRun(runId: string, result: FinishRunResult, metrics: readonly Metric[], timeseries?: TimeseriesColumns, events?: EventColumns): Promise<void>;
  /** Sets a still-`running` run to `status`; returns false (and changes nothing) if it is no longer running. */
  markRun(runId: string, status: MarkStatus, reason: string, error?: string | null): Promise<boolean>;
  getRun(runIdOrPrefix: string): Promise<RunRow>;
  listRuns(options?: ListRunsOptions): Promise<RunRow[]>;
  getMetrics(runId: string): Promise<Metric[]>;
  getTimeseries(runId: string, name?: string): Promise<TimeseriesRows>;
  findCompletedRun(query: FindCompletedRunQuery): Promise<RunRow | undefined>;
  exportTables(dir: string, format: "parquet" | "csv"): Promise<ExportedFile[]>;
  close(): Promise<void>;
}

// ─── Errors ──────────────────────────────────────────────────────────────────────────────────────────────────

export type StoreOperation =
  | "open" | "beginRun" | "finishRun" | "markRun" | "getRun" | "listRuns" | "getMetrics" | "getTimeseries"
  | "findCompletedRun" | "exportTables" | "close";

export type StoreErrorKind =
  | "locked" // another process holds the file
  | "not-a-database" // the file is not a DuckDB database
  | "not-a-store" // a DuckDB database without popsim's schema
  | "schema-version" // written by another schema version
  | "already-open" // this process already has the file open in a conflicting mode
  | "read-only" // a write on a read-only store
  | "closed" // a call after close()
  | "not-found" // no run with that id / prefix
  | "ambiguous" // a prefix matching several runs
  | "duplicate" // beginRun with an existing run id
  | "not-running" // finishRun on a run that is not `running`
  | "invalid-input" // bad arguments (mismatched column lengths, non-integer times, …)
  | "io"; // anything else DuckDB or the file system reported

/** An IO failure of the results store; names the file and the operation. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly path: string;
  readonly operation: StoreOperation;
  readonly kind: StoreErrorKind;
  readonly message: string;
  readonly runId?: string;
  readonly cause?: unknown;
}> {}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function storeError(
  path: string,
  operation: StoreOperation,
  kind: StoreErrorKind,
  detail: string,
  extra: { runId?: string; cause?: unknown } = {},
): StoreError {
  return new StoreError({ path, operation, kind, message: `results store ${path}: ${operation}: ${detail}`, ...extra });
}

function openError(path: string, e: unknown): StoreError {
  const text = errorText(e);
  if (/Could not set lock|Conflicting lock/i.test(text)) {
    const pid = /PID (\d+)/.exec(text)?.[1];
    return storeError(path, "open", "locked",
      `the file is locked by another process${pid ? ` (PID ${pid})` : ""}: DuckDB lets one process write a file, with ` +
      `no other process reading it meanwhile; wait for that process to finish, or use another --db path`,
      { cause: e });
  }
  if (/not a valid DuckDB database file/i.test(text)) {
    return storeError(path, "open", "not-a-database", `the file exists but is not a DuckDB database (${text}); pass another --db path`, { cause: e });
  }
  return storeError(path, "open", "io", text, { cause: e });
}

// ─── Schema ──────────────────────────────────────────────────────────────────────────────────────────────────

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id       VARCHAR PRIMARY KEY,
  scenario     VARCHAR NOT NULL,
  params       JSON NOT NULL,
  seed         BIGINT NOT NULL,
  code_version VARCHAR NOT NULL,
  code_dirty   BOOLEAN NOT NULL,
  trace_hash   VARCHAR,
  status       VARCHAR NOT NULL CHECK (status IN (${RUN_STATUSES.map((s) => `'${s}'`).join(", ")})),
  reason       VARCHAR,
  sim_time_us  BIGINT,
  events       BIGINT,
  wall_time_s  DOUBLE,
  started_at   VARCHAR NOT NULL,
  finished_at  VARCHAR,
  sweep_id     VARCHAR,
  error        VARCHAR
);
CREATE TABLE IF NOT EXISTS metrics (run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, value DOUBLE);
CREATE TABLE IF NOT EXISTS timeseries (run_id VARCHAR NOT NULL, t_us BIGINT NOT NULL, name VARCHAR NOT NULL, value DOUBLE);
CREATE TABLE IF NOT EXISTS events (run_id VARCHAR NOT NULL, t_us BIGINT NOT NULL, seq BIGINT NOT NULL, kind VARCHAR NOT NULL, target INTEGER, detail VARCHAR);
`;

/** Column types in table order, for the Appenders. */
const APPEND_TYPES: Record<Exclude<ResultTable, "runs">, readonly DuckDBType[]> = {
  metrics: [VARCHAR, VARCHAR, DOUBLE],
  timeseries: [VARCHAR, BIGINT, VARCHAR, DOUBLE],
  events: [VARCHAR, BIGINT, BIGINT, VARCHAR, INTEGER, VARCHAR],
};

const RUN_COLUMNS =
  "run_id, scenario, CAST(params AS VARCHAR) AS params, seed, code_version, code_dirty, trace_hash, status, reason, " +
  "sim_time_us, events, wall_time_s, started_at, finished_at, sweep_id, error";

// ─── Open ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Files this module has open: a second DuckDB instance on one file in one process is not protected by DuckDB's lock. */
const openFiles = new Map<string, { readOnly: boolean; count: number }>();

function fileKey(path: string): string {
  if (path === ":memory:") return path;
  const resolved = nodePath.resolve(path);
  try {
    return fs.realpathSync(resolved);
  } catch {
    return resolved;
  }
}

/** Opens (creating if needed) the results database at `path`. */
export async function openStore(path: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const readOnly = opts.readOnly ?? false;
  const key = fileKey(path);
  const memory = key === ":memory:";
  if (!memory) {
    const held = openFiles.get(key);
    if (held && !(held.readOnly && readOnly)) {
      throw storeError(path, "open", "already-open",
        `this process already has the file open${held.readOnly ? " read-only" : " for writing"}; reuse that Store or close it first ` +
        `(two DuckDB instances on one file in one process are not protected by DuckDB's file lock)`);
    }
    if (!readOnly) {
      try {
        fs.mkdirSync(nodePath.dirname(nodePath.resolve(path)), { recursive: true });
      } catch (e) {
        throw storeError(path, "open", "io", `cannot create the directory: ${errorText(e)}`, { cause: e });
      }
    }
  }

  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(memory ? ":memory:" : key, readOnly ? { access_mode: "READ_ONLY" } : {});
  } catch (e) {
    throw openError(path, e);
  }
  let conn: DuckDBConnection | undefined;
  try {
    conn = await instance.connect();
    const clock = opts.clock ?? (() => new Date());
    const abandoned = readOnly ? [] : await prepareSchema(conn, path, clock);
    if (readOnly) await checkSchema(conn, path);
    if (!memory) {
      const held = openFiles.get(key);
      openFiles.set(key, { readOnly, count: (held?.count ?? 0) + 1 });
    }
    return new DuckStore(path, memory ? undefined : key, readOnly, abandoned, instance, conn, clock, opts.faultHooks ?? {});
  } catch (e) {
    try { conn?.closeSync(); } catch { /* already failing */ }
    try { instance.closeSync(); } catch { /* already failing */ }
    throw e instanceof StoreError ? e : openError(path, e);
  }
}

async function tableNames(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_name",
  );
  return reader.getRowObjects().map((r) => String(r.table_name));
}

async function schemaVersion(conn: DuckDBConnection): Promise<string | undefined> {
  const reader = await conn.runAndReadAll("SELECT value FROM meta WHERE key = 'schema_version'");
  const row = reader.getRowObjects()[0];
  return row === undefined ? undefined : String(row.value);
}

function versionError(path: string, found: string): StoreError {
  return storeError(path, "open", "schema-version",
    `the store has schema_version ${found}, this popsim reads version ${SCHEMA_VERSION}; open it with the popsim that wrote it, or use another --db path`);
}

/** Writer open: create the schema if missing, check its version, mark dead writers' `running` rows `abandoned`. */
async function prepareSchema(conn: DuckDBConnection, path: string, clock: () => Date): Promise<string[]> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const tables = await tableNames(conn);
    if (tables.length > 0 && !tables.includes("meta")) {
      throw storeError(path, "open", "not-a-store",
        `the DuckDB database has tables (${tables.slice(0, 5).join(", ")}${tables.length > 5 ? ", …" : ""}) but no popsim 'meta' table; pass another --db path`);
    }
    await conn.run(SCHEMA_SQL);
    const version = await schemaVersion(conn);
    if (version === undefined) {
      await conn.run("INSERT INTO meta VALUES ('schema_version', $1)", [String(SCHEMA_VERSION)]);
    } else if (version !== String(SCHEMA_VERSION)) {
      throw versionError(path, version);
    }
    const note =
      `abandoned: still 'running' when the store was next opened for writing (${clock().toISOString()}, pid ${process.pid}); ` +
      `DuckDB admits one writer per file, so its writer had ended without finishing or marking the run`;
    const reader = await conn.runAndReadAll(
      "UPDATE runs SET status = 'abandoned', reason = $1 WHERE status = 'running' RETURNING run_id", [note]);
    const abandoned = reader.getRowObjects().map((r) => String(r.run_id)).sort();
    await conn.run("COMMIT");
    return abandoned;
  } catch (e) {
    try { await conn.run("ROLLBACK"); } catch { /* the original error matters */ }
    throw e;
  }
}

/** Read-only open: the schema must already be there, at our version. */
async function checkSchema(conn: DuckDBConnection, path: string): Promise<void> {
  const tables = await tableNames(conn);
  if (!tables.includes("meta")) {
    throw storeError(path, "open", "not-a-store", `no popsim 'meta' table${tables.length ? ` (tables: ${tables.slice(0, 5).join(", ")})` : " (empty database)"}`);
  }
  const version = await schemaVersion(conn);
  if (version !== String(SCHEMA_VERSION)) throw versionError(path, version ?? "(none)");
  const missing = RESULT_TABLES.filter((t) => !tables.includes(t));
  if (missing.length) throw storeError(path, "open", "not-a-store", `missing tables: ${missing.join(", ")}`);
}

// ─── Value helpers ───────────────────────────────────────────────────────────────────────────────────────────

function asString(v: DuckDBValue): string {
  return typeof v === "string" ? v : String(v);
}
function asStringOrNull(v: DuckDBValue): string | null {
  return v === null ? null : asString(v);
}
function asNumberOrNull(v: DuckDBValue): number | null {
  if (v === null) return null;
  if (typeof v === "bigint" || typeof v === "number") return Number(v);
  throw new TypeError(`expected a number, got ${typeof v}`);
}

function toRunRow(r: Record<string, DuckDBValue>): RunRow {
  const paramsJson = asString(r.params);
  return {
    runId: asString(r.run_id),
    scenario: asString(r.scenario),
    params: JSON.parse(paramsJson) as unknown,
    paramsJson,
    seed: asNumberOrNull(r.seed) ?? 0,
    codeVersion: asString(r.code_version),
    codeDirty: r.code_dirty === true,
    traceHash: asStringOrNull(r.trace_hash),
    status: asString(r.status) as RunStatus,
    reason: asStringOrNull(r.reason),
    simTimeUs: asNumberOrNull(r.sim_time_us),
    events: asNumberOrNull(r.events),
    wallTimeS: asNumberOrNull(r.wall_time_s),
    startedAt: asString(r.started_at),
    finishedAt: asStringOrNull(r.finished_at),
    sweepId: asStringOrNull(r.sweep_id),
    error: asStringOrNull(r.error),
  };
}

type NumberColumn = Float64Array | Int32Array | readonly number[] | readonly (number | null)[];

/** Checks equal lengths and element types up front, so a bad column fails before anything is appended. */
function checkColumns(
  label: string,
  columns: Record<string, { data: ArrayLike<unknown>; kind: "int" | "int32?" | "float" | "string" | "string?" }>,
): number {
  const entries = Object.entries(columns);
  const n = entries[0]?.[1].data.length ?? 0;
  for (const [name, { data }] of entries) {
    if (data === null || data === undefined || typeof data.length !== "number") throw new TypeError(`${label}.${name} is not an array`);
    if (data.length !== n) {
      throw new RangeError(`${label} columns differ in length: ${entries.map(([k, c]) => `${k}=${c.data.length}`).join(", ")}`);
    }
  }
  for (const [name, { data, kind }] of entries) {
    if (data instanceof Float64Array && kind === "float") continue;
    if (data instanceof Int32Array && kind === "int32?") continue;
    for (let i = 0; i < n; i++) {
      const v = data[i];
      let ok: boolean;
      switch (kind) {
        case "int": ok = typeof v === "number" && Number.isSafeInteger(v); break;
        case "int32?": ok = v === null || (typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647); break;
        case "float": ok = typeof v === "number"; break;
        case "string": ok = typeof v === "string"; break;
        case "string?": ok = v === null || typeof v === "string"; break;
      }
      if (!ok) throw new TypeError(`${label}.${name}[${i}] = ${String(v)} is not ${kind === "int" ? "a safe integer" : kind === "int32?" ? "an int32 or null" : kind === "float" ? "a number" : "a string"}`);
    }
  }
  return n;
}

/** Fills one chunk column for rows [start, end). */
type ColumnSlice = (start: number, end: number) => DuckDBValue[];

function constantSlice(value: string): ColumnSlice {
  const full: string[] = new Array<string>(CHUNK_ROWS_MAX).fill(value);
  return (start, end) => (end - start === CHUNK_ROWS_MAX ? full : full.slice(0, end - start));
}
function bigintSlice(src: ArrayLike<number>): ColumnSlice {
  return (start, end) => {
    const out = new Array<bigint>(end - start);
    for (let i = start; i < end; i++) out[i - start] = BigInt(src[i]);
    return out;
  };
}
function plainSlice<T extends DuckDBValue>(src: ArrayLike<T>): ColumnSlice {
  return (start, end) => {
    const out = new Array<T>(end - start);
    for (let i = start; i < end; i++) out[i - start] = src[i];
    return out;
  };
}

// ─── The store ───────────────────────────────────────────────────────────────────────────────────────────────

class DuckStore implements Store {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private exportCounter = 0;

  constructor(
    readonly path: string,
    private readonly fileKey: string | undefined,
    readonly readOnly: boolean,
    readonly abandonedAtOpen: readonly string[],
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly clock: () => Date,
    private readonly hooks: StoreFaultHooks,
  ) {}

  /** Runs `fn` after every earlier call has settled; maps any failure to a StoreError naming path and operation. */
  private serial<T>(operation: StoreOperation, fn: () => Promise<T>, opts: { write?: boolean; runId?: string } = {}): Promise<T> {
    const next = this.tail.then(async () => {
      if (this.closed) throw storeError(this.path, operation, "closed", "the store is closed", { runId: opts.runId });
      if (opts.write && this.readOnly) throw storeError(this.path, operation, "read-only", "the store was opened read-only", { runId: opts.runId });
      try {
        return await fn();
      } catch (e) {
        if (e instanceof StoreError) throw e;
        const kind: StoreErrorKind = e instanceof TypeError || e instanceof RangeError ? "invalid-input" : "io";
        throw storeError(this.path, operation, kind, errorText(e), { runId: opts.runId, cause: e });
      }
    });
    this.tail = next.then(() => undefined, () => undefined);
    return next;
  }

  private now(): string {
    return this.clock().toISOString();
  }

  beginRun(meta: BeginRunMeta): Promise<void> {
    return this.serial("beginRun", async () => {
      if (typeof meta.runId !== "string" || meta.runId.length === 0) throw new TypeError("runId must be a non-empty string");
      if (!Number.isSafeInteger(meta.seed)) throw new RangeError(`seed must be a safe integer, got ${meta.seed}`);
      const paramsJson = canonicalJson(meta.params);
      try {
        await this.conn.run(
          `INSERT INTO runs (run_id, scenario, params, seed, code_version, code_dirty, status, started_at, sweep_id)
           VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8)`,
          [meta.runId, meta.scenario, paramsJson, BigInt(meta.seed), meta.codeVersion, meta.codeDirty, this.now(), meta.sweepId ?? null],
        );
      } catch (e) {
        if (/PRIMARY KEY|unique constraint|Duplicate key/i.test(errorText(e))) {
          throw storeError(this.path, "beginRun", "duplicate", `run ${meta.runId} already exists`, { runId: meta.runId, cause: e });
        }
        throw e;
      }
    }, { write: true, runId: meta.runId });
  }

  finishRun(runId: string, result: FinishRunResult, metrics: readonly Metric[], timeseries?: TimeseriesColumns, events?: EventColumns): Promise<void> {
    return this.serial("finishRun", async () => {
      let begun = false;
      try {
        // Validate everything before BEGIN: a bad column must not leave half the rows appended.
        if (!FINISH_STATUSES.includes(result.status)) throw new TypeError(`status must be one of ${FINISH_STATUSES.join("|")}, got ${String(result.status)}`);
        if (!Number.isSafeInteger(result.simTimeUs)) throw new RangeError(`simTimeUs must be a safe integer, got ${result.simTimeUs}`);
        if (!Number.isSafeInteger(result.events)) throw new RangeError(`events must be a safe integer, got ${result.events}`);
        const metricCount = checkColumns("metrics", {
          name: { data: metrics.map((m) => m?.name), kind: "string" },
          value: { data: metrics.map((m) => m?.value), kind: "float" },
        });
        const ts = timeseries ?? { tUs: [], name: [], value: [] };
        const tsCount = checkColumns("timeseries", {
          tUs: { data: ts.tUs, kind: "int" }, name: { data: ts.name, kind: "string" }, value: { data: ts.value, kind: "float" },
        });
        const ev = events ?? { tUs: [], seq: [], kind: [], target: [], detail: [] };
        const evCount = checkColumns("events", {
          tUs: { data: ev.tUs, kind: "int" }, seq: { data: ev.seq, kind: "int" }, kind: { data: ev.kind, kind: "string" },
          target: { data: ev.target, kind: "int32?" }, detail: { data: ev.detail, kind: "string?" },
        });

        await this.conn.run("BEGIN TRANSACTION");
        begun = true;
        const updated = await this.conn.run(
          `UPDATE runs SET status = $1, reason = $2, trace_hash = $3, sim_time_us = $4, events = $5, wall_time_s = $6,
             finished_at = $7, error = $8
           WHERE run_id = $9 AND status = 'running'`,
          [result.status, result.reason, result.traceHash, BigInt(result.simTimeUs), BigInt(result.events), result.wallTimeS,
            this.now(), result.error ?? null, runId],
        );
        if (updated.rowsChanged !== 1) {
          const found = await this.conn.runAndReadAll("SELECT status FROM runs WHERE run_id = $1", [runId]);
          const row = found.getRowObjects()[0];
          throw row === undefined
            ? storeError(this.path, "finishRun", "not-found", `no run ${runId} (call beginRun first)`, { runId })
            : storeError(this.path, "finishRun", "not-running", `run ${runId} is '${asString(row.status)}', not 'running'; nothing written`, { runId });
        }
        const id = constantSlice(runId);
        await this.appendColumns(runId, "metrics", metricCount, [id, plainSlice(metrics.map((m) => m.name)), plainSlice(metrics.map((m) => m.value))]);
        await this.appendColumns(runId, "timeseries", tsCount, [id, bigintSlice(ts.tUs), plainSlice(ts.name), plainSlice(ts.value)]);
        await this.appendColumns(runId, "events", evCount,
          [id, bigintSlice(ev.tUs), bigintSlice(ev.seq), plainSlice(ev.kind), plainSlice<number | null>(ev.target), plainSlice(ev.detail)]);
        await this.hooks.beforeCommit?.({ runId, countRows: (table) => this.countRows(table, runId) });
        await this.conn.run("COMMIT");
      } catch (e) {
        if (begun) {
          try { await this.conn.run("ROLLBACK"); } catch { /* a failed COMMIT has already ended the transaction */ }
        }
        if (e instanceof StoreError && (e.kind === "not-running" || e.kind === "not-found")) throw e;
        const message = errorText(e);
        let recorded = "the run is recorded as 'failed'";
        try {
          const marked = await this.conn.run(
            "UPDATE runs SET status = 'failed', reason = $1, error = $2, finished_at = $3 WHERE run_id = $4 AND status = 'running'",
            [`store: finishRun (status '${String(result?.status)}') failed and was rolled back`, message, this.now(), runId],
          );
          if (marked.rowsChanged !== 1) recorded = "the run was not 'running', so its status is unchanged";
        } catch (markError) {
          recorded = `marking the run 'failed' also failed (${errorText(markError)})`;
        }
        const kind: StoreErrorKind = e instanceof StoreError ? e.kind : e instanceof TypeError || e instanceof RangeError ? "invalid-input" : "io";
        throw storeError(this.path, "finishRun", kind, `run ${runId}: ${message}; nothing was written, ${recorded}`, { runId, cause: e });
      }
    }, { write: true, runId });
  }

  /** Appends `rowCount` rows to `table` in ≤ 2048-row chunks; on error drops whatever the Appender still buffers. */
  private async appendColumns(runId: string, table: Exclude<ResultTable, "runs">, rowCount: number, columns: readonly ColumnSlice[]): Promise<void> {
    if (rowCount === 0) return;
    const types = APPEND_TYPES[table];
    const appender: DuckDBAppender = await this.conn.createAppender(table);
    let closed = false;
    try {
      if (appender.columnCount !== types.length) throw new Error(`table ${table} has ${appender.columnCount} columns, expected ${types.length}`);
      const chunk = DuckDBDataChunk.create(types);
      for (let start = 0, chunkIndex = 0; start < rowCount; start += CHUNK_ROWS_MAX, chunkIndex++) {
        const end = Math.min(rowCount, start + CHUNK_ROWS_MAX);
        chunk.reset();
        chunk.setColumns(columns.map((slice) => slice(start, end)));
        appender.appendDataChunk(chunk);
        await this.hooks.afterChunk?.({ runId, table, chunkIndex, rowsAppended: end });
      }
      appender.closeSync(); // flushes into the open transaction
      closed = true;
    } finally {
      if (!closed) {
        // Drop what the Appender still buffers: otherwise a later close (ours below, or the binding's finalizer)
        // would flush those rows in autocommit mode, after finishRun's ROLLBACK.
        try { appender.clear(); } catch { /* best effort: the error being thrown matters more */ }
        try { appender.closeSync(); } catch { /* best effort */ }
      }
    }
  }

  private async countRows(table: ResultTable, runId: string): Promise<number> {
    const reader = await this.conn.runAndReadAll(`SELECT count(*) AS n FROM ${table} WHERE run_id = $1`, [runId]);
    return Number(reader.getRowObjects()[0]?.n ?? 0);
  }

  markRun(runId: string, status: MarkStatus, reason: string, error?: string | null): Promise<boolean> {
    return this.serial("markRun", async () => {
      if (!RUN_STATUSES.includes(status) || (status as RunStatus) === "running") throw new TypeError(`markRun status must be a final status, got ${String(status)}`);
      const updated = await this.conn.run(
        "UPDATE runs SET status = $1, reason = $2, error = $3, finished_at = $4 WHERE run_id = $5 AND status = 'running'",
        [status, reason, error ?? null, this.now(), runId],
      );
      return updated.rowsChanged === 1;
    }, { write: true, runId });
  }

  getRun(runIdOrPrefix: string): Promise<RunRow> {
    return this.serial("getRun", async () => {
      if (typeof runIdOrPrefix !== "string" || runIdOrPrefix.length === 0) throw new TypeError("run id or prefix must be a non-empty string");
      const exact = await this.conn.runAndReadAll(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`, [runIdOrPrefix]);
      const row = exact.getRowObjects()[0];
      if (row !== undefined) return toRunRow(row);
      const matches = await this.conn.runAndReadAll(
        `SELECT ${RUN_COLUMNS} FROM runs WHERE starts_with(run_id, $1) ORDER BY run_id LIMIT 6`, [runIdOrPrefix]);
      const rows = matches.getRowObjects();
      if (rows.length === 0) throw storeError(this.path, "getRun", "not-found", `no run matches '${runIdOrPrefix}'`);
      if (rows.length > 1) {
        const ids = rows.slice(0, 5).map((r) => asString(r.run_id));
        throw storeError(this.path, "getRun", "ambiguous",
          `'${runIdOrPrefix}' matches several runs (${ids.join(", ")}${rows.length > 5 ? ", …" : ""}); give more characters`);
      }
      return toRunRow(rows[0]);
    });
  }

  listRuns(options: ListRunsOptions = {}): Promise<RunRow[]> {
    return this.serial("listRuns", async () => {
      const limit = options.limit ?? 100;
      if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
      const where: string[] = [];
      const values: DuckDBValue[] = [];
      const add = (sql: string, v: DuckDBValue) => { values.push(v); where.push(`${sql} = $${values.length}`); };
      if (options.scenario !== undefined) add("scenario", options.scenario);
      if (options.status !== undefined) add("status", options.status);
      if (options.sweepId !== undefined) add("sweep_id", options.sweepId);
      const reader = await this.conn.runAndReadAll(
        `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY started_at DESC, run_id DESC LIMIT ${limit}`, values);
      return reader.getRowObjects().map(toRunRow);
    });
  }

  getMetrics(runId: string): Promise<Metric[]> {
    return this.serial("getMetrics", async () => {
      const reader = await this.conn.runAndReadAll("SELECT name, value FROM metrics WHERE run_id = $1 ORDER BY rowid", [runId]);
      return reader.getRowObjects().map((r) => ({ name: asString(r.name), value: asNumberOrNull(r.value) ?? Number.NaN }));
    }, { runId });
  }

  getTimeseries(runId: string, name?: string): Promise<TimeseriesRows> {
    return this.serial("getTimeseries", async () => {
      // t_us read as DOUBLE: exact below 2^53 µs, and avoids one BigInt per row.
      const reader = name === undefined
        ? await this.conn.runAndReadAll("SELECT CAST(t_us AS DOUBLE), name, value FROM timeseries WHERE run_id = $1 ORDER BY rowid", [runId])
        : await this.conn.runAndReadAll("SELECT CAST(t_us AS DOUBLE), name, value FROM timeseries WHERE run_id = $1 AND name = $2 ORDER BY rowid", [runId, name]);
      const [t, names, values] = reader.getColumns();
      const n = reader.currentRowCount;
      const out: TimeseriesRows = { tUs: new Float64Array(n), name: new Array<string>(n), value: new Float64Array(n) };
      for (let i = 0; i < n; i++) {
        out.tUs[i] = t[i] as number;
        out.name[i] = names[i] as string;
        out.value[i] = values[i] === null ? Number.NaN : (values[i] as number);
      }
      return out;
    }, { runId });
  }

  findCompletedRun(query: FindCompletedRunQuery): Promise<RunRow | undefined> {
    return this.serial("findCompletedRun", async () => {
      if (!Number.isSafeInteger(query.seed)) throw new RangeError(`seed must be a safe integer, got ${query.seed}`);
      const paramsJson = query.paramsJson !== undefined ? canonicalJson(JSON.parse(query.paramsJson) as unknown) : canonicalJson(query.params);
      const statuses = query.statuses ?? ["completed"];
      for (const s of statuses) if (!FINISH_STATUSES.includes(s)) throw new TypeError(`unknown status ${String(s)}`);
      if (statuses.length === 0) return undefined;
      const reader = await this.conn.runAndReadAll(
        `SELECT ${RUN_COLUMNS} FROM runs
         WHERE scenario = $1 AND CAST(params AS VARCHAR) = $2 AND seed = $3 AND code_version = $4
           AND ($5 OR NOT code_dirty) AND status IN (${statuses.map((_, i) => `$${6 + i}`).join(", ")})
         ORDER BY finished_at DESC, run_id DESC LIMIT 1`,
        [query.scenario, paramsJson, BigInt(query.seed), query.codeVersion, query.includeDirty ?? false, ...statuses],
      );
      const row = reader.getRowObjects()[0];
      return row === undefined ? undefined : toRunRow(row);
    });
  }

  exportTables(dir: string, format: "parquet" | "csv"): Promise<ExportedFile[]> {
    return this.serial("exportTables", async () => {
      if (format !== "parquet" && format !== "csv") throw new TypeError(`format must be parquet or csv, got ${String(format)}`);
      fs.mkdirSync(dir, { recursive: true });
      const options = format === "parquet" ? "(FORMAT parquet)" : "(FORMAT csv, HEADER true)";
      const stamp = `${process.pid}-${++this.exportCounter}`;
      const planned = RESULT_TABLES.map((table) => {
        const target = nodePath.resolve(dir, `${table}.${format}`);
        return { table, target, temp: nodePath.join(nodePath.dirname(target), `.${table}.${format}.tmp-${stamp}`) };
      });
      const out: ExportedFile[] = [];
      try {
        // One read-only transaction: the four files are one consistent snapshot.
        await this.conn.run("BEGIN TRANSACTION");
        try {
          for (const p of planned) {
            const copied = await this.conn.run(`COPY (SELECT * FROM ${p.table} ORDER BY rowid) TO ${sqlString(p.temp)} ${options}`);
            out.push({ table: p.table, path: p.target, rows: copied.rowsChanged });
          }
        } finally {
          await this.conn.run("ROLLBACK"); // nothing was written to the database; ends the snapshot either way
        }
        for (const p of planned) fs.renameSync(p.temp, p.target);
      } catch (e) {
        for (const p of planned) fs.rmSync(p.temp, { force: true });
        throw e;
      }
      return out;
    });
  }

  close(): Promise<void> {
    this.closing ??= this.serial("close", async () => {
      this.closed = true;
      try {
        this.conn.closeSync();
      } finally {
        this.instance.closeSync();
        if (this.fileKey !== undefined) {
          const held = openFiles.get(this.fileKey);
          if (held && held.count > 1) openFiles.set(this.fileKey, { ...held, count: held.count - 1 });
          else openFiles.delete(this.fileKey);
        }
      }
    });
    return this.closing;
  }
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

// ─── Effect edge (STYLE.md principle 10) ─────────────────────────────────────────────────────────────────────

/** The results store as an Effect service. */
export class ResultsStore extends Context.Service<ResultsStore, Store>()("popsim/store/ResultsStore") {}

function toStoreError(path: string, operation: StoreOperation): (e: unknown) => StoreError {
  return (e) => (e instanceof StoreError ? e : storeError(path, operation, "io", errorText(e), { cause: e }));
}

/** Opens the store for the enclosing Scope and closes it when the scope ends. */
export function acquireStore(path: string, opts?: OpenStoreOptions) {
  return Effect.acquireRelease(
    Effect.tryPromise({ try: () => openStore(path, opts), catch: toStoreError(path, "open") }),
    (store) => Effect.promise(() => store.close()),
  );
}

/** A Layer providing `ResultsStore`, opened on build and closed on release. */
export function storeLayer(path: string = DEFAULT_STORE_PATH, opts?: OpenStoreOptions): Layer.Layer<ResultsStore, StoreError> {
  return Layer.effect(ResultsStore, acquireStore(path, opts));
}
