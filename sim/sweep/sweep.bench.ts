/**
 * sim/sweep/sweep.bench.ts — `npm run bench:sweep`: how much a sweep gains from a second worker thread, and what
 * the Redis/BullMQ queue costs against the local pool.
 *
 * Method
 * - One sweep: the `smoke` scenario at 1 simulated day × seeds 1..10 (10 jobs of ~1.5 s each on a quiet core,
 *   warm), run in this process through the same code as `popsim sweep` (plan → executor → `executeJobs` → a fresh
 *   DuckDB file per sweep, nothing reused). Jobs this long because a pool thread needs ~1.2 s to start (it loads
 *   the TypeScript sources through tsx), and on Node 20 threads starting together go through tsx's loader one at
 *   a time (measured: 1 thread 1.2 s, 2 threads 2.3 s; a plain-JS import of `effect` 0.55 s vs 0.73 s), so a
 *   sweep of a few seconds is dominated by start-up, not by how well it parallelises.
 * - Speed-up: for each repetition, the sweep with 1 and with 2 local worker threads (order alternating between
 *   repetitions, so a drift in machine load does not favour one side). Two times per sweep: "end to end" from
 *   creating the pool (threads start and load the TypeScript sources, ~1 s) to the last result written, and
 *   "warm" from the moment every thread has run a tiny warm-up job. Speed-up = t(1 worker) / t(2 workers) within
 *   one repetition; min / median / max over repetitions. (The warm-up jobs meet at a barrier in shared memory,
 *   so each thread runs exactly one: job.ts `barrier`.)
 * - Queue overhead: a `popsim worker --concurrency 2` process (started once and warmed up, as a long-lived worker
 *   is) against the warm local pool with 2 threads, alternating, same jobs; overhead = t(queue) / t(local) − 1.
 *   Skipped with a message if `redis-server` is not installed. Redis is started here on a free port.
 * - Every sweep's trace hashes must equal the first one's (checked; the bench fails otherwise).
 * The machines are shared: the load average is printed before and after, and numbers are printed as measured.
 * Goals (issue 5): ≥ 1.6× with 2 workers on a quiet machine; queue overhead ≤ 10 %.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Effect } from "effect";
import { openStore } from "../store/store.ts";
import { codeVersion } from "../cli/codeVersion.ts";
import { planSweep, type SweepJob } from "./plan.ts";
import { createLocalPool, type Executor } from "./pool.ts";
import { createQueueExecutor } from "./queue.ts";
import { executeJobs } from "./sweep.ts";

const REPS = Number(process.env.BENCH_REPS ?? 3);
const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "popsim-sweep-bench-"));
const code = codeVersion();
const plan = planSweep({ scenario: "smoke", sets: ["duration=1d"], seeds: "1..10" });
const warmJob = planSweep({ scenario: "smoke", sets: ["duration=1min", "faults.timeline=[]"], seeds: "1" }).jobs[0];
let reference: string | undefined;
let sweepNo = 0;

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, max: s[s.length - 1] };
};
const fmt = (o: { min: number; median: number; max: number }, digits = 2, unit = "") =>
  `min ${o.min.toFixed(digits)}${unit}  median ${o.median.toFixed(digits)}${unit}  max ${o.max.toFixed(digits)}${unit}`;

/** One sweep of `plan.jobs` on `executor` into a fresh store; returns the wall seconds. */
async function sweepOnce(executor: Executor, jobs: readonly SweepJob[] = plan.jobs): Promise<number> {
  const store = await openStore(join(dir, `s${++sweepNo}.duckdb`));
  try {
    const t0 = performance.now();
    const out = await Effect.runPromise(executeJobs({ jobs, sweepId: `bench-${sweepNo}`, store, executor, code, resume: false }));
    const t = (performance.now() - t0) / 1000;
    if (out.failed > 0) throw new Error(`bench sweep ${sweepNo}: ${out.failed} run(s) failed: ${out.runs.find((r) => r.status !== "completed")?.reason}`);
    if (jobs === plan.jobs) {
      const hashes = out.runs.map((r) => r.traceHash).join(",");
      reference ??= hashes;
      if (hashes !== reference) throw new Error(`bench sweep ${sweepNo}: trace hashes differ from the first sweep's`);
    }
    return t;
  } finally {
    await store.close();
  }
}

/** The local pool: end-to-end time (incl. thread start) and warm time. */
async function localSweep(workers: number): Promise<{ cold: number; warm: number }> {
  const t0 = performance.now();
  const pool = createLocalPool(workers);
  try {
    await pool.prepare!(plan.jobs);
    // One warm-up job per thread, held at a barrier so each lands on a different thread (job.ts `barrier`).
    const counter = new Int32Array(new SharedArrayBuffer(4));
    await Promise.all(Array.from({ length: workers }, () => pool.runInput({ key: warmJob.key, scenario: warmJob.scenario, barrier: { counter, parties: workers } })));
    const warm = await sweepOnce(pool);
    return { cold: (performance.now() - t0) / 1000, warm };
  } finally {
    await pool.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
  });
}

function waitForOutput(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}:\n${out}`)), timeoutMs);
    const feed = (d: Buffer) => { out += d.toString(); if (re.test(out)) { clearTimeout(t); resolve(); } };
    child.stdout?.on("data", feed);
    child.stderr?.on("data", feed);
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(t);
}

/**
 * What the machine gives right now: a fixed pure-JS loop (~0.6 s on a quiet core) on 1 thread, then on 2 threads at
 * once; ratio = 2 × t(1) / t(2). A quiet 2-core machine gives ~2×; when other work saturates the cores it drops
 * towards 1×, and no sweep can do better than this.
 */
async function rawParallelism(): Promise<number> {
  const code = `const { parentPort } = require("node:worker_threads"); let x = 0; for (let i = 0; i < 2e7; i++) x = (x + i * 2654435761) % 1000003; parentPort.postMessage(x);`;
  const once = () => new Promise<void>((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once("message", () => { void w.terminate(); resolve(); });
    w.once("error", reject);
  });
  let t = performance.now();
  await once();
  const t1 = performance.now() - t;
  t = performance.now();
  await Promise.all([once(), once()]);
  const t2 = performance.now() - t;
  return (2 * t1) / t2;
}

console.log(`bench:sweep — ${plan.jobs.length} jobs (smoke, 1 day simulated, seeds 1..10), ${REPS} repetitions, ${availableParallelism()} cores, code ${code.version}${code.dirty ? " (dirty)" : ""}`);
console.log(`load average before: ${load()}   (shared machine: other work competes for the cores; numbers are as measured)`);

console.log(`raw 2-thread throughput of a pure CPU loop right now: ${(await rawParallelism()).toFixed(2)}× (2.0× = two free cores; the ceiling for any speed-up below)`);

// ─── 1 vs 2 local workers ────────────────────────────────────────────────────────────────────────────────────
const rows: { w1: { cold: number; warm: number }; w2: { cold: number; warm: number }; raw: number }[] = [];
for (let rep = 0; rep < REPS; rep++) {
  const raw = await rawParallelism();
  let w1, w2;
  if (rep % 2 === 0) { w1 = await localSweep(1); w2 = await localSweep(2); } else { w2 = await localSweep(2); w1 = await localSweep(1); }
  rows.push({ w1, w2, raw });
  console.log(`  rep ${rep + 1}: 1 worker ${w1.cold.toFixed(2)} s end to end (${w1.warm.toFixed(2)} s warm)   2 workers ${w2.cold.toFixed(2)} s (${w2.warm.toFixed(2)} s warm)   ` +
    `speed-up ${(w1.cold / w2.cold).toFixed(2)}× (${(w1.warm / w2.warm).toFixed(2)}× warm)   [raw CPU ${raw.toFixed(2)}×]`);
}
const cold = stats(rows.map((r) => r.w1.cold / r.w2.cold)), warm = stats(rows.map((r) => r.w1.warm / r.w2.warm));
console.log(`speed-up with 2 workers, end to end (incl. thread start): ${fmt(cold, 2, "×")}`);
console.log(`speed-up with 2 workers, warm threads:                     ${fmt(warm, 2, "×")}   (goal ≥ 1.6× on a quiet machine)`);
console.log(`raw 2-thread CPU throughput just before each repetition:   ${fmt(stats(rows.map((r) => r.raw)), 2, "×")}`);
console.log(`warm speed-up as a share of that raw ceiling (≈ 1.0 = the sweep uses all the parallelism the machine gave): ${fmt(stats(rows.map((r) => (r.w1.warm / r.w2.warm) / r.raw)), 2)}`);

// ─── queue vs local pool, 2 workers each ─────────────────────────────────────────────────────────────────────
let hasRedis = true;
try { execFileSync("sh", ["-c", "command -v redis-server"], { stdio: "ignore" }); } catch { hasRedis = false; }
if (!hasRedis) {
  console.log("queue: SKIPPED — redis-server is not installed (apt-get install redis-server)");
} else {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let redis: ChildProcess | undefined, worker: ChildProcess | undefined;
  try {
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    await waitForOutput(redis, /Ready to accept connections/, 20_000);
    worker = spawn(process.execPath, [join(ROOT, "bin", "popsim.js"), "worker", "--queue", url, "--db", join(dir, "worker.duckdb"), "--concurrency", "2"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    await waitForOutput(worker, /ready on/, 60_000);
    const queueExec = (id: string) => createQueueExecutor({ url, sweepId: id, code, pollMs: 1000 });
    // Warm the worker's two threads (module load, JIT) as a long-lived worker would be: two rounds of two jobs.
    for (let round = 0; round < 2; round++) {
      const q = queueExec(`bench-warm${round}`);
      try { await sweepOnce(q, [warmJob, { ...warmJob, index: 1, key: `${warmJob.key}-b` }]); } finally { await q.close(); }
    }
    const pairs: { local: number; queue: number }[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const runQueue = async () => { const q = queueExec(`bench-q${rep}`); try { return await sweepOnce(q); } finally { await q.close(); } };
      let local: number, queue: number;
      if (rep % 2 === 0) { local = (await localSweep(2)).warm; queue = await runQueue(); } else { queue = await runQueue(); local = (await localSweep(2)).warm; }
      pairs.push({ local, queue });
      console.log(`  rep ${rep + 1}: local pool (2 threads, warm) ${local.toFixed(2)} s   queue (1 worker process × 2 threads, warm) ${queue.toFixed(2)} s   overhead ${((queue / local - 1) * 100).toFixed(1)} %`);
    }
    const over = stats(pairs.map((p) => (p.queue / p.local - 1) * 100));
    console.log(`queue overhead against the local pool (2 workers each): ${fmt(over, 1, " %")}   (goal ≤ 10 %)`);
  } finally {
    await stop(worker);
    await stop(redis);
  }
}
console.log(`raw 2-thread throughput of a pure CPU loop at the end: ${(await rawParallelism()).toFixed(2)}×`);
console.log(`load average after: ${load()}`);
rmSync(dir, { recursive: true, force: true });
