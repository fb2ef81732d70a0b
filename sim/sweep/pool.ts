/**
 * sim/sweep/pool.ts — the executors a sweep hands its jobs to: the local worker-thread pool (this file) and the
 * BullMQ queue (queue.ts) share the `Executor` interface, so the sweep itself does not know where jobs run.
 *
 * Method (local pool): tinypool with `workers` threads, all started up front (min = max), each loading
 * poolEntry.mjs once and then running job after job (`isolateWorkers: false`: the runner keeps no state between
 * runs — the 1-vs-2-worker test checks that trace hashes do not depend on which thread ran what). Jobs are
 * queued inside tinypool; the sweep keeps at most `concurrency` in flight, so nothing queues unboundedly.
 * A thread that dies rejects its job's promise; the sweep records that run as failed and goes on.
 */
import { availableParallelism } from "node:os";
import Tinypool from "tinypool";
import type { SweepJob } from "./plan.ts";
import type { JobInput, JobOutput } from "./job.ts";

export interface ExecutedJob {
  output: JobOutput;
  /** How many times the job was started (queue only: > 1 after a retry or a stalled worker). */
  attempts?: number;
  /** Who ran it (queue only: the worker's name, host and pid). */
  worker?: string;
}

export interface Executor {
  readonly kind: "local" | "queue";
  /** How many jobs the sweep keeps in flight. */
  readonly concurrency: number;
  /** A short description for messages (e.g. "2 local worker threads"). */
  readonly description: string;
  /** Called once with every job that will run, before any `run` (the queue enqueues them in bulk). */
  prepare?(jobs: readonly SweepJob[]): Promise<void>;
  run(job: SweepJob, signal?: AbortSignal): Promise<ExecutedJob>;
  close(): Promise<void>;
}

export const defaultWorkers = (): number => Math.max(1, availableParallelism());

export function jobInput(job: SweepJob): JobInput {
  return { key: job.key, scenario: job.scenario };
}

export interface LocalPool extends Executor {
  /** Runs one job input on a pool thread (the queue worker's entry point). */
  runInput(input: JobInput, signal?: AbortSignal): Promise<JobOutput>;
}

/** The local worker-thread pool. */
export function createLocalPool(workers: number = defaultWorkers()): LocalPool {
  if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError(`workers must be a positive integer, got ${workers}`);
  // Threads start on first use (a fully resumed sweep starts none), all at once (min = max).
  let pool: Tinypool | undefined;
  const get = () => (pool ??= new Tinypool({
    filename: new URL("./poolEntry.mjs", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    isolateWorkers: false,
    // Do not inherit the parent's loader flags (tsx, vitest): poolEntry.mjs registers what the thread needs.
    execArgv: [],
  }));
  return {
    kind: "local",
    concurrency: workers,
    description: `${workers} local worker thread${workers === 1 ? "" : "s"}`,
    async prepare() {
      get();
    },
    async runInput(input, signal) {
      return (await get().run(input, signal ? { signal } : {})) as JobOutput;
    },
    async run(job, signal) {
      return { output: await this.runInput(jobInput(job), signal) };
    },
    close: async () => { await pool?.destroy(); },
  };
}
