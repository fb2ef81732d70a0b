/**
 * `popsim export`: every results table to Parquet and to CSV, read back with DuckDB — same row counts and the
 * same values as the store holds. Also: an unknown --format or a missing database is bad input (exit 2), nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { loadScenario } from "../scenarios/load.ts";
import { runScenario } from "../sim/runner/run.ts";
import { canonicalJson } from "../sim/store/canonicalJson.ts";
import { openStore } from "../sim/store/store.ts";
import { CliFailure, EXIT, exportCommand } from "../sim/cli/commands.ts";
import { popsim } from "./helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-export-"));
const dbPath = join(dir, "runs.duckdb");
const expected = { runs: 0, metrics: 0, timeseries: 0 };
const latency = new Map<string, number>();
let duck: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  const store = await openStore(dbPath);
  for (const seed of [1, 2]) {
    const s = loadScenario("smoke", ["duration=40min"], seed).scenario;
    const runId = `smoke-s${seed}-exp`;
    await store.beginRun({ runId, scenario: s.name, params: JSON.parse(canonicalJson(s)), seed, codeVersion: "test0000", codeDirty: false });
    const r = await runScenario({ scenario: s });
    await store.finishRun(runId, { status: "completed", reason: r.outcome.reason, traceHash: r.outcome.traceHash, simTimeUs: r.outcome.time, events: r.outcome.events, wallTimeS: 0.1 }, r.metrics, r.timeseries);
    expected.runs++;
    expected.metrics += r.metrics.length;
    expected.timeseries += r.timeseries.tUs.length;
    latency.set(runId, r.metrics.find((m) => m.name === "traffic.fetch_latency_s.p99")!.value);
  }
  await store.close();
  duck = await DuckDBInstance.create(":memory:");
  conn = await duck.connect();
});

afterAll(() => {
  conn?.closeSync();
  duck?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function readBack(reader: string, d: string, ext: string) {
  const count = async (table: string) => {
    const r = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${reader}(${sql(join(d, `${table}.${ext}`))})`);
    return Number(r.getRowObjects()[0].n);
  };
  const p99 = await conn.runAndReadAll(
    `SELECT run_id, value FROM ${reader}(${sql(join(d, `metrics.${ext}`))}) WHERE name = 'traffic.fetch_latency_s.p99' ORDER BY run_id`);
  const runs = await conn.runAndReadAll(`SELECT run_id, seed::INTEGER AS seed, status, trace_hash FROM ${reader}(${sql(join(d, `runs.${ext}`))}) ORDER BY run_id`);
  return {
    runs: await count("runs"), metrics: await count("metrics"), timeseries: await count("timeseries"), events: await count("events"),
    p99: p99.getRowObjects().map((r) => [String(r.run_id), Number(r.value)] as const),
    runRows: runs.getRowObjects().map((r) => ({ runId: String(r.run_id), seed: Number(r.seed), status: String(r.status), traceHash: String(r.trace_hash) })),
  };
}

describe("popsim export", () => {
  it("parquet (through the CLI, --json): four files that DuckDB reads back with the stored rows and values", async () => {
    const out = join(dir, "parquet");
    const r = await popsim(["export", "--format", "parquet", "--db", dbPath, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.format).toBe("parquet");
    expect(j.files.map((f: { table: string }) => f.table)).toEqual(["runs", "metrics", "timeseries", "events"]);
    for (const f of j.files) expect(existsSync(f.path), f.path).toBe(true);
    const back = await readBack("read_parquet", out, "parquet");
    expect(back).toMatchObject({ ...expected, events: 0 });
    expect(back.p99).toEqual([...latency].sort());
    expect(back.runRows.map((x) => [x.runId, x.seed, x.status])).toEqual([["smoke-s1-exp", 1, "completed"], ["smoke-s2-exp", 2, "completed"]]);
    expect(back.runRows[0].traceHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("csv (in process): same rows and values", async () => {
    const out = join(dir, "csv");
    const r = await exportCommand({ format: "csv", db: dbPath, out });
    expect(r.files.map((f) => [f.table, f.rows])).toEqual([["runs", expected.runs], ["metrics", expected.metrics], ["timeseries", expected.timeseries], ["events", 0]]);
    const back = await readBack("read_csv_auto", out, "csv");
    expect(back).toMatchObject({ ...expected, events: 0 });
    for (const [id, v] of back.p99) expect(v, id).toBeCloseTo(latency.get(id)!, 12);
  });

  it("an unknown --format or a missing database is bad input (exit 2) and writes nothing", async () => {
    const out = join(dir, "bad");
    const bad = await exportCommand({ format: "xlsx", db: dbPath, out }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(CliFailure);
    expect((bad as CliFailure).exitCode).toBe(EXIT.badInput);
    expect((bad as CliFailure).message).toMatch(/--format: got "xlsx"; expected parquet or csv/);
    const missing = await exportCommand({ format: "csv", db: join(dir, "none.duckdb"), out }).catch((e: unknown) => e);
    expect((missing as CliFailure).exitCode).toBe(EXIT.badInput);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "none.duckdb"))).toBe(false);
  });
});
