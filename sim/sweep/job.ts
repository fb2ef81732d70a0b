/**
 * sim/sweep/job.ts — one sweep job, run where the work happens (a pool thread, or a queue worker's thread).
 *
 * Purpose: the unit both executors share. A job carries its resolved, validated scenario (seed included), so the
 * thread that runs it needs no scenario file and re-validates nothing, and a worker on another machine runs
 * exactly what the sweep planned. The result comes back as plain data (structured-clone or JSON safe) and is
 * written to the store by the sweep's main thread — never here (the store admits one writer thread).
 *
 * Method: `runJob` calls the pure runner (`runScenario`, no I/O) and measures wall time (informational only; it
 * decides nothing in the run). An exception from the simulation is caught and returned as `{ ok: false }`: it is
 * deterministic (the same job would throw again), so it is a failed run, not something to retry. A rejection of
 * the pool's promise therefore always means the thread itself died (out of memory, killed): the queue worker
 * retries only those.
 *
 * Test hook: `POPSIM_TEST_THROW_SEEDS=3,7` makes jobs with those seeds throw before running, so tests can check
 * that a throwing job is recorded as failed while the sweep goes on. It is read per job; unset in normal use.
 */
import { runScenario } from "../runner/run.ts";
import type { Scenario } from "../../scenarios/schema.ts";

export interface JobInput {
  /** The job's identity (jobKey of the scenario), echoed back so results can be matched. */
  key: string;
  scenario: Scenario;
  /**
   * Warm-up only (bench:sweep): a counter in shared memory. The job counts itself in and waits (≤ 30 s) until
   * `parties` jobs have arrived; a waiting thread takes no other job, so N such jobs land on N distinct threads
   * and every thread of the pool is loaded and warm. Never set for real jobs.
   */
  barrier?: { counter: Int32Array; parties: number };
}

export interface JobSuccess {
  ok: true;
  key: string;
  status: "completed" | "event-limit" | "stopped";
  reason: string;
  traceHash: string;
  simTimeUs: number;
  events: number;
  wallTimeS: number;
  metrics: { name: string; value: number }[];
  timeseries: { tUs: number[]; name: string[]; value: number[] };
}

export interface JobFailure {
  ok: false;
  key: string;
  /** The exception's stack (or message). */
  error: string;
  wallTimeS: number;
}

export type JobOutput = JobSuccess | JobFailure;

function testThrowSeeds(): Set<number> {
  const raw = process.env.POPSIM_TEST_THROW_SEEDS;
  return new Set((raw ?? "").split(",").filter((s) => s.trim() !== "").map(Number));
}

async function meet(b: { counter: Int32Array; parties: number }): Promise<void> {
  Atomics.add(b.counter, 0, 1);
  Atomics.notify(b.counter, 0);
  const deadline = performance.now() + 30_000;
  for (let seen = Atomics.load(b.counter, 0); seen < b.parties && performance.now() < deadline; seen = Atomics.load(b.counter, 0)) {
    Atomics.wait(b.counter, 0, seen, 100);
  }
}

export async function runJob(input: JobInput): Promise<JobOutput> {
  const started = performance.now();
  const wall = () => (performance.now() - started) / 1000;
  try {
    if (input.barrier !== undefined) await meet(input.barrier);
    if (testThrowSeeds().has(input.scenario.seed)) throw new Error(`POPSIM_TEST_THROW_SEEDS: job with seed ${input.scenario.seed} throws (test hook)`);
    const r = await runScenario({ scenario: input.scenario });
    return {
      ok: true,
      key: input.key,
      status: r.outcome.status,
      reason: r.outcome.reason,
      traceHash: r.outcome.traceHash,
      simTimeUs: r.outcome.time,
      events: r.outcome.events,
      wallTimeS: wall(),
      metrics: r.metrics,
      timeseries: r.timeseries,
    };
  } catch (e) {
    return { ok: false, key: input.key, error: (e as Error)?.stack ?? String(e), wallTimeS: wall() };
  }
}

export default runJob;
