/**
 * sim/sweep/commands.ts — `popsim sweep`, `popsim worker` and `popsim compare`: the plain async functions and
 * their Effect CLI `Command`s (sim/cli/main.ts lists them among its subcommands).
 *
 * Rules these commands keep (as `popsim run` does, sim/cli/commands.ts):
 * - Validation first: every flag and every job (each grid/sampled point through the same `--set` path and schema)
 *   is checked before the database is opened or anything is written; bad input exits 2 naming the flag, the
 *   path, the value given and what was expected.
 * - `--json`: exactly one JSON object on stdout; progress and human output on stderr.
 * - Exit codes: 0 every run completed; 1 a run failed (or ended on a limit), or Redis/the store failed;
 *   2 bad input; 130 interrupted (runs already recorded stay; the rest run on the next invocation).
 *   `compare` exits 0 when its report is written even if a guardrail fails (the verdict is in the report and
 *   in `guardrailsPass`), and 1 if runs failed.
 *
 * Resuming with a dirty tree: a run's identity includes the code version, and the store records whether the
 * tree had uncommitted changes. A clean checkout never reuses runs recorded from a dirty tree; a dirty tree
 * reuses dirty runs of the same commit (it cannot tell two sets of uncommitted changes apart), and says so.
 * `--fresh` runs everything again.
 */
import { resolve } from "node:path";
import { Effect, Option } from "effect";
import { Argument, Command, Flag } from "effect/cli";
import { openStore, StoreError, type Store } from "../store/store.ts";
import { CliFailure, DEFAULT_DB, EXIT, reproduceLine } from "../cli/commands.ts";
import { codeVersion, type CodeVersion } from "../cli/codeVersion.ts";
import { parseQueueUrl, planSweep, PlanError, type Dimension, type SweepJob, type SweepPlan } from "./plan.ts";
import { createLocalPool, defaultWorkers, type Executor } from "./pool.ts";
// bullmq/ioredis and the chart renderer load only when a command needs them (start-up time of every popsim command).
import type * as QueueModule from "./queue.ts";
import type * as HtmlModule from "./compareHtml.ts";
import { executeJobs, sweepIdFor, type SweepOutcome, type SweepRunRecord } from "./sweep.ts";
import { checkGuardrails, comparePaired, CONFIDENCE, mergeGuardrails, paramDiff, type MetricComparison } from "./compare.ts";
import type { CompareReport, CompareRunRef } from "./compareHtml.ts";
import { guard } from "../cli/guard.ts";

const queueModule = (): Promise<typeof QueueModule> => import("./queue.ts");
const htmlModule = (): Promise<typeof HtmlModule> => import("./compareHtml.ts");
/** Mirrors queue.ts DEFAULT_LOCK_MS (kept here so the CLI help does not load bullmq). */
const DEFAULT_LOCK_MS = 30_000;

export const DEFAULT_WORKER_DB = "popsim-worker.duckdb";
export const DEFAULT_COMPARE_SEEDS = "1..10";

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const cmdLine = (parts: readonly string[]) => parts.map(shellQuote).join(" ");

const badInput = (e: unknown): never => {
  if (e instanceof PlanError) throw new CliFailure(`popsim: invalid input, nothing was written.\n${e.message}`, EXIT.badInput);
  throw e;
};

function checkCount(flag: string, n: number | undefined): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 1 || n > 1024)) throw new PlanError(`${flag}: got ${n}; expected an integer from 1 to 1024`);
}

async function open(db: string): Promise<Store> {
  try {
    return await openStore(resolve(db));
  } catch (e) {
    throw new CliFailure(`popsim: ${(e as Error).message}`, EXIT.failed);
  }
}

async function reachRedis(url: string): Promise<void> {
  const { checkRedis, QueueError } = await queueModule();
  try {
    await checkRedis(url);
  } catch (e) {
    if (e instanceof QueueError) throw new CliFailure(`popsim: ${e.message}; nothing was written`, EXIT.failed);
    throw e;
  }
}

/** Ctrl-C once: start no new job, finish and record those in flight; twice: abandon those too. */
function interruptHandling(say: (line: string) => void) {
  const controller = new AbortController();
  let stops = 0;
  const onSignal = () => {
    stops++;
    if (stops === 1) say("\npopsim: stopping — no new runs start; runs in progress finish and are recorded (Ctrl-C again to abandon them)");
    else controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    stopped: () => stops > 0,
    signal: controller.signal,
    dispose: () => { process.off("SIGINT", onSignal); process.off("SIGTERM", onSignal); },
  };
}

interface RunJobsOptions {
  jobs: readonly SweepJob[];
  id: string;
  db: string;
  code: CodeVersion;
  workers?: number;
  queue?: string;
  resume: boolean;
  label: string;
  say: (line: string) => void;
}

/** Opens the store and an executor, runs the jobs, closes both. */
async function runJobs(o: RunJobsOptions): Promise<{ outcome: SweepOutcome; executor: string; interrupted: boolean; db: string }> {
  if (o.queue !== undefined) await reachRedis(o.queue);
  const db = resolve(o.db);
  const store = await open(db);
  const workers = o.workers ?? defaultWorkers();
  let executor: Executor | undefined;
  const interrupt = interruptHandling(o.say);
  try {
    executor = o.queue !== undefined
      ? (await queueModule()).createQueueExecutor({
          url: o.queue, sweepId: o.id, code: o.code,
          onQueued: (n) => o.say(`popsim: ${n} job(s) queued on ${o.queue}; waiting for workers (start some with: npx popsim worker --queue ${o.queue})`),
        })
      : createLocalPool(workers);
    if (o.code.dirty && o.resume) o.say(`popsim: note — the code tree is dirty (${o.code.version}); completed runs recorded from this commit with uncommitted changes are reused (--fresh to run everything)`);
    const outcome = await Effect.runPromise(executeJobs({
      jobs: o.jobs, sweepId: o.id, store, executor, code: o.code, resume: o.resume,
      progress: process.stderr.isTTY === true, progressLabel: o.label, stopped: interrupt.stopped, signal: interrupt.signal,
    }));
    return { outcome, executor: executor.description, interrupted: interrupt.stopped(), db };
  } catch (e) {
    if (e instanceof StoreError) throw new CliFailure(`popsim: ${e.message}`, EXIT.failed);
    if (o.queue !== undefined && e instanceof Error) throw new CliFailure(`popsim: the queue at ${o.queue} failed: ${e.message}`, EXIT.failed);
    throw e;
  } finally {
    interrupt.dispose();
    // Bounded: closing the queue talks to Redis, which may be the thing that failed.
    await Promise.race([executor?.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())]);
    await store.close();
  }
}

// ─── sweep ───────────────────────────────────────────────────────────────────────────────────────────────────

export interface SweepCommandOptions {
  scenario: string;
  sets: readonly string[];
  grid: readonly string[];
  range: readonly string[];
  sample?: number;
  lhs: boolean;
  sampleSeed?: number;
  seeds?: string;
  workers?: number;
  db: string;
  json: boolean;
  queue?: string;
  /** Run everything again instead of reusing completed runs. */
  fresh?: boolean;
}

export interface SweepRunJson {
  runId: string | null;
  params: Record<string, unknown>;
  seed: number;
  status: string;
  reason: string;
  traceHash: string | null;
  reused: boolean;
  wallTimeS: number | null;
  metrics: Record<string, number>;
  key: string;
  error?: string;
  attempts?: number;
  worker?: string;
}

export interface SweepSummary {
  sweepId: string;
  scenario: string;
  source: string;
  codeVersion: string;
  codeDirty: boolean;
  db: string;
  executor: "local" | "queue";
  workers: number | null;
  queue: string | null;
  dimensions: Dimension[];
  sampling: SweepPlan["sampling"];
  seeds: number[];
  sets: string[];
  total: number;
  ran: number;
  skipped: number;
  failed: number;
  notRun: number;
  duplicatesMerged: number;
  wallTimeS: number;
  reproduce: string;
  runs: SweepRunJson[];
}

function sweepReproduce(o: SweepCommandOptions): string {
  const parts = ["npx", "popsim", "sweep", o.scenario];
  for (const g of o.grid) parts.push("--grid", g);
  if (o.sample !== undefined) parts.push("--sample", String(o.sample));
  for (const r of o.range) parts.push("--range", r);
  if (o.lhs) parts.push("--lhs");
  if (o.sample !== undefined && o.sampleSeed !== undefined && o.sampleSeed !== 1) parts.push("--sample-seed", String(o.sampleSeed));
  if (o.seeds !== undefined) parts.push("--seeds", o.seeds);
  for (const s of o.sets) parts.push("--set", s);
  return cmdLine(parts);
}

const runJson = (r: SweepRunRecord): SweepRunJson => ({
  runId: r.runId, params: r.params, seed: r.seed, status: r.status, reason: r.reason, traceHash: r.traceHash, reused: r.reused,
  wallTimeS: r.wallTimeS, metrics: r.metrics, key: r.key,
  ...(r.error !== undefined ? { error: r.error } : {}), ...(r.attempts !== undefined ? { attempts: r.attempts } : {}), ...(r.worker !== undefined ? { worker: r.worker } : {}),
});

/** `popsim sweep`: plan and validate, run (or reuse) every job, record, summarise. */
export async function sweepCommand(o: SweepCommandOptions): Promise<SweepSummary> {
  const say = (line: string) => process.stderr.write(line + "\n");
  let plan: SweepPlan;
  let queue: string | undefined;
  try {
    checkCount("--workers", o.workers);
    queue = o.queue === undefined ? undefined : parseQueueUrl(o.queue);
    plan = planSweep({ scenario: o.scenario, sets: o.sets, grid: o.grid, range: o.range, sample: o.sample, lhs: o.lhs, sampleSeed: o.sampleSeed, seeds: o.seeds });
  } catch (e) {
    return badInput(e);
  }
  const code = codeVersion();
  const sweepId = sweepIdFor(`${plan.scenarioName}-sweep`, plan.jobs, code);
  const workers = o.workers ?? defaultWorkers();
  if (!o.json) {
    say(`popsim: sweep ${sweepId} — ${plan.jobs.length} job(s): ${plan.points.length} point(s) × ${plan.seeds.length} seed(s) of ${plan.scenarioName}` +
      `${plan.duplicates ? ` (${plan.duplicates} duplicate job(s) merged)` : ""}, on ${queue ?? `${workers} local worker thread(s)`}, code ${code.version}${code.dirty ? " (dirty)" : ""}`);
  }
  const { outcome, interrupted, db } = await runJobs({
    jobs: plan.jobs, id: sweepId, db: o.db, code, workers, queue, resume: !(o.fresh ?? false), label: "sweep", say,
  });
  const summary: SweepSummary = {
    sweepId, scenario: plan.scenarioName, source: o.scenario, codeVersion: code.version, codeDirty: code.dirty, db,
    executor: queue ? "queue" : "local", workers: queue ? null : workers, queue: queue ?? null,
    dimensions: plan.dimensions, sampling: plan.sampling, seeds: plan.seeds, sets: plan.baseSets,
    total: plan.jobs.length, ran: outcome.ran, skipped: outcome.skipped, failed: outcome.failed, notRun: outcome.notRun,
    duplicatesMerged: plan.duplicates, wallTimeS: outcome.wallTimeS, reproduce: sweepReproduce(o), runs: outcome.runs.map(runJson),
  };
  if (o.json) process.stdout.write(JSON.stringify(summary) + "\n");
  else say(describeSweep(summary));
  if (interrupted && outcome.notRun > 0) throw new CliFailure(`popsim: sweep ${sweepId} interrupted: ${outcome.notRun} job(s) not run; run the same command again to finish it\nreproduce: ${summary.reproduce}`, EXIT.interrupted);
  if (outcome.failed > 0) {
    const first = outcome.runs.find((r) => r.status !== "completed" && r.status !== "not-run")!;
    throw new CliFailure(`popsim: sweep ${sweepId}: ${outcome.failed} run(s) did not complete (first: seed ${first.seed} ${JSON.stringify(first.params)}: ${first.status} — ${first.reason})\n` +
      `reproduce: ${reproduceLine(o.scenario, first.seed, plan.jobs[first.index].sets)}`, EXIT.failed);
  }
  return summary;
}

export function describeSweep(s: SweepSummary): string {
  const lines = [
    `popsim: sweep ${s.sweepId} done in ${s.wallTimeS.toFixed(1)} s — ${s.total} job(s): ${s.ran} ran, ${s.skipped} skipped (already complete), ${s.failed} failed${s.notRun ? `, ${s.notRun} not run` : ""}`,
  ];
  const shown = s.runs.slice(0, 40);
  const label = (r: SweepRunJson) => Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ") || "(base)";
  const w = Math.min(60, Math.max(8, ...shown.map((r) => label(r).length)));
  lines.push(`  ${"params".padEnd(w)}  ${"seed".padStart(6)}  ${"status".padEnd(11)}  trace hash`);
  for (const r of shown) lines.push(`  ${label(r).slice(0, w).padEnd(w)}  ${String(r.seed).padStart(6)}  ${r.status.padEnd(11)}  ${r.traceHash ?? "—"}${r.reused ? "  (reused)" : ""}`);
  if (s.runs.length > shown.length) lines.push(`  … ${s.runs.length - shown.length} more (--json for all)`);
  lines.push(`  results in ${s.db} (runs of this sweep: sweep_id = '${s.sweepId}')`);
  return lines.join("\n");
}

// ─── worker ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface WorkerCommandOptions {
  queue: string;
  db: string;
  concurrency?: number;
  lockMs?: number;
}

/** `popsim worker`: take sweep jobs from the queue until SIGINT/SIGTERM. */
export async function workerCommand(o: WorkerCommandOptions): Promise<void> {
  const say = (line: string) => process.stderr.write(line + "\n");
  let url: string;
  try {
    checkCount("--concurrency", o.concurrency);
    if (o.lockMs !== undefined && (!Number.isSafeInteger(o.lockMs) || o.lockMs < 500)) throw new PlanError(`--lock-ms: got ${o.lockMs}; expected an integer ≥ 500 (milliseconds)`);
    url = parseQueueUrl(o.queue);
  } catch (e) {
    return badInput(e);
  }
  await reachRedis(url);
  const db = resolve(o.db);
  const store = await open(db);
  const code = codeVersion();
  const concurrency = o.concurrency ?? defaultWorkers();
  const { startQueueWorker } = await queueModule();
  const worker = await startQueueWorker({ url, store, code, concurrency, lockMs: o.lockMs, log: (l) => say(`popsim worker: ${l}`) });
  say(`popsim worker ${worker.name}: ready on ${url} — ${concurrency} thread(s), code ${code.version}${code.dirty ? " (dirty)" : ""}, own results in ${db}; Ctrl-C to stop`);
  await new Promise<void>((done) => {
    let stops = 0;
    const onSignal = () => {
      stops++;
      if (stops === 1) {
        say(`popsim worker ${worker.name}: stopping after the jobs in progress (Ctrl-C again to abandon them: they go back to the queue)`);
        worker.stop(false).then(done, done);
      } else {
        worker.stop(true).then(done, done);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await store.close();
  say(`popsim worker ${worker.name}: stopped after ${worker.completed} job(s)`);
}

// ─── compare ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface CompareCommandOptions {
  baseline: string;
  proposal?: string;
  sets: readonly string[];
  seeds?: string;
  workers?: number;
  db: string;
  json: boolean;
  out?: string;
  queue?: string;
  fresh?: boolean;
}

export interface CompareSummary extends Omit<CompareReport, "perSeed"> {
  db: string;
  html: string;
  ran: number;
  skipped: number;
  failed: number;
  wallTimeS: number;
}

export const COMPARE_METHOD: Record<string, string> = {
  pairing: "baseline and proposal run with the same seeds; each seed is one pair; a pair counts for a metric when both runs completed and both values are finite",
  interval: `${CONFIDENCE * 100} % confidence interval of the mean paired difference (proposal − baseline): mean ± t(0.975, n − 1) · sd / √n, Student t on the paired differences`,
  effectSize: "Cohen's d_z = mean difference / sd of the differences; when that sd is 0: d_z = 0 if every difference is 0, otherwise null (infinite: every seed moved by exactly the same amount) with a note",
  moved: "a metric moved when the interval excludes 0",
  guardrails: "judged on the proposal's runs, conservatively: pass only if the one-sample 95 % interval of the proposal's mean satisfies the bound at its unfavourable end (upper end for <= and <, lower end for >= and >); fewer than 2 values or a missing metric is a fail; the baseline's result is given for context",
};

/** `popsim compare`: paired runs of baseline and proposal, statistics, guardrails, JSON and HTML. */
export async function compareCommand(o: CompareCommandOptions): Promise<CompareSummary> {
  const say = (line: string) => process.stderr.write(line + "\n");
  const seedsText = o.seeds ?? DEFAULT_COMPARE_SEEDS;
  let base: SweepPlan, prop: SweepPlan, queue: string | undefined;
  try {
    checkCount("--workers", o.workers);
    queue = o.queue === undefined ? undefined : parseQueueUrl(o.queue);
    const side = (name: string, f: () => SweepPlan) => {
      try { return f(); } catch (e) { if (e instanceof PlanError) throw new PlanError(`${name}: ${e.message}`); throw e; }
    };
    base = side("baseline", () => planSweep({ scenario: o.baseline, seeds: seedsText }));
    prop = side("proposal", () => planSweep({ scenario: o.proposal ?? o.baseline, sets: o.sets, seeds: seedsText }));
  } catch (e) {
    return badInput(e);
  }
  const code = codeVersion();
  const compareId = sweepIdFor("compare", [...base.jobs, ...prop.jobs], code);
  // One job per identity: an unchanged proposal shares its runs with the baseline.
  const unique = new Map<string, SweepJob>();
  for (const j of [...base.jobs, ...prop.jobs]) if (!unique.has(j.key)) unique.set(j.key, { ...j, index: unique.size });
  if (!o.json) say(`popsim: compare ${compareId} — ${base.scenarioName} vs ${prop.scenarioName}${o.sets.length ? ` (${o.sets.join(" ")})` : ""}, ${base.seeds.length} seed(s), ${unique.size} distinct run(s), code ${code.version}${code.dirty ? " (dirty)" : ""}`);
  const { outcome, interrupted, db } = await runJobs({
    jobs: [...unique.values()], id: compareId, db: o.db, code, workers: o.workers, queue, resume: !(o.fresh ?? false), label: "compare", say,
  });
  if (interrupted && outcome.notRun > 0) throw new CliFailure(`popsim: compare ${compareId} interrupted: ${outcome.notRun} run(s) not run; nothing was reported. Run the same command again to finish it.`, EXIT.interrupted);

  const byKey = new Map(outcome.runs.map((r) => [r.key, r]));
  const sideRuns = (plan: SweepPlan) => plan.jobs.map((j) => byKey.get(j.key)!);
  const bRuns = sideRuns(base), pRuns = sideRuns(prop);
  const valueOf = (r: SweepRunRecord, name: string) => (r.status === "completed" ? r.metrics[name] : undefined);
  const names = [...new Set([...bRuns, ...pRuns].filter((r) => r.status === "completed").flatMap((r) => Object.keys(r.metrics)))].sort();
  const metrics: MetricComparison[] = names.map((n) => comparePaired(n, bRuns.map((r) => valueOf(r, n)), pRuns.map((r) => valueOf(r, n))));
  const perSeed: Record<string, (number | null)[]> = {};
  for (const n of names) {
    perSeed[n] = bRuns.map((b, i) => {
      const x = valueOf(b, n), y = valueOf(pRuns[i], n);
      return x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y) ? y - x : null;
    });
  }
  const bScenario = base.jobs[0].scenario, pScenario = prop.jobs[0].scenario;
  const guardrails = checkGuardrails(mergeGuardrails(bScenario.guardrails, pScenario.guardrails), (side, metric) =>
    (side === "baseline" ? bRuns : pRuns).map((r) => valueOf(r, metric)));
  const diff = paramDiff(bScenario, pScenario);
  const ref = (r: SweepRunRecord): CompareRunRef => ({ seed: r.seed, runId: r.runId, status: r.status, traceHash: r.traceHash, reused: r.reused });
  const compareParts = ["npx", "popsim", "compare", o.baseline, ...(o.proposal !== undefined ? [o.proposal] : []), ...o.sets.flatMap((s) => ["--set", s]), "--seeds", seedsText];
  const report: CompareReport = {
    compareId, codeVersion: code.version, codeDirty: code.dirty, seeds: base.seeds,
    pairs: bRuns.filter((b, i) => b.status === "completed" && pRuns[i].status === "completed").length,
    baseline: { source: o.baseline, scenario: base.scenarioName, sets: [], runs: bRuns.map(ref) },
    proposal: { source: o.proposal ?? o.baseline, scenario: prop.scenarioName, sets: [...o.sets], runs: pRuns.map(ref) },
    identical: diff.length === 0,
    paramDiff: diff,
    metrics,
    moved: metrics.filter((m) => m.moved).map((m) => m.name),
    guardrails,
    guardrailsPass: guardrails.every((g) => g.status === "pass"),
    method: COMPARE_METHOD,
    reproduce: {
      compare: cmdLine(compareParts),
      baselineRuns: base.seeds.map((s) => reproduceLine(o.baseline, s, [])),
      proposalRuns: prop.seeds.map((s) => reproduceLine(o.proposal ?? o.baseline, s, o.sets)),
    },
    perSeed,
  };
  const outDir = resolve(o.out ?? `reports-out/${compareId}`);
  const { perSeed: _omit, ...jsonReport } = report;
  const summaryBase = { ...jsonReport, db, ran: outcome.ran, skipped: outcome.skipped, failed: outcome.failed, wallTimeS: outcome.wallTimeS };
  const html = resolve(outDir, "index.html");
  const summary: CompareSummary = { ...summaryBase, html };
  const { writeCompareReport } = await htmlModule();
  await writeCompareReport(outDir, report, JSON.stringify(summary, null, 2) + "\n", (m) => say(m));
  if (o.json) process.stdout.write(JSON.stringify(summary) + "\n");
  else say(describeCompare(summary));
  if (outcome.failed > 0) throw new CliFailure(`popsim: compare ${compareId}: ${outcome.failed} run(s) did not complete; they are left out of the statistics (see ${html})`, EXIT.failed);
  return summary;
}

export function describeCompare(s: CompareSummary): string {
  const f = (v: number | null) => (v === null ? "—" : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(4)));
  const lines = [`popsim: compare ${s.compareId} — ${s.pairs} complete pair(s) over seeds ${s.seeds.length <= 12 ? s.seeds.join(",") : `${s.seeds[0]}…${s.seeds[s.seeds.length - 1]}`} (${s.ran} ran, ${s.skipped} reused)`];
  lines.push(s.paramDiff.length === 0 ? "  parameters: identical to the baseline" : "  parameters changed:");
  for (const d of s.paramDiff.slice(0, 20)) lines.push(`    ${d.path}: ${JSON.stringify(d.baseline)} → ${JSON.stringify(d.proposal)}`);
  if (s.guardrails.length === 0) lines.push("  guardrails: none declared");
  for (const g of s.guardrails) lines.push(`  guardrail ${g.status.toUpperCase()}: ${g.metric} ${g.op} ${g.value} — ${g.proposal.reason}`);
  const moved = s.metrics.filter((m) => m.moved);
  lines.push(`  ${moved.length} of ${s.metrics.length} metric(s) moved (95 % CI of the paired difference excludes 0)${moved.length ? ":" : ""}`);
  for (const m of moved.slice(0, 25)) lines.push(`    ${m.name.padEnd(36)} ${f(m.baselineMean)} → ${f(m.proposalMean)}  diff ${f(m.diffMean)} [${f(m.ciLow)}, ${f(m.ciHigh)}]  d_z ${m.effectSize === null ? "∞/—" : f(m.effectSize)}`);
  lines.push(`  report: ${s.html}`);
  lines.push(`  reproduce: ${s.reproduce.compare}`);
  return lines.join("\n");
}

// ─── Effect CLI ──────────────────────────────────────────────────────────────────────────────────────────────

const dbFlag = Flag.String("db").pipe(Flag.withDefault(DEFAULT_DB), Flag.withDescription(`results database file (DuckDB), default ./${DEFAULT_DB}`));
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("print exactly one JSON object on stdout; human output and progress go to stderr"));
const setFlag = Flag.String("set").pipe(Flag.atLeast(0), Flag.withDescription("override a scenario value for every run: --set path=value (repeatable)"));
const workersFlag = Flag.Int("workers").pipe(Flag.optional, Flag.withDescription("local worker threads (default: the number of cores)"));
const queueFlag = Flag.String("queue").pipe(Flag.optional, Flag.withDescription("run the jobs on a BullMQ queue at this Redis URL (redis://HOST:PORT) instead of locally; start workers with `popsim worker --queue …`"));
const freshFlag = Flag.Boolean("fresh").pipe(Flag.withDefault(false), Flag.withDescription("run every job again instead of reusing completed runs with the same identity"));


export const sweep = Command.make(
  "sweep",
  {
    scenario: Argument.String("scenario").pipe(Argument.withDescription("built-in scenario name or path to a JSON file")),
    grid: Flag.String("grid").pipe(Flag.atLeast(0), Flag.withDescription("sweep a path over values: --grid network.loss=0.001,0.01,0.05 (repeatable: the cartesian product)")),
    sample: Flag.Int("sample").pipe(Flag.optional, Flag.withDescription("draw N points over the --range paths (seeded: --sample-seed)")),
    range: Flag.String("range").pipe(Flag.atLeast(0), Flag.withDescription("a sampled path: --range path=lo:hi, lo:hi:int (integers) or lo:hi:log (log-uniform) (repeatable)")),
    lhs: Flag.Boolean("lhs").pipe(Flag.withDefault(false), Flag.withDescription("Latin-hypercube sampling: every 1/N stratum of every range is hit exactly once")),
    sampleSeed: Flag.Int("sample-seed").pipe(Flag.withDefault(1), Flag.withDescription("seed of the point sampling (not of the runs), default 1")),
    seeds: Flag.String("seeds").pipe(Flag.optional, Flag.withDescription("run seeds: 1..20, 1,5,9 or 1..3,7 (default: the scenario's seed)")),
    workers: workersFlag,
    set: setFlag,
    db: dbFlag,
    json: jsonFlag,
    queue: queueFlag,
    fresh: freshFlag,
  },
  (a) =>
    guard(() => sweepCommand({
      scenario: a.scenario, sets: a.set, grid: a.grid, range: a.range, sample: Option.getOrUndefined(a.sample), lhs: a.lhs, sampleSeed: a.sampleSeed,
      seeds: Option.getOrUndefined(a.seeds), workers: Option.getOrUndefined(a.workers), db: a.db, json: a.json, queue: Option.getOrUndefined(a.queue), fresh: a.fresh,
    })),
).pipe(Command.withDescription("Run a scenario over a parameter grid and/or sampled points × seeds, on local worker threads or a Redis queue; resumable."));

export const worker = Command.make(
  "worker",
  {
    queue: Flag.String("queue").pipe(Flag.withDescription("the Redis URL of the sweep queue (redis://HOST:PORT)")),
    db: Flag.String("db").pipe(Flag.withDefault(DEFAULT_WORKER_DB), Flag.withDescription(`this worker's own results file (DuckDB), default ./${DEFAULT_WORKER_DB}; one per worker process`)),
    concurrency: Flag.Int("concurrency").pipe(Flag.optional, Flag.withDescription("jobs run at once, each on its own thread (default: the number of cores)")),
    lockMs: Flag.Int("lock-ms").pipe(Flag.withDefault(DEFAULT_LOCK_MS), Flag.withDescription(`job lock and stalled-check interval in ms (default ${DEFAULT_LOCK_MS}): a job whose worker died is retried after about 1–2× this`)),
  },
  (a) => guard(() => workerCommand({ queue: a.queue, db: a.db, concurrency: Option.getOrUndefined(a.concurrency), lockMs: a.lockMs })),
).pipe(Command.withDescription("Take sweep jobs from a Redis queue and run them (on any machine with the same code); stops on Ctrl-C/SIGTERM."));

export const compare = Command.make(
  "compare",
  {
    baseline: Argument.String("baseline").pipe(Argument.withDescription("the baseline scenario (name or path)")),
    proposal: Argument.String("proposal").pipe(Argument.optional, Argument.withDescription("the proposal scenario (default: the baseline with the --set overrides)")),
    set: Flag.String("set").pipe(Flag.atLeast(0), Flag.withDescription("override a value on the proposal side: --set path=value (repeatable)")),
    seeds: Flag.String("seeds").pipe(Flag.withDefault(DEFAULT_COMPARE_SEEDS), Flag.withDescription(`paired seeds: 1..N or 1,5,9 (default ${DEFAULT_COMPARE_SEEDS})`)),
    workers: workersFlag,
    db: dbFlag,
    json: jsonFlag,
    out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("folder for index.html and compare.json (default ./reports-out/<compare-id>/)")),
    queue: queueFlag,
    fresh: freshFlag,
  },
  (a) =>
    guard(() => compareCommand({
      baseline: a.baseline, proposal: Option.getOrUndefined(a.proposal), sets: a.set, seeds: a.seeds, workers: Option.getOrUndefined(a.workers),
      db: a.db, json: a.json, out: Option.getOrUndefined(a.out), queue: Option.getOrUndefined(a.queue), fresh: a.fresh,
    })),
).pipe(Command.withDescription("Compare a proposal with a baseline over paired seeds: parameter diff, metric differences with 95 % CIs and effect sizes, guardrails; JSON and HTML."));
