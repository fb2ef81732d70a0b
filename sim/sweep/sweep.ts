/**
 * sim/sweep/sweep.ts — running a planned sweep's jobs on an executor and recording them in the store.
 *
 * Purpose: the part of `popsim sweep` (and `popsim compare`) between a validated plan and the printed summary:
 * skip what is already done, fan the rest out to the executor (local pool or queue), and write each result to
 * the results store from this one thread as it arrives.
 *
 * Method
 * - Resumable: before anything runs, every job is looked up with `store.findCompletedRun` (scenario name,
 *   canonical resolved parameters, seed, code version). A completed match is reused — its row is not touched,
 *   its metrics are read back — and counted as skipped. Runs recorded while the tree was dirty are reused only by
 *   a dirty tree (of the same commit): a clean checkout never trusts them (see the closing note in commands.ts).
 * - Fan-out is `Effect.forEach(jobs, runOne, { concurrency })` (STYLE.md principle 10). `runOne` awaits the
 *   executor; a rejected job (a thread that died, a queue job that failed for good) or a job whose simulation
 *   threw becomes a `failed` run with the error recorded; the sweep goes on. Only a store failure stops it.
 * - A run is written only when its result is in: `beginRun` then `finishRun` back to back (serialised by the
 *   store's queue, so results arriving together never interleave). A sweep killed mid-way therefore leaves only
 *   complete runs, and re-running it picks up exactly the missing ones. Which job finishes first depends on the
 *   number of workers; what each row contains does not (identity, parameters, seed, status, trace hash,
 *   metrics, time series) — only run ids, wall times and timestamps differ.
 * - Interruption: `stop()` (first Ctrl-C) lets jobs in flight finish and be recorded but starts no new one;
 *   `abort` (second Ctrl-C) cancels the jobs in flight too. Jobs never started are reported as `not-run`.
 */
import { randomBytes, createHash } from "node:crypto";
import { Effect, Result } from "effect";
import { StoreError, type Store } from "../store/store.ts";
import { canonicalJson } from "../store/canonicalJson.ts";
import type { CodeVersion } from "../cli/codeVersion.ts";
import type { SweepJob } from "./plan.ts";
import type { Executor, ExecutedJob } from "./pool.ts";
import { SweepProgress } from "./progress.ts";

export type SweepRunStatus = "completed" | "event-limit" | "stopped" | "failed" | "not-run";

export interface SweepRunRecord {
  index: number;
  /** The job's identity (hash of its resolved scenario). */
  key: string;
  /** null when the job was not run (sweep interrupted). */
  runId: string | null;
  params: Record<string, unknown>;
  seed: number;
  status: SweepRunStatus;
  reason: string;
  traceHash: string | null;
  /** True when a completed run with the same identity was found and reused. */
  reused: boolean;
  wallTimeS: number | null;
  /** Summary metrics by name (non-finite values come out as null in JSON). */
  metrics: Record<string, number>;
  error?: string;
  /** Queue only: how many times the job was started (2+ means a retry or a stalled worker). */
  attempts?: number;
  /** Queue only: which worker ran it. */
  worker?: string;
}

export interface SweepOutcome {
  runs: SweepRunRecord[];
  ran: number;
  skipped: number;
  failed: number;
  notRun: number;
  wallTimeS: number;
}

export interface ExecuteOptions {
  jobs: readonly SweepJob[];
  sweepId: string;
  store: Store;
  executor: Executor;
  code: CodeVersion;
  /** Reuse completed runs (default true). */
  resume?: boolean;
  /** Paint a progress bar on stderr (TTY). */
  progress?: boolean;
  progressLabel?: string;
  /** Checked before each job starts: true = start no more jobs. */
  stopped?: () => boolean;
  /** Aborts jobs in flight. */
  signal?: AbortSignal;
}

/** A deterministic id for a sweep: the same jobs on the same code version give the same id (resumes share it). */
export function sweepIdFor(prefix: string, jobs: readonly SweepJob[], code: CodeVersion): string {
  const h = createHash("sha256").update(canonicalJson({ jobs: jobs.map((j) => j.key), code: code.version, dirty: code.dirty })).digest("hex");
  return `${prefix}-${h.slice(0, 10)}`;
}

export function newRunId(scenario: string, seed: number): string {
  // Run ids only name rows; they are not part of a run's identity, so OS entropy is fine here.
  return `${scenario}-s${seed}-${randomBytes(4).toString("hex")}`;
}

const toStoreError = (e: unknown): StoreError =>
  e instanceof StoreError ? e : new StoreError({ path: "?", operation: "finishRun", kind: "io", message: String((e as Error)?.message ?? e), cause: e });

const firstLine = (s: string) => s.split("\n")[0].slice(0, 300);

function metricRecord(metrics: readonly { name: string; value: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics) out[m.name] = m.value;
  return out;
}

/** Writes one finished job (its `runs` row, metrics and time series) and returns its record. */
function record(o: ExecuteOptions, job: SweepJob, res: Result.Result<ExecutedJob, unknown>) {
  return Effect.tryPromise({
    try: async (): Promise<SweepRunRecord> => {
      const runId = newRunId(job.scenarioName, job.seed);
      const base = { index: job.index, key: job.key, runId, params: job.params, seed: job.seed, reused: false };
      await o.store.beginRun({
        runId, scenario: job.scenarioName, params: job.scenario, seed: job.seed,
        codeVersion: o.code.version, codeDirty: o.code.dirty, sweepId: o.sweepId,
      });
      if (Result.isSuccess(res) && res.success.output.ok) {
        const out = res.success.output;
        await o.store.finishRun(runId, {
          status: out.status, reason: out.reason, traceHash: out.traceHash, simTimeUs: out.simTimeUs, events: out.events, wallTimeS: out.wallTimeS,
        }, out.metrics, out.timeseries);
        return {
          ...base, status: out.status, reason: out.reason, traceHash: out.traceHash, wallTimeS: out.wallTimeS,
          metrics: metricRecord(out.metrics), attempts: res.success.attempts, worker: res.success.worker,
        };
      }
      const error = Result.isSuccess(res)
        ? (res.success.output as { error: string }).error
        : String((res.failure as Error)?.stack ?? (res.failure as Error)?.message ?? res.failure);
      const wallTimeS = Result.isSuccess(res) ? res.success.output.wallTimeS : null;
      const reason = Result.isSuccess(res) ? `the simulation threw: ${firstLine(error)}` : `the job failed: ${firstLine(error)}`;
      await o.store.finishRun(runId, { status: "failed", reason, traceHash: null, simTimeUs: 0, events: 0, wallTimeS: wallTimeS ?? 0, error }, []);
      return {
        ...base, status: "failed", reason, traceHash: null, wallTimeS, metrics: {}, error,
        attempts: Result.isSuccess(res) ? res.success.attempts : undefined, worker: Result.isSuccess(res) ? res.success.worker : undefined,
      };
    },
    catch: toStoreError,
  });
}

/** Looks up completed runs with the same identity; returns the reused records by job index. */
function findReusable(o: ExecuteOptions) {
  return Effect.tryPromise({
    try: async () => {
      const found = new Map<number, SweepRunRecord>();
      if (o.resume === false) return found;
      for (const job of o.jobs) {
        const row = await o.store.findCompletedRun({
          scenario: job.scenarioName, params: job.scenario, seed: job.seed, codeVersion: o.code.version, includeDirty: o.code.dirty,
        });
        if (row === undefined) continue;
        const metrics = await o.store.getMetrics(row.runId);
        found.set(job.index, {
          index: job.index, key: job.key, runId: row.runId, params: job.params, seed: job.seed, status: "completed",
          reason: row.reason ?? "", traceHash: row.traceHash, reused: true, wallTimeS: row.wallTimeS, metrics: metricRecord(metrics),
        });
      }
      return found;
    },
    catch: toStoreError,
  });
}

/** Runs (or reuses) every job and records the results. Fails only with a StoreError (or a setup error of the executor). */
export function executeJobs(o: ExecuteOptions): Effect.Effect<SweepOutcome, StoreError | Error> {
  return Effect.flatMap(findReusable(o), (reused) => {
    const pending = o.jobs.filter((j) => !reused.has(j.index));
    const progress = new SweepProgress(o.jobs.length, reused.size, o.progress ?? false, o.progressLabel);
    const records = new Map<number, SweepRunRecord>(reused);
    const runOne = (job: SweepJob) =>
      Effect.suspend(() => {
        if (o.stopped?.() || o.signal?.aborted) return Effect.void;
        return Effect.tryPromise({ try: () => o.executor.run(job, o.signal), catch: (e) => e }).pipe(
          Effect.result,
          Effect.flatMap((res) => (o.signal?.aborted && Result.isFailure(res) ? Effect.succeed(undefined) : record(o, job, res))),
          Effect.tap((rec) => Effect.sync(() => {
            if (rec === undefined) return;
            records.set(job.index, rec);
            progress.tick(rec.status === "completed");
          })),
          Effect.asVoid,
        );
      });
    const prepare = Effect.tryPromise({
      try: async () => { if (pending.length > 0) await o.executor.prepare?.(pending); },
      catch: (e) => (e instanceof Error ? e : new Error(String(e))),
    });
    return prepare.pipe(
      Effect.tap(() => Effect.sync(() => progress.paint(true))),
      Effect.flatMap(() => Effect.forEach(pending, runOne, { concurrency: Math.max(1, o.executor.concurrency), discard: true })),
      Effect.ensuring(Effect.sync(() => progress.end())),
      Effect.map((): SweepOutcome => {
        const runs = o.jobs.map((j): SweepRunRecord => records.get(j.index) ?? {
          index: j.index, key: j.key, runId: null, params: j.params, seed: j.seed, status: "not-run",
          reason: "the sweep was interrupted before this job started", traceHash: null, reused: false, wallTimeS: null, metrics: {},
        });
        const ran = runs.filter((r) => !r.reused && r.status !== "not-run").length;
        return {
          runs,
          ran,
          skipped: reused.size,
          failed: runs.filter((r) => r.status !== "completed" && r.status !== "not-run").length,
          notRun: runs.filter((r) => r.status === "not-run").length,
          wallTimeS: progress.wallSeconds,
        };
      }),
    );
  });
}
