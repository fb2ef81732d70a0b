/**
 * Distributed sweeps through a real Redis (BullMQ), end to end with the real CLI:
 * - a 3 × 10 grid run by two `popsim worker` processes gives the same (params, seed) → trace hash map as the
 *   local pool, and the sweep's database holds exactly one complete row per job (the merge), while each worker
 *   kept its own results file;
 * - a worker SIGKILLed in the middle of a job: the job's lock expires, a second worker's stalled-job check puts
 *   it back on the queue, it is run again (attempts = 2), and the merged results are complete and free of
 *   duplicates, with the same trace hashes as a local run; the killed worker's own file holds that run as
 *   `running`, which its next open marks `abandoned` — never a half result that looks complete.
 * The local reference runs the same planned jobs on the local pool in this (vitest) process, which also checks
 * that the pool's threads load the TypeScript sources under vitest.
 * The test starts its own `redis-server` on 127.0.0.1 at a free port (no persistence) and stops it at the end.
 * It is skipped, with a message, only when `redis-server` is not installed (CI installs it: .ci/run).
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ROOT, popsim, type CliResult } from "./helpers/cli.ts";
import { openStore } from "../sim/store/store.ts";
import { canonicalJson } from "../sim/store/canonicalJson.ts";
import { planSweep, type PlanInput } from "../sim/sweep/plan.ts";
import { createLocalPool } from "../sim/sweep/pool.ts";
import { QUEUE_NAME, type QueueJobData } from "../sim/sweep/queue.ts";
import { Queue } from "bullmq";

const hasRedis = (() => {
  try {
    execFileSync("sh", ["-c", "command -v redis-server"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasRedis) console.warn("test/queue.test.ts: SKIPPED — redis-server is not installed (apt-get install redis-server; .ci/run installs it)");

const dir = mkdtempSync(join(tmpdir(), "popsim-queue-"));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A child process whose stderr/stdout we can wait on. */
class Child {
  readonly proc: ChildProcess;
  out = "";
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  readonly exited: Promise<number | null>;
  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const feed = (d: Buffer) => {
      this.out += d.toString();
      this.waiters = this.waiters.filter((w) => {
        const m = this.out.match(w.re);
        if (m) w.resolve(m);
        return !m;
      });
    };
    this.proc.stdout!.on("data", feed);
    this.proc.stderr!.on("data", feed);
    this.exited = new Promise((r) => this.proc.on("exit", (code) => r(code)));
  }
  waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const m = this.out.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${this.out}`)), timeoutMs);
      this.waiters.push({ re, resolve: (x) => { clearTimeout(t); resolve(x); } });
    });
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

let redis: Child | undefined;
let url = "";
const workers: Child[] = [];
const startWorker = (db: string, extra: string[] = []) => {
  const w = new Child(process.execPath, [BIN, "worker", "--queue", url, "--db", db, "--concurrency", "1", ...extra]);
  workers.push(w);
  return w;
};

interface RunJson { params: Record<string, unknown>; seed: number; status: string; traceHash: string | null; attempts?: number; worker?: string }
interface SweepJson { total: number; ran: number; failed: number; executor: string; runs: RunJson[] }
const parse = (r: CliResult): SweepJson => {
  expect(r.stdout.trim().split("\n"), r.stderr).toHaveLength(1);
  return JSON.parse(r.stdout) as SweepJson;
};
const hashMap = (s: SweepJson) => new Map(s.runs.map((r) => [`${canonicalJson(r.params)}|${r.seed}`, r.traceHash]));

/** The same jobs on the local worker-thread pool, in process: (params, seed) → trace hash. */
async function localHashes(input: PlanInput): Promise<Map<string, string | null>> {
  const plan = planSweep(input);
  const pool = createLocalPool(2);
  try {
    const outs = await Promise.all(plan.jobs.map((j) => pool.run(j)));
    return new Map(plan.jobs.map((j, i) => {
      const o = outs[i].output;
      return [`${canonicalJson(j.params)}|${j.seed}`, o.ok && o.status === "completed" ? o.traceHash : null];
    }));
  } finally {
    await pool.close();
  }
}

async function rowsOf(db: string) {
  const store = await openStore(db, { readOnly: true });
  try {
    return await store.listRuns({ limit: 10_000 });
  } finally {
    await store.close();
  }
}

describe.skipIf(!hasRedis)("sweeps through Redis (BullMQ)", () => {
  beforeAll(async () => {
    const port = await freePort();
    redis = new Child("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    await redis.waitFor(/Ready to accept connections/, 20_000);
    url = `redis://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  }, 30_000);

  it("3 × 10 grid on two queue workers: same trace hashes as the local pool, one merged row per job", async () => {
    const sets = ["duration=10min", "faults.timeline=[]"];
    const grid = ["smoke", "--grid", "network.loss=0.001,0.02,0.05", "--seeds", "1..10", ...sets.flatMap((x) => ["--set", x]), "--json"];
    const w1 = startWorker(join(dir, "worker1.duckdb")), w2 = startWorker(join(dir, "worker2.duckdb"));
    // The local reference runs while the workers start.
    const local = await localHashes({ scenario: "smoke", grid: ["network.loss=0.001,0.02,0.05"], seeds: "1..10", sets });
    await Promise.all([w1.waitFor(/ready on/), w2.waitFor(/ready on/)]);
    const queued = await popsim(["sweep", ...grid, "--queue", url, "--db", join(dir, "queued.duckdb")]);
    expect(queued.code, queued.stderr).toBe(0);
    const q = parse(queued);
    expect(q.executor).toBe("queue");
    expect(q.total).toBe(30);
    expect(q.runs.every((r) => r.status === "completed")).toBe(true);
    expect(hashMap(q)).toEqual(local);
    expect([...local.values()].every((h) => h !== null)).toBe(true);
    // Both workers took part, and each kept its own file.
    expect(new Set(q.runs.map((r) => r.worker)).size).toBe(2);
    const merged = await rowsOf(join(dir, "queued.duckdb"));
    expect(merged).toHaveLength(30);
    expect(new Set(merged.map((r) => `${r.paramsJson}|${r.seed}`)).size).toBe(30);
    expect(merged.every((r) => r.status === "completed")).toBe(true);
    // A job planned by another code version is refused, not run and not retried (its hashes could differ).
    const queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: { url } });
    try {
      const data: QueueJobData = { sweepId: "foreign", index: 0, key: "k", scenario: planSweep({ scenario: "smoke" }).jobs[0].scenario, codeVersion: "0123456789ab", codeDirty: false };
      const job = await queue.add("run", data, { jobId: "foreign-code-1", attempts: 3 });
      let state = await job.getState();
      for (let i = 0; i < 200 && state !== "failed" && state !== "completed"; i++) { await new Promise((r) => setTimeout(r, 100)); state = await job.getState(); }
      const done = (await queue.getJob("foreign-code-1"))!;
      expect(state).toBe("failed");
      expect(done.failedReason).toMatch(/planned with 0123456789ab/);
      expect(done.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
    await Promise.all([w1.stop(), w2.stop()]);
    expect(w1.out).toMatch(/stopped after \d+ job/);
    const own = [...(await rowsOf(join(dir, "worker1.duckdb"))), ...(await rowsOf(join(dir, "worker2.duckdb")))];
    expect(own.filter((r) => r.status === "completed")).toHaveLength(30);
  }, 180_000);

  it("a worker killed mid-job: the job is retried and the merged results are complete and duplicate-free", async () => {
    // Jobs of ~0.5–1 s so the kill lands inside one; a 2 s lock (renewed every 1 s) so the retry comes quickly yet a loaded machine does not lose a live lock.
    const sets = ["duration=2h", "faults.timeline=[]"];
    const jobs = ["smoke", "--grid", "network.loss=0.001,0.01", "--seeds", "1..2", ...sets.flatMap((x) => ["--set", x]), "--json"];
    const killedDb = join(dir, "killed.duckdb");
    const victim = startWorker(killedDb, ["--lock-ms", "2000"]);
    const [local] = await Promise.all([
      localHashes({ scenario: "smoke", grid: ["network.loss=0.001,0.01"], seeds: "1..2", sets }),
      victim.waitFor(/ready on/),
    ]);
    const sweep = popsim(["sweep", ...jobs, "--queue", url, "--db", join(dir, "merged2.duckdb")]);
    const started = await victim.waitFor(/job (\S+) started/);
    victim.proc.kill("SIGKILL");
    await victim.exited;
    expect(victim.out).not.toMatch(/ done: /); // it died inside its first job
    const rescuer = startWorker(join(dir, "rescuer.duckdb"), ["--lock-ms", "2000"]);
    const result = await sweep;
    await rescuer.stop();
    expect(result.code, result.stderr + rescuer.out).toBe(0);
    const s = parse(result);
    expect(s.total).toBe(4);
    expect(s.runs.every((r) => r.status === "completed")).toBe(true);
    expect(hashMap(s)).toEqual(local);
    // Exactly the killed job was started twice, and the rescuer finished it.
    const retried = s.runs.filter((r) => (r.attempts ?? 1) > 1);
    expect(retried).toHaveLength(1);
    expect(retried[0].attempts).toBe(2);
    expect(retried[0].worker).toMatch(new RegExp(`:${rescuer.proc.pid}$`));
    expect(rescuer.out).toContain(`job ${started[1]} started`);
    // The merged database: one complete row per job, nothing running, nothing twice.
    const merged = await rowsOf(join(dir, "merged2.duckdb"));
    expect(merged).toHaveLength(4);
    expect(new Set(merged.map((r) => `${r.paramsJson}|${r.seed}`)).size).toBe(4);
    expect(merged.every((r) => r.status === "completed")).toBe(true);
    // The killed worker's own file: its run was left `running`, and reopening marks it `abandoned`.
    const store = await openStore(killedDb);
    try {
      expect(store.abandonedAtOpen).toHaveLength(1);
      const own = await store.listRuns();
      expect(own.map((r) => r.status)).toEqual(["abandoned"]);
    } finally {
      await store.close();
    }
  }, 180_000);
});
