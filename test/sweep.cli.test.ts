/**
 * `popsim sweep` end to end (the real CLI in child processes):
 * - a 3 × 10 grid (smoke, 10 simulated minutes) with 1 and with 2 worker threads gives identical
 *   (params, seed) → trace hash maps, and identical stored rows (status, parameters, metrics, time series);
 * - re-running the sweep skips every run and adds no row (resumable, no duplicates);
 * - a bad grid value exits 2, names it, and creates no database;
 * - a job that throws is recorded as failed, the other runs complete, and the exit code is 1;
 * - the --json shape.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { popsim, limit, type CliResult } from "./helpers/cli.ts";
import { openStore } from "../sim/store/store.ts";
import { canonicalJson } from "../sim/store/canonicalJson.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-sweep-"));
const db1 = join(dir, "w1.duckdb"), db2 = join(dir, "w2.duckdb"), dbBad = join(dir, "bad.duckdb"), dbThrow = join(dir, "throw.duckdb");
const GRID = ["smoke", "--grid", "network.loss=0.001,0.02,0.05", "--seeds", "1..10", "--set", "duration=10min", "--set", "faults.timeline=[]"];

interface RunJson { runId: string; params: Record<string, unknown>; seed: number; status: string; traceHash: string | null; reused: boolean; metrics: Record<string, number>; key: string; error?: string }
interface SweepJson { sweepId: string; scenario: string; total: number; ran: number; skipped: number; failed: number; runs: RunJson[]; [k: string]: unknown }

const parse = (r: CliResult): SweepJson => {
  expect(r.stdout.trim().split("\n"), r.stderr).toHaveLength(1);
  return JSON.parse(r.stdout) as SweepJson;
};
const hashMap = (s: SweepJson) => new Map(s.runs.map((r) => [`${canonicalJson(r.params)}|${r.seed}`, r.traceHash]));

async function storedRows(db: string) {
  const store = await openStore(db, { readOnly: true });
  try {
    const runs = await store.listRuns({ limit: 10_000 });
    const out = new Map<string, unknown>();
    for (const r of runs) {
      const ts = await store.getTimeseries(r.runId);
      const key = `${r.paramsJson}|${r.seed}`;
      expect(out.has(key), `duplicate row for ${key.slice(-40)}`).toBe(false);
      out.set(key, {
        status: r.status, traceHash: r.traceHash, events: r.events, simTimeUs: r.simTimeUs, sweepId: r.sweepId, codeVersion: r.codeVersion,
        metrics: await store.getMetrics(r.runId), ts: [Array.from(ts.tUs), ts.name, Array.from(ts.value)],
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

let one: CliResult, two: CliResult, again: CliResult, bad: CliResult, thrown: CliResult;

beforeAll(async () => {
  // Two at a time (2 cores): the 1- and 2-worker sweeps, then the resume, bad-input and throwing cases.
  [one, bad] = await limit(2, [
    () => popsim(["sweep", ...GRID, "--workers", "1", "--db", db1, "--json"]),
    () => popsim(["sweep", "smoke", "--grid", "network.loss=0.01,1.5", "--grid", "population.viewers=10,20", "--seeds", "1..3", "--db", dbBad]),
  ]);
  [two, thrown] = await limit(2, [
    () => popsim(["sweep", ...GRID, "--workers", "2", "--db", db2, "--json"]),
    () => popsim(["sweep", "smoke", "--grid", "network.loss=0.001,0.02", "--seeds", "1..4", "--set", "duration=10min", "--set", "faults.timeline=[]", "--workers", "2", "--db", dbThrow, "--json"],
      { env: { POPSIM_TEST_THROW_SEEDS: "3" } }),
  ]);
  again = await popsim(["sweep", ...GRID, "--workers", "2", "--db", db2, "--json"]);
}, 240_000);

describe("popsim sweep", () => {
  it("3 × 10 grid: 1 and 2 workers give the same trace hash for every (params, seed)", () => {
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const a = parse(one), b = parse(two);
    expect(a.total).toBe(30);
    expect(a.runs.every((r) => r.status === "completed" && /^[0-9a-f]{16}$/.test(r.traceHash ?? ""))).toBe(true);
    expect(hashMap(a)).toEqual(hashMap(b));
    expect(new Set(a.runs.map((r) => r.traceHash)).size).toBe(30);
    expect(a.sweepId).toBe(b.sweepId);
  });

  it("stored rows are identical whatever the number of workers (content, not write order)", async () => {
    const [r1, r2] = [await storedRows(db1), await storedRows(db2)];
    expect(r1.size).toBe(30);
    expect(r1).toEqual(r2);
  });

  it("is resumable: the second invocation skips all 30 runs and writes no row", async () => {
    expect(again.code, again.stderr).toBe(0);
    const s = parse(again);
    expect(s).toMatchObject({ total: 30, ran: 0, skipped: 30, failed: 0 });
    expect(s.runs.every((r) => r.reused)).toBe(true);
    expect(hashMap(s)).toEqual(hashMap(parse(two)));
    const store = await openStore(db2, { readOnly: true });
    try {
      expect(await store.listRuns({ limit: 10_000 })).toHaveLength(30);
    } finally {
      await store.close();
    }
  });

  it("a bad grid value exits 2, names it, and writes nothing", () => {
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain("nothing was written");
    expect(bad.stderr).toContain("network.loss: got 1.5");
    expect(bad.stderr).toContain("swept value network.loss=1.5");
    expect(bad.stdout).toBe("");
    expect(existsSync(dbBad)).toBe(false);
  });

  it("a job that throws is recorded as failed; the others complete; exit 1", async () => {
    expect(thrown.code, thrown.stderr).toBe(1);
    const s = parse(thrown);
    expect(s.failed).toBe(2);
    for (const r of s.runs) {
      if (r.seed === 3) {
        expect(r.status).toBe("failed");
        expect(r.error).toContain("POPSIM_TEST_THROW_SEEDS");
        expect(r.traceHash).toBeNull();
      } else {
        expect(r.status).toBe("completed");
      }
    }
    expect(thrown.stderr).toMatch(/reproduce: npx popsim run smoke --seed 3/);
    const store = await openStore(dbThrow, { readOnly: true });
    try {
      const runs = await store.listRuns({ limit: 100 });
      expect(runs.filter((r) => r.status === "failed").map((r) => r.seed)).toEqual([3, 3]);
      expect(runs.filter((r) => r.status === "completed")).toHaveLength(6);
    } finally {
      await store.close();
    }
  });

  it("--json: one object with the documented fields", () => {
    const s = parse(one);
    for (const k of ["sweepId", "scenario", "source", "codeVersion", "codeDirty", "db", "executor", "workers", "queue", "dimensions", "sampling", "seeds", "sets",
      "total", "ran", "skipped", "failed", "notRun", "wallTimeS", "reproduce", "runs"]) expect(s, k).toHaveProperty(k);
    expect(s).toMatchObject({ scenario: "smoke", executor: "local", workers: 1, queue: null, seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    expect(s.sweepId).toMatch(/^smoke-sweep-[0-9a-f]{10}$/);
    const r = s.runs[0];
    expect(Object.keys(r).sort()).toEqual(["key", "metrics", "params", "reason", "reused", "runId", "seed", "status", "traceHash", "wallTimeS"]);
    expect(r.params).toEqual({ "network.loss": 0.001 });
    expect(r.metrics["traffic.fetches"]).toBeGreaterThan(0);
    expect(s.reproduce).toBe("npx popsim sweep smoke --grid network.loss=0.001,0.02,0.05 --seeds 1..10 --set duration=10min --set 'faults.timeline=[]'");
  });
});
