/**
 * store.bench.ts — rows/s appended by `finishRun` for 1 M time-series rows, against bare DuckDB appender loops in
 * the same process (`npx tsx sim/store/store.bench.ts`; BENCH_ROWS, BENCH_REPS to change size and repetitions).
 *
 * Contenders, each into a fresh DuckDB file with the same `timeseries` table, same data:
 *  - store:      openStore → beginRun → finishRun(…, timeseries) (validation, transaction, 2048-row chunks);
 *  - bare chunk: createAppender + DuckDBDataChunk.setColumns (2048 rows) + appendDataChunk, no transaction —
 *                the yardstick: the store should cost little more than this;
 *  - bare row:   createAppender + appendVarchar/appendBigInt/…/endRow per row (the row API, for reference;
 *                run on a tenth of the rows and scaled).
 * Each figure is the best of REPS repetitions (on a shared machine noise only slows a run), with the spread.
 * Wall-clock timing is fine here: this file is a benchmark, not part of any run.
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { BIGINT, DOUBLE, DuckDBDataChunk, DuckDBInstance, VARCHAR } from "@duckdb/node-api";
import { CHUNK_ROWS_MAX, openStore, type TimeseriesColumns } from "./store.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const NAMES = ["supply_total", "peers_online", "latency_us_p99", "reward_pool", "channels_open"];

function data(n: number): TimeseriesColumns {
  const tUs = new Float64Array(n);
  const name = new Array<string>(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tUs[i] = Math.floor(i / NAMES.length) * 1_000_000;
    name[i] = NAMES[i % NAMES.length];
    value[i] = i * 0.25;
  }
  return { tUs, name, value };
}

const TABLE = "CREATE TABLE timeseries (run_id VARCHAR NOT NULL, t_us BIGINT NOT NULL, name VARCHAR NOT NULL, value DOUBLE)";

async function withBareDb<T>(dir: string, f: (conn: Awaited<ReturnType<DuckDBInstance["connect"]>>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(nodePath.join(dir, `bare-${Math.round(performance.now() * 1000)}.duckdb`));
  const conn = await instance.connect();
  try {
    await conn.run(TABLE);
    return await f(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function bareChunk(dir: string, d: TimeseriesColumns): Promise<number> {
  return withBareDb(dir, async (conn) => {
    const t0 = performance.now();
    const appender = await conn.createAppender("timeseries");
    const chunk = DuckDBDataChunk.create([VARCHAR, BIGINT, VARCHAR, DOUBLE]);
    const id = new Array<string>(CHUNK_ROWS_MAX).fill("bench-run");
    for (let start = 0; start < ROWS; start += CHUNK_ROWS_MAX) {
      const m = Math.min(CHUNK_ROWS_MAX, ROWS - start);
      const t = new Array<bigint>(m);
      const names = new Array<string>(m);
      const values = new Array<number>(m);
      for (let i = 0; i < m; i++) {
        t[i] = BigInt(d.tUs[start + i]);
        names[i] = d.name[start + i];
        values[i] = d.value[start + i];
      }
      chunk.reset();
      chunk.setColumns([m === CHUNK_ROWS_MAX ? id : id.slice(0, m), t, names, values]);
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    return (performance.now() - t0) / 1000;
  });
}

async function bareRow(dir: string, d: TimeseriesColumns, n: number): Promise<number> {
  return withBareDb(dir, async (conn) => {
    const t0 = performance.now();
    const appender = await conn.createAppender("timeseries");
    for (let i = 0; i < n; i++) {
      appender.appendVarchar("bench-run");
      appender.appendBigInt(BigInt(d.tUs[i]));
      appender.appendVarchar(d.name[i]);
      appender.appendDouble(d.value[i]);
      appender.endRow();
    }
    appender.closeSync();
    return (performance.now() - t0) / 1000;
  });
}

async function viaStore(dir: string, d: TimeseriesColumns, rep: number): Promise<number> {
  const store = await openStore(nodePath.join(dir, `store-${rep}.duckdb`));
  try {
    await store.beginRun({ runId: "bench-run", scenario: "bench", params: {}, seed: 1, codeVersion: "bench", codeDirty: true });
    const t0 = performance.now();
    await store.finishRun("bench-run", { status: "completed", reason: "bench", traceHash: "00", simTimeUs: 0, events: 0, wallTimeS: 0 }, [], d);
    return (performance.now() - t0) / 1000;
  } finally {
    await store.close();
  }
}

function summary(label: string, seconds: number[], rows: number): string {
  const best = Math.min(...seconds);
  const worst = Math.max(...seconds);
  return `${label.padEnd(11)} best ${(rows / best / 1e6).toFixed(2)} M rows/s (${best.toFixed(2)} s per ${(rows / 1e6).toFixed(1)} M rows), ` +
    `worst ${(rows / worst / 1e6).toFixed(2)} M rows/s; runs: ${seconds.map((s) => s.toFixed(2)).join(" ")} s`;
}

const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "popsim-store-bench-"));
try {
  const d = data(ROWS);
  const rowRows = Math.max(1, Math.floor(ROWS / 10));
  const store: number[] = [];
  const chunk: number[] = [];
  const row: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate the order so drift on a shared machine does not always favour one side.
    if (rep % 2 === 0) {
      store.push(await viaStore(dir, d, rep));
      chunk.push(await bareChunk(dir, d));
    } else {
      chunk.push(await bareChunk(dir, d));
      store.push(await viaStore(dir, d, rep));
    }
    row.push(await bareRow(dir, d, rowRows));
  }
  console.log(`store.bench: ${ROWS.toLocaleString("en")} timeseries rows, best of ${REPS}`);
  console.log(summary("store", store, ROWS));
  console.log(summary("bare chunk", chunk, ROWS));
  console.log(summary("bare row", row, rowRows));
  const ratios = store.map((s, i) => s / chunk[i]);
  console.log(`store / bare chunk time: best-vs-best ${(Math.min(...store) / Math.min(...chunk)).toFixed(2)}×, per pair ${ratios.map((r) => r.toFixed(2)).join(" ")}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
