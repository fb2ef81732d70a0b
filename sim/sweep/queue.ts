/**
 * sim/sweep/queue.ts — the distributed executor: sweep jobs on a BullMQ queue in Redis, run by `popsim worker`
 * processes on any number of machines.
 *
 * Purpose: `popsim sweep … --queue redis://HOST:PORT` puts the same jobs a local sweep would run on a queue and
 * waits for them; `popsim worker --queue redis://…` takes jobs, runs them, keeps its own results file, and hands
 * each result back. The sweep writes every result into its own database, so a queued sweep looks exactly like a
 * local one (same rows, same trace hashes: the queue test checks it).
 *
 * Method
 * - A job's data is self-contained: the resolved, validated scenario (seed included), its identity key, the
 *   sweep id and the sweep's code version. A worker needs no scenario file, and refuses (UnrecoverableError: no
 *   retry, the run is recorded as failed with the reason) a job planned by another code version — a different
 *   version could give other trace hashes, and the sweep would record them under its own.
 * - Merge through return values: the worker returns the run's result (status, trace hash, metrics, time series;
 *   non-finite numbers encoded as strings, since BullMQ stores JSON) as the job's return value. The sweep
 *   learns of completions from QueueEvents (with a slow poll of job states as a fallback for missed events),
 *   reads the return value, writes the run to its database, and removes the job from Redis.
 * - Retries: a worker processes a job only while it holds the job's lock, renewed every lockDuration/2 from its
 *   event loop — the simulation itself runs in a worker thread (the local pool), so a long run never starves the
 *   renewal. A worker killed mid-job stops renewing; after `lockDuration` the lock expires and the next
 *   stalled-job check by any live worker (every `stalledInterval`) moves the job back to the wait list, and some
 *   worker runs it again from scratch. Only the holder of the current lock can complete a job, so each job
 *   completes — and is merged — once; the sweep also ignores any second report of a job id. A killed worker
 *   leaves nothing half-written anywhere: the sweep writes only finished results, and the worker's own file
 *   keeps a `running` row that its next open marks `abandoned`. A thread crash (the pool's promise rejects) is
 *   retried up to `attempts` (3) times; a simulation that throws is deterministic, so it completes as a failed
 *   run instead of being retried.
 * - Job ids are `<sweepId>-<nonce>-<index>`: unique per invocation, so a re-run sweep never collides with jobs an
 *   earlier, interrupted invocation left behind.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Queue, QueueEvents, Worker, UnrecoverableError, type Job } from "bullmq";
import { Redis } from "ioredis";
import { Data } from "effect";
import type { Store } from "../store/store.ts";
import type { CodeVersion } from "../cli/codeVersion.ts";
import type { Scenario } from "../../scenarios/schema.ts";
import type { SweepJob } from "./plan.ts";
export { parseQueueUrl } from "./plan.ts";
import { createLocalPool, type Executor, type ExecutedJob } from "./pool.ts";
import type { JobOutput } from "./job.ts";
import { newRunId } from "./sweep.ts";

export const QUEUE_NAME = "popsim-sweep";
/** Attempts per job for infrastructure failures (a thread that died); stalls are counted separately. */
export const JOB_ATTEMPTS = 3;
/** How many times a job may go back to the wait list because its worker vanished before it fails for good. */
export const MAX_STALLED = 3;
export const DEFAULT_LOCK_MS = 30_000;

/** A Redis or queue failure (connection refused, timeout, …). */
export class QueueError extends Data.TaggedError("QueueError")<{ readonly url: string; readonly message: string; readonly cause?: unknown }> {}

export interface QueueJobData {
  sweepId: string;
  index: number;
  key: string;
  scenario: Scenario;
  codeVersion: string;
  codeDirty: boolean;
}

/** A number JSON cannot hold travels as its string ("NaN", "Infinity", "-Infinity"). */
type WireNumber = number | string;
type WireOutput =
  | (Omit<Extract<JobOutput, { ok: true }>, "metrics" | "timeseries"> & {
      metrics: { name: string; value: WireNumber }[];
      timeseries: { tUs: number[]; name: string[]; value: WireNumber[] };
      worker: string;
    })
  | (Extract<JobOutput, { ok: false }> & { worker: string });

const enc = (v: number): WireNumber => (Number.isFinite(v) ? v : String(v));
const dec = (v: WireNumber): number => (typeof v === "number" ? v : Number(v));

export function encodeOutput(out: JobOutput, worker: string): WireOutput {
  if (!out.ok) return { ...out, worker };
  return {
    ...out,
    worker,
    metrics: out.metrics.map((m) => ({ name: m.name, value: enc(m.value) })),
    timeseries: { tUs: out.timeseries.tUs, name: out.timeseries.name, value: out.timeseries.value.map(enc) },
  };
}

export function decodeOutput(w: WireOutput): { output: JobOutput; worker: string } {
  if (!w.ok) {
    const { worker, ...output } = w;
    return { output, worker };
  }
  const { worker, ...rest } = w;
  return {
    worker,
    output: {
      ...rest,
      metrics: rest.metrics.map((m) => ({ name: m.name, value: dec(m.value) })),
      timeseries: { tUs: rest.timeseries.tUs, name: rest.timeseries.name, value: rest.timeseries.value.map(dec) },
    },
  };
}

/** Fails fast (QueueError) when Redis cannot be reached, instead of ioredis's endless reconnecting. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: Error | undefined;
  r.on("error", (e: Error) => { lastError = e; }); // the socket's own error (ECONNREFUSED, …) says more than connect()'s
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw new QueueError({ url, message: `cannot reach Redis at ${url}: ${(lastError ?? (e as Error)).message}`, cause: e });
  } finally {
    r.disconnect();
  }
}

const connectionFor = (url: string) => ({ url, maxRetriesPerRequest: null });

// ─── Sweep side ──────────────────────────────────────────────────────────────────────────────────────────────

export interface QueueExecutorOptions {
  url: string;
  sweepId: string;
  code: CodeVersion;
  /** Fallback poll of job states, in ms (default 2000). */
  pollMs?: number;
  /** Told once when the jobs are queued (for the "start a worker" hint). */
  onQueued?: (count: number) => void;
}

interface Waiter {
  resolve: (r: ExecutedJob) => void;
  reject: (e: unknown) => void;
  promise: Promise<ExecutedJob>;
  settled: boolean;
  /** The job reached a final state in Redis and was read. */
  finished: boolean;
}

export function createQueueExecutor(o: QueueExecutorOptions): Executor {
  const connection = connectionFor(o.url);
  const queue = new Queue<QueueJobData>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const nonce = randomBytes(3).toString("hex");
  const idOf = (job: SweepJob) => `${o.sweepId}-${nonce}-${job.index}`;
  const waiters = new Map<string, Waiter>();
  let poll: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const hooked = new Set<AbortSignal>();
  const checking = new Set<string>();
  const recheck = new Set<string>();

  const waiter = (id: string): Waiter => {
    let w = waiters.get(id);
    if (w === undefined) {
      let resolve!: (r: ExecutedJob) => void, reject!: (e: unknown) => void;
      const promise = new Promise<ExecutedJob>((res, rej) => { resolve = res; reject = rej; });
      promise.catch(() => { /* observed by run() */ });
      w = { resolve, reject, promise, settled: false, finished: false };
      waiters.set(id, w);
    }
    return w;
  };

  /**
   * Reads a finished job once; leaves unfinished ones alone. The state is read before the job: completion sets
   * state and return value atomically, so a job fetched after its state says "completed" has its return value
   * (fetching first could return a copy from before completion, without one). A Redis error leaves the waiter
   * unsettled (the poll looks again); a malformed return value fails that run.
   */
  const check = async (id: string): Promise<void> => {
    const w = waiters.get(id);
    if (w === undefined || w.settled || closed) return;
    if (checking.has(id)) { recheck.add(id); return; } // an event arrived while a check was in flight: look again after it
    checking.add(id);
    try {
      const state = await queue.getJobState(id);
      if (state !== "completed" && state !== "failed") return;
      const job: Job<QueueJobData> | undefined = await queue.getJob(id);
      if (job === undefined || w.settled) return;
      if (state === "completed") {
        let decoded: ReturnType<typeof decodeOutput>;
        try {
          decoded = decodeOutput(job.returnvalue as WireOutput);
        } catch (e) {
          w.settled = w.finished = true;
          w.reject(new Error(`queue job ${id} completed with an unreadable result: ${(e as Error).message}`));
          return;
        }
        w.settled = w.finished = true;
        w.resolve({ output: decoded.output, worker: decoded.worker, attempts: job.attemptsStarted });
        await job.remove().catch(() => { /* already removed: fine */ });
      } else {
        w.settled = w.finished = true;
        w.reject(new Error(`queue job ${id} failed after ${job.attemptsStarted} attempt(s): ${job.failedReason}`));
      }
    } finally {
      checking.delete(id);
      if (recheck.delete(id)) checkQuietly(id);
    }
  };
  const checkQuietly = (id: string) => { check(id).catch(() => { /* the poll will look again */ }); };

  events.on("completed", ({ jobId }) => checkQuietly(jobId));
  events.on("failed", ({ jobId }) => checkQuietly(jobId));

  return {
    kind: "queue",
    // Every queued job is awaited at once: the workers decide how many run.
    concurrency: 100_000,
    description: `the queue ${QUEUE_NAME} at ${o.url}`,
    async prepare(jobs) {
      await events.waitUntilReady();
      for (const j of jobs) waiter(idOf(j));
      for (let i = 0; i < jobs.length; i += 500) {
        await queue.addBulk(jobs.slice(i, i + 500).map((j) => ({
          name: "run",
          data: { sweepId: o.sweepId, index: j.index, key: j.key, scenario: j.scenario, codeVersion: o.code.version, codeDirty: o.code.dirty },
          opts: {
            jobId: idOf(j),
            attempts: JOB_ATTEMPTS,
            backoff: { type: "fixed", delay: 1000 },
            // The sweep removes each job once merged; these only bound what an abandoned sweep leaves in Redis.
            removeOnComplete: { age: 7 * 24 * 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })));
      }
      o.onQueued?.(jobs.length);
      const pollMs = o.pollMs ?? 2000;
      poll = setInterval(() => {
        let n = 0;
        for (const [id, w] of waiters) {
          if (w.settled) continue;
          checkQuietly(id);
          if (++n >= 200) break; // a limit per tick; events do the real work
        }
      }, pollMs);
    },
    run(job, signal) {
      const w = waiter(idOf(job));
      if (signal !== undefined && !hooked.has(signal)) {
        // One listener for every job (not one per job): aborting rejects all that are still waiting.
        hooked.add(signal);
        const onAbort = () => { for (const x of waiters.values()) if (!x.settled) { x.settled = true; x.reject(new Error("aborted")); } };
        if (signal.aborted) onAbort(); else signal.addEventListener("abort", onAbort, { once: true });
      }
      return w.promise;
    },
    async close() {
      closed = true;
      if (poll !== undefined) clearInterval(poll);
      // Jobs this sweep will no longer wait for: remove those not yet taken (a taken one finishes and expires).
      const left = [...waiters].filter(([, w]) => !w.finished).map(([id]) => id);
      for (const id of left) {
        try {
          const job = await queue.getJob(id);
          if (job && (await job.getState()) !== "active") await job.remove();
        } catch { /* best effort */ }
      }
      await events.close().catch(() => {});
      await queue.close().catch(() => {});
    },
  };
}

// ─── Worker side ─────────────────────────────────────────────────────────────────────────────────────────────

export interface QueueWorkerOptions {
  url: string;
  /** This worker's own results file (opened by the caller; written from this thread only). */
  store: Store;
  code: CodeVersion;
  /** Jobs run at once (= simulation threads). */
  concurrency: number;
  /** BullMQ lock duration and stalled-check interval, ms. */
  lockMs?: number;
  /** One line per job event (stderr). */
  log?: (line: string) => void;
}

export interface RunningWorker {
  readonly name: string;
  /** Resolves when the worker has stopped (after `stop`). */
  stop(force?: boolean): Promise<void>;
  /** Jobs completed so far. */
  readonly completed: number;
}

/** Starts a queue worker; it runs until `stop()`. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<RunningWorker> {
  const name = `${hostname()}:${process.pid}`;
  const log = o.log ?? (() => {});
  const pool = createLocalPool(o.concurrency);
  await pool.prepare?.([]); // start the threads now: a worker is long-lived, its first job should not pay for them
  const lockMs = o.lockMs ?? DEFAULT_LOCK_MS;
  let completed = 0;

  const processor = async (job: Job<QueueJobData>): Promise<WireOutput> => {
    const d = job.data;
    if (d.codeVersion !== o.code.version || d.codeDirty !== o.code.dirty) {
      const mine = `${o.code.version}${o.code.dirty ? " (dirty)" : ""}`, theirs = `${d.codeVersion}${d.codeDirty ? " (dirty)" : ""}`;
      log(`job ${job.id} refused: planned by code ${theirs}, this worker runs ${mine}`);
      throw new UnrecoverableError(`worker ${name} runs code ${mine} but the sweep was planned with ${theirs}; run workers from the same checkout`);
    }
    const runId = newRunId(d.scenario.name, d.scenario.seed);
    await o.store.beginRun({ runId, scenario: d.scenario.name, params: d.scenario, seed: d.scenario.seed, codeVersion: o.code.version, codeDirty: o.code.dirty, sweepId: d.sweepId });
    log(`job ${job.id} started (run ${runId}, seed ${d.scenario.seed}, attempt ${job.attemptsStarted})`);
    let output: JobOutput;
    try {
      output = await pool.runInput({ key: d.key, scenario: d.scenario });
    } catch (e) {
      await o.store.markRun(runId, "failed", `worker thread failed: ${(e as Error).message}`, (e as Error).stack ?? null).catch(() => false);
      log(`job ${job.id} thread failed (${(e as Error).message}); BullMQ will retry it`);
      throw e;
    }
    if (output.ok) {
      await o.store.finishRun(runId, { status: output.status, reason: output.reason, traceHash: output.traceHash, simTimeUs: output.simTimeUs, events: output.events, wallTimeS: output.wallTimeS }, output.metrics, output.timeseries);
    } else {
      await o.store.finishRun(runId, { status: "failed", reason: "the simulation threw", traceHash: null, simTimeUs: 0, events: 0, wallTimeS: output.wallTimeS, error: output.error }, []);
    }
    completed++;
    log(`job ${job.id} done: ${output.ok ? `${output.status} ${output.traceHash}` : "failed (the simulation threw)"} in ${output.wallTimeS.toFixed(2)} s`);
    return encodeOutput(output, name);
  };

  const worker = new Worker<QueueJobData, WireOutput>(QUEUE_NAME, processor, {
    connection: connectionFor(o.url),
    concurrency: o.concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: MAX_STALLED,
    name,
    autorun: false,
  });
  worker.on("error", (e) => log(`queue error: ${e.message}`));
  worker.run().catch((e: unknown) => log(`queue worker stopped with an error: ${(e as Error).message}`));
  await worker.waitUntilReady();
  return {
    name,
    get completed() { return completed; },
    async stop(force = false) {
      await worker.close(force);
      await pool.close();
    },
  };
}
