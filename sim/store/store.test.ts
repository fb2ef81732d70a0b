/**
 * store.test.ts — the results store: round trip, chunked appends, atomicity, stale runs, lookups, export, errors.
 *
 * Every test uses its own temp dir under os.tmpdir(). One test starts a second process (storeTestChild.ts),
 * because DuckDB's file lock and crash recovery are per process.
 */

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { BIGINT, DOUBLE, DuckDBDataChunk, DuckDBInstance, VARCHAR } from "@duckdb/node-api";
import { Effect, Layer } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalJson } from "./canonicalJson.ts";
import {
  CHUNK_ROWS_MAX,
  openStore,
  ResultsStore,
  StoreError,
  storeLayer,
  type BeginRunMeta,
  type FinishRunResult,
  type Store,
  type TimeseriesColumns,
} from "./store.ts";

const here = nodePath.dirname(fileURLToPath(import.meta.url));
const projectRoot = nodePath.resolve(here, "../..");

const dirs: string[] = [];
const stores: Store[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "popsim-store-"));
  dirs.push(dir);
  return dir;
}
function tempDb(): string {
  return nodePath.join(tempDir(), "popsim.duckdb");
}
async function open(path: string, opts?: Parameters<typeof openStore>[1]): Promise<Store> {
  const store = await openStore(path, opts);
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

let clockMs = Date.parse("2030-01-01T00:00:00.000Z");
const clock = () => new Date((clockMs += 1000));

function meta(runId: string, over: Partial<BeginRunMeta> = {}): BeginRunMeta {
  return { runId, scenario: "default", params: { agents: 100, net: { lossRate: 0.01, regions: ["eu", "us"] } }, seed: 42, codeVersion: "abc1234", codeDirty: false, ...over };
}
function result(over: Partial<FinishRunResult> = {}): FinishRunResult {
  return { status: "completed", reason: "queue empty", traceHash: "deadbeef", simTimeUs: 3_600_000_000, events: 123_456, wallTimeS: 1.25, ...over };
}
function series(n: number, names = ["supply", "peers", "latency_us_p99"]): TimeseriesColumns {
  const tUs = new Float64Array(n);
  const name = new Array<string>(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tUs[i] = Math.floor(i / names.length) * 1_000_000;
    name[i] = names[i % names.length];
    value[i] = Math.sin(i) * 1e6 + i / 7;
  }
  return { tUs, name, value };
}
async function expectStoreError(p: Promise<unknown>, kind: string, text?: RegExp): Promise<StoreError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(StoreError);
  const se = e as StoreError;
  expect(se._tag).toBe("StoreError");
  expect(se.kind).toBe(kind);
  if (text) expect(se.message).toMatch(text);
  return se;
}

/** Runs storeTestChild.ts and resolves with the child once it prints a line starting with `ready`. */
function startChild(mode: string, db: string, ready: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", nodePath.join(here, "storeTestChild.ts"), mode, db], {
    cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const line = out.split("\n").find((l) => l.startsWith(ready));
      if (line !== undefined) resolve({ child, line });
    });
    child.stderr!.on("data", (b: Buffer) => { err += b.toString(); });
    child.on("exit", (code, signal) => reject(new Error(`child exited (${code ?? signal}) before '${ready}': ${err}`)));
  });
}
function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("DuckDB assumption", () => {
  it("appender rows obey an explicit ROLLBACK (so finishRun needs no staging table)", async () => {
    const instance = await DuckDBInstance.create(tempDb());
    const conn = await instance.connect();
    try {
      await conn.run("CREATE TABLE t (run_id VARCHAR, t_us BIGINT, name VARCHAR, value DOUBLE)");
      const append = async (n: number) => {
        const appender = await conn.createAppender("t");
        const chunk = DuckDBDataChunk.create([VARCHAR, BIGINT, VARCHAR, DOUBLE]);
        for (let start = 0; start < n; start += CHUNK_ROWS_MAX) {
          const m = Math.min(CHUNK_ROWS_MAX, n - start);
          chunk.reset();
          chunk.setColumns([new Array(m).fill("r"), Array.from({ length: m }, (_, i) => BigInt(start + i)), new Array(m).fill("x"), new Array(m).fill(1.5)]);
          appender.appendDataChunk(chunk);
        }
        appender.closeSync();
      };
      const count = async () => Number((await conn.runAndReadAll("SELECT count(*) FROM t")).getRows()[0][0]);
      await conn.run("BEGIN TRANSACTION");
      await append(5000);
      expect(await count()).toBe(5000);
      await conn.run("ROLLBACK");
      expect(await count()).toBe(0);
      await conn.run("BEGIN TRANSACTION");
      await append(3000);
      await conn.run("COMMIT");
      expect(await count()).toBe(3000);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});

describe("round trip", () => {
  it("begin → finish → read back identical run, params, metrics and time series", async () => {
    const db = tempDb();
    const store = await open(db, { clock });
    expect(store.abandonedAtOpen).toEqual([]);
    const params = { z: 1, a: { y: [3, 2, 1], b: "wei", big: 10n ** 30n }, inf: Number.POSITIVE_INFINITY };
    await store.beginRun(meta("run-1", { params, sweepId: "sweep-7", codeDirty: true }));
    const running = await store.getRun("run-1");
    expect(running.status).toBe("running");
    expect(running.finishedAt).toBeNull();

    const metrics = [
      { name: "supply_total", value: 1.2345678901234567e21 },
      { name: "tiny", value: 5e-324 },
      { name: "tenth", value: 0.1 },
      { name: "nan", value: Number.NaN },
      { name: "supply_total", value: -7 },
    ];
    const ts = series(30);
    await store.finishRun("run-1", result({ status: "event-limit", reason: "eventCountMax" }), metrics, ts);

    const run = await store.getRun("run-1");
    expect(run).toMatchObject({
      runId: "run-1", scenario: "default", seed: 42, codeVersion: "abc1234", codeDirty: true, traceHash: "deadbeef",
      status: "event-limit", reason: "eventCountMax", simTimeUs: 3_600_000_000, events: 123_456, wallTimeS: 1.25,
      sweepId: "sweep-7", error: null,
    });
    expect(run.paramsJson).toBe(canonicalJson(params));
    expect(run.params).toEqual({ a: { b: "wei", big: (10n ** 30n).toString(), y: [3, 2, 1] }, inf: "Infinity", z: 1 });
    expect(run.startedAt < (run.finishedAt ?? "")).toBe(true);

    const back = await store.getMetrics("run-1");
    expect(back.map((m) => m.name)).toEqual(metrics.map((m) => m.name));
    back.forEach((m, i) => expect(Object.is(m.value, metrics[i].value)).toBe(true));

    const rows = await store.getTimeseries("run-1");
    expect(Array.from(rows.tUs)).toEqual(Array.from(ts.tUs));
    expect(rows.name).toEqual(ts.name);
    expect(Array.from(rows.value)).toEqual(Array.from(ts.value));
    const peers = await store.getTimeseries("run-1", "peers");
    expect(peers.name.every((n) => n === "peers")).toBe(true);
    expect(peers.tUs.length).toBe(10);
  });

  it("appends 12,345 time-series rows (7 chunks) and 3,000 event rows exactly", async () => {
    const store = await open(tempDb());
    await store.beginRun(meta("big"));
    const n = 12_345;
    const ts = series(n);
    const ev = {
      tUs: Array.from({ length: 3000 }, (_, i) => i * 10),
      seq: Array.from({ length: 3000 }, (_, i) => i),
      kind: Array.from({ length: 3000 }, (_, i) => (i % 2 ? "send" : "recv")),
      target: Array.from({ length: 3000 }, (_, i) => (i % 5 ? i : null)),
      detail: Array.from({ length: 3000 }, (_, i) => (i % 3 ? `d${i}` : null)),
    };
    await store.finishRun("big", result(), [{ name: "rows", value: n }], ts, ev);
    const rows = await store.getTimeseries("big");
    expect(rows.tUs.length).toBe(n);
    expect(rows.tUs).toEqual(ts.tUs);
    expect(rows.value).toEqual(ts.value);
    expect(rows.name).toEqual(ts.name);
    const [exported] = await store.exportTables(tempDir(), "parquet").then((f) => f.filter((x) => x.table === "events"));
    expect(exported.rows).toBe(3000);
  });
});

describe("atomicity", () => {
  async function storeWithEarlierRun(hooks?: Parameters<typeof openStore>[1]) {
    const store = await open(tempDb(), hooks);
    await store.beginRun(meta("earlier"));
    await store.finishRun("earlier", result(), [{ name: "m", value: 1 }], series(5000));
    await store.beginRun(meta("victim"));
    return store;
  }
  async function expectVictimFailedAndEarlierIntact(store: Store, errorText: RegExp) {
    const victim = await store.getRun("victim");
    expect(victim.status).toBe("failed");
    expect(victim.error).toMatch(errorText);
    expect(victim.reason).toMatch(/rolled back/);
    expect(victim.traceHash).toBeNull();
    expect(await store.getMetrics("victim")).toEqual([]);
    expect((await store.getTimeseries("victim")).tUs.length).toBe(0);
    const earlier = await store.getRun("earlier");
    expect(earlier.status).toBe("completed");
    expect(await store.getMetrics("earlier")).toEqual([{ name: "m", value: 1 }]);
    expect((await store.getTimeseries("earlier")).tUs.length).toBe(5000);
  }

  it("mismatched column lengths: run ends 'failed' with no rows; earlier run untouched", async () => {
    const store = await storeWithEarlierRun();
    const bad = { tUs: [1, 2, 3], name: ["a", "b"], value: [1, 2, 3] };
    const e = await expectStoreError(store.finishRun("victim", result(), [{ name: "m", value: 2 }], bad), "invalid-input", /differ in length/);
    expect(e.runId).toBe("victim");
    expect(e.path).toBeTruthy();
    await expectVictimFailedAndEarlierIntact(store, /differ in length/);
  });

  it("a throw after 3 appended chunks: rolled back, 'failed', no rows", async () => {
    const store = await storeWithEarlierRun({
      faultHooks: {
        afterChunk: ({ runId, table, chunkIndex }) => {
          if (runId === "victim" && table === "timeseries" && chunkIndex === 2) throw new Error("injected fault after chunk 3");
        },
      },
    });
    await expectStoreError(store.finishRun("victim", result(), [{ name: "m", value: 2 }], series(10_000)), "io", /injected fault/);
    await expectVictimFailedAndEarlierIntact(store, /injected fault after chunk 3/);
  });

  it("a throw just before COMMIT, with every row visible inside the transaction: rolled back, 'failed', no rows", async () => {
    const seen: number[] = [];
    const store = await storeWithEarlierRun({
      faultHooks: {
        beforeCommit: async ({ runId, countRows }) => {
          if (runId !== "victim") return;
          seen.push(await countRows("metrics"), await countRows("timeseries"));
          throw new Error("injected fault before commit");
        },
      },
    });
    await expectStoreError(store.finishRun("victim", result(), [{ name: "a", value: 1 }, { name: "b", value: 2 }], series(6000)), "io");
    expect(seen).toEqual([2, 6000]);
    await expectVictimFailedAndEarlierIntact(store, /injected fault before commit/);
    // The connection is healthy afterwards.
    await store.beginRun(meta("after"));
    await store.finishRun("after", result(), [{ name: "m", value: 3 }], series(10));
    expect((await store.getRun("after")).status).toBe("completed");
  });

  it("a finished run cannot be finished again (no duplicate rows); markRun only touches running rows", async () => {
    const store = await open(tempDb());
    await store.beginRun(meta("r"));
    await store.finishRun("r", result(), [{ name: "m", value: 1 }], series(9));
    await expectStoreError(store.finishRun("r", result(), [{ name: "m", value: 1 }], series(9)), "not-running", /is 'completed'/);
    await expectStoreError(store.finishRun("nope", result(), [], undefined), "not-found");
    expect(await store.getMetrics("r")).toHaveLength(1);
    expect((await store.getTimeseries("r")).tUs.length).toBe(9);
    expect(await store.markRun("r", "interrupted", "SIGINT")).toBe(false);
    expect((await store.getRun("r")).status).toBe("completed");

    await store.beginRun(meta("s"));
    expect(await store.markRun("s", "interrupted", "SIGINT received at t=12s")).toBe(true);
    expect(await store.getRun("s")).toMatchObject({ status: "interrupted", reason: "SIGINT received at t=12s" });
    await expectStoreError(store.beginRun(meta("s")), "duplicate");
  });

  it("concurrent callers are serialised: interleaved finishRun/markRun calls never share a transaction", async () => {
    const store = await open(tempDb());
    const ids = ["c0", "c1", "c2", "c3"];
    await Promise.all(ids.map((id) => store.beginRun(meta(id))));
    const bad = { tUs: [1], name: [], value: [1] };
    await Promise.all([
      store.finishRun("c0", result(), [{ name: "m", value: 0 }], series(5000)),
      store.finishRun("c1", result(), [{ name: "m", value: 1 }], bad).catch((e: unknown) => e),
      store.markRun("c2", "interrupted", "SIGINT"),
      store.finishRun("c3", result(), [{ name: "m", value: 3 }], series(2500)),
      store.finishRun("c2", result(), [{ name: "m", value: 2 }], series(10)).catch((e: unknown) => e),
    ]);
    expect((await store.listRuns()).map((r) => [r.runId, r.status]).sort()).toEqual(
      [["c0", "completed"], ["c1", "failed"], ["c2", "interrupted"], ["c3", "completed"]]);
    expect((await store.getTimeseries("c0")).tUs.length).toBe(5000);
    expect((await store.getTimeseries("c1")).tUs.length).toBe(0);
    expect((await store.getTimeseries("c2")).tUs.length).toBe(0);
    expect((await store.getTimeseries("c3")).tUs.length).toBe(2500);
  });

  it("another process: locked while it lives; killed inside finishRun it leaves no rows and the run 'abandoned'", async () => {
    const db = tempDb();
    const { child, line } = await startChild("die-in-finish", db, "in-transaction");
    expect(line).toBe("in-transaction 1 5000");
    const e = await expectStoreError(openStore(db), "locked", /locked by another process \(PID \d+\)/);
    expect(e.message).toContain(db);
    await expectStoreError(openStore(db, { readOnly: true }), "locked");
    await killed(child);
    const store = await open(db);
    expect(store.abandonedAtOpen).toEqual(["killed-run"]);
    const run = await store.getRun("killed-run");
    expect(run.status).toBe("abandoned");
    expect(run.reason).toMatch(/still 'running' when the store was next opened/);
    expect(await store.getMetrics("killed-run")).toEqual([]);
    expect((await store.getTimeseries("killed-run")).tUs.length).toBe(0);
  });
});

describe("open", () => {
  it("marks stale 'running' rows 'abandoned' on reopen, once; schema creation is idempotent", async () => {
    const db = tempDb();
    let store = await openStore(db);
    await store.beginRun(meta("done"));
    await store.finishRun("done", result(), [], series(3));
    await store.beginRun(meta("stale-a"));
    await store.beginRun(meta("stale-b"));
    await store.close();

    store = await open(db);
    expect(store.abandonedAtOpen).toEqual(["stale-a", "stale-b"]);
    expect((await store.getRun("stale-a")).status).toBe("abandoned");
    expect((await store.getRun("done")).status).toBe("completed");
    await store.close();

    const again = await open(db);
    expect(again.abandonedAtOpen).toEqual([]);
    expect(await again.listRuns()).toHaveLength(3);
  });

  it("read-only: reads and exports work, writes fail clearly, nothing is marked abandoned", async () => {
    const db = tempDb();
    const writer = await openStore(db);
    await writer.beginRun(meta("left-running"));
    await writer.close();
    const reader = await open(db, { readOnly: true });
    expect(reader.abandonedAtOpen).toEqual([]);
    expect((await reader.getRun("left")).status).toBe("running");
    await expectStoreError(reader.beginRun(meta("x")), "read-only", /opened read-only/);
    const files = await reader.exportTables(tempDir(), "csv");
    expect(files.find((f) => f.table === "runs")?.rows).toBe(1);
    // Two readers in one process are fine; a writer beside them is refused.
    await open(db, { readOnly: true });
    await expectStoreError(openStore(db), "already-open", /already has the file open read-only/);
  });

  it("refuses a second writer on the same file in this process", async () => {
    const db = tempDb();
    await open(db);
    await expectStoreError(openStore(db), "already-open", /for writing/);
  });

  it("a file that is not a DuckDB database fails with a clear error naming the path", async () => {
    const path = nodePath.join(tempDir(), "results.duckdb");
    fs.writeFileSync(path, "run_id,value\nabc,1\n".repeat(500));
    const e = await expectStoreError(openStore(path), "not-a-database", /is not a DuckDB database/);
    expect(e.message).toContain(path);
    expect(e.operation).toBe("open");
    await expectStoreError(openStore(path, { readOnly: true }), "not-a-database");
  });

  it("a DuckDB database that is not a popsim store is refused, not altered", async () => {
    const path = tempDb();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run("CREATE TABLE customers (id INTEGER)");
    conn.closeSync();
    instance.closeSync();
    await expectStoreError(openStore(path), "not-a-store", /customers/);
  });

  it("a newer schema version is refused", async () => {
    const db = tempDb();
    await (await openStore(db)).close();
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    await conn.run("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    conn.closeSync();
    instance.closeSync();
    await expectStoreError(openStore(db), "schema-version", /schema_version 99/);
  });
});

describe("readers", () => {
  it("getRun accepts a unique prefix and reports ambiguous or unknown ones", async () => {
    const store = await open(tempDb());
    for (const id of ["7f3a9c01", "7f3a9c02", "b41e0000"]) await store.beginRun(meta(id));
    expect((await store.getRun("b4")).runId).toBe("b41e0000");
    expect((await store.getRun("7f3a9c01")).runId).toBe("7f3a9c01");
    await expectStoreError(store.getRun("7f3a"), "ambiguous", /7f3a9c01, 7f3a9c02/);
    await expectStoreError(store.getRun("zz"), "not-found", /no run matches 'zz'/);
    await expectStoreError(store.getRun("%"), "not-found");
  });

  it("listRuns filters and limits; findCompletedRun matches identity regardless of key order", async () => {
    const store = await open(tempDb(), { clock });
    const params = { b: 2, a: { d: [1, 2], c: 1n } };
    await store.beginRun(meta("r1", { params, seed: 1 }));
    await store.finishRun("r1", result(), [], undefined);
    await store.beginRun(meta("r2", { params, seed: 2, scenario: "stress" }));
    await store.finishRun("r2", result(), [], undefined);
    await store.beginRun(meta("r3", { params, seed: 3, codeDirty: true }));
    await store.finishRun("r3", result(), [], undefined);
    await store.beginRun(meta("r4", { params, seed: 4 }));
    await store.finishRun("r4", result({ status: "failed", error: "invariant" }), [], undefined);

    expect((await store.listRuns()).map((r) => r.runId)).toEqual(["r4", "r3", "r2", "r1"]);
    expect((await store.listRuns({ limit: 2 })).map((r) => r.runId)).toEqual(["r4", "r3"]);
    expect((await store.listRuns({ scenario: "stress" })).map((r) => r.runId)).toEqual(["r2"]);
    expect((await store.listRuns({ status: "failed" })).map((r) => r.runId)).toEqual(["r4"]);

    const q = { scenario: "default", seed: 1, codeVersion: "abc1234" };
    expect((await store.findCompletedRun({ ...q, paramsJson: '{"a":{"c":"1","d":[1,2]},"b":2}' }))?.runId).toBe("r1");
    expect((await store.findCompletedRun({ ...q, params: { a: { d: [1, 2], c: 1n }, b: 2 } }))?.runId).toBe("r1");
    expect(await store.findCompletedRun({ ...q, params: { ...params, b: 3 } })).toBeUndefined();
    expect(await store.findCompletedRun({ ...q, params, codeVersion: "other" })).toBeUndefined();
    expect(await store.findCompletedRun({ ...q, params, seed: 3 })).toBeUndefined();
    expect((await store.findCompletedRun({ ...q, params, seed: 3, includeDirty: true }))?.runId).toBe("r3");
    expect(await store.findCompletedRun({ ...q, params, seed: 4 })).toBeUndefined();
  });
});

describe("export", () => {
  it("writes parquet and csv atomically and DuckDB reads them back", async () => {
    const store = await open(tempDb());
    await store.beginRun(meta("e1"));
    await store.finishRun("e1", result(), [{ name: "m", value: 0.5 }], series(4100));
    await store.beginRun(meta("e2"));
    const out = tempDir();
    const parquet = await store.exportTables(out, "parquet");
    const csv = await store.exportTables(out, "csv");
    expect(parquet.map((f) => [f.table, f.rows])).toEqual([["runs", 2], ["metrics", 1], ["timeseries", 4100], ["events", 0]]);
    expect(csv.map((f) => f.rows)).toEqual(parquet.map((f) => f.rows));
    expect(fs.readdirSync(out).sort()).toEqual(
      ["events.csv", "events.parquet", "metrics.csv", "metrics.parquet", "runs.csv", "runs.parquet", "timeseries.csv", "timeseries.parquet"]);

    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    try {
      const q = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();
      const lit = (f: string) => `'${nodePath.join(out, f)}'`;
      expect(await q(`SELECT run_id, status, seed, params::VARCHAR AS params FROM read_parquet(${lit("runs.parquet")}) ORDER BY run_id`)).toEqual([
        { run_id: "e1", status: "completed", seed: 42n, params: canonicalJson(meta("e1").params) },
        { run_id: "e2", status: "running", seed: 42n, params: canonicalJson(meta("e1").params) },
      ]);
      const ts = series(4100);
      const fromParquet = await q(`SELECT t_us, name, value FROM read_parquet(${lit("timeseries.parquet")})`);
      expect(fromParquet.map((r) => Number(r.t_us))).toEqual(Array.from(ts.tUs));
      expect(fromParquet.map((r) => r.value)).toEqual(Array.from(ts.value));
      expect(await q(`SELECT count(*) AS n, sum(value) AS s FROM read_csv(${lit("timeseries.csv")})`)).toEqual(
        await q(`SELECT count(*) AS n, sum(value) AS s FROM read_parquet(${lit("timeseries.parquet")})`));
      expect(await q(`SELECT name, value FROM read_csv(${lit("metrics.csv")})`)).toEqual([{ name: "m", value: 0.5 }]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});

describe("canonicalJson", () => {
  it("sorts keys, keeps array order, writes bigint and non-finite numbers as strings, refuses Maps and cycles", () => {
    expect(canonicalJson({ b: 1, a: [3, 1, { d: undefined, c: 2n }], n: Number.NaN })).toBe('{"a":[3,1,{"c":"2"}],"b":1,"n":"NaN"}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(() => canonicalJson(new Map())).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle at \$\.self/);
  });
});

describe("Effect edge", () => {
  it("storeLayer opens the store for the scope and closes it afterwards", async () => {
    const db = tempDb();
    const program = Effect.gen(function* () {
      const store = yield* ResultsStore;
      yield* Effect.promise(() => store.beginRun(meta("fx")));
      return yield* Effect.promise(() => store.getRun("fx"));
    });
    const run = await Effect.runPromise(Effect.provide(program, storeLayer(db)));
    expect(run.status).toBe("running");
    const reopened = await open(db); // would be 'already-open' had the layer not closed it
    expect(reopened.abandonedAtOpen).toEqual(["fx"]);

    const failed = await Effect.runPromise(Effect.flip(Layer.build(storeLayer(db)).pipe(Effect.scoped)));
    expect(failed).toBeInstanceOf(StoreError);
    expect(failed.kind).toBe("already-open");
  });
});
