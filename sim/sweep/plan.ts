/**
 * sim/sweep/plan.ts — turning `popsim sweep` flags into a validated list of jobs.
 *
 * Purpose: a sweep is a set of jobs, each one (scenario, `--set` overrides, seed). This module parses the flags
 * (`--grid`, `--range` + `--sample` [+ `--lhs`], `--seeds`), draws the sampled points, resolves and validates
 * every job through the same `--set` path and schema as `popsim run`, and returns the plan — before anything runs
 * or is written. A bad flag or a bad value is a `PlanError` (the CLI exits 2, naming it).
 *
 * Method
 * - Grid: the cartesian product of every `--grid path=v1,v2,…` (first flag outermost). Values are split on commas
 *   outside brackets/braces/quotes and read like `--set` values (JSON if it parses, else a string), so
 *   `--grid 'regions=[{"name":"us-east","weight":1}],[{"name":"eu-west","weight":1}]'` works.
 * - Sampling: `--sample N --range path=lo:hi[:int|:log]` draws N points. Plain: each coordinate uniform in its
 *   range. `--lhs`: Latin hypercube — each dimension's [0,1) is cut into N equal strata, a seeded permutation
 *   assigns one stratum per point and a uniform draw places the point inside it, so every stratum of every
 *   dimension is hit exactly once. `:int` maps the unit draw to the integers lo..hi (inclusive); `:log` maps it
 *   log-uniformly (lo > 0). Draws come from the kernel's sfc32 stream for (`--sample-seed`, "sweep/sample"), so
 *   the same flags always give the same points; values are rounded to 12 significant digits so they print
 *   and re-parse exactly.
 * - Grid and sampling combine as grid × samples. Seeds: `1..20`, `1,5,9`, or a mix (`1..3,7`).
 * - Every point is resolved once with `loadScenario(scenario, [...sets, ...pointSets])` (all problems of all
 *   points are collected and reported together), then each seed gives a job whose resolved scenario has that
 *   seed. A job's identity `key` is the SHA-256 of its canonical resolved scenario: two jobs with the same key
 *   are the same run, so duplicates are merged.
 */
import { createHash } from "node:crypto";
import { loadScenario, ScenarioError, formatProblem, type ScenarioProblem } from "../../scenarios/load.ts";
import type { Scenario } from "../../scenarios/schema.ts";
import { canonicalJson } from "../store/canonicalJson.ts";
import { stream } from "../kernel/prng.ts";
import { shuffle } from "../kernel/distributions.ts";

/** A limit on everything: the most jobs one sweep may plan. */
export const SWEEP_JOBS_MAX = 100_000;

/** Bad sweep input: the CLI prints the message and exits 2 with nothing written. */
export class PlanError extends Error {
  readonly _tag = "PlanError";
}

export type Scale = "linear" | "int" | "log";

export interface GridDimension {
  kind: "grid";
  path: string;
  values: unknown[];
}

export interface RangeDimension {
  kind: "range";
  path: string;
  lo: number;
  hi: number;
  scale: Scale;
}

export type Dimension = GridDimension | RangeDimension;

/** One point of the design: the values of the swept paths. */
export interface Point {
  /** Dotted path → value, in flag order. */
  params: Record<string, unknown>;
  /** The same as `--set` strings (`path=<json>`). */
  sets: string[];
}

export interface SweepJob {
  /** Position in the plan (grid/sample point major, seed minor). */
  index: number;
  /** SHA-256 (hex, 16 chars) of the canonical resolved scenario: the run's identity apart from code version. */
  key: string;
  /** The scenario as given (built-in name or path), for reproduce lines. */
  scenarioArg: string;
  /** The resolved scenario's name (the store's `scenario` column). */
  scenarioName: string;
  /** The swept values of this job's point. */
  params: Record<string, unknown>;
  /** Every `--set` of this job: the sweep's base sets, then the point's. */
  sets: string[];
  seed: number;
  /** The resolved, validated scenario as plain JSON (seed included): what the worker runs and the store records. */
  scenario: Scenario;
}

export interface PlanInput {
  scenario: string;
  /** `--set` overrides applied to every job. */
  sets?: readonly string[];
  grid?: readonly string[];
  range?: readonly string[];
  sample?: number;
  lhs?: boolean;
  sampleSeed?: number;
  /** `--seeds` text; default: the scenario's own seed. */
  seeds?: string;
}

export interface SweepPlan {
  scenarioArg: string;
  scenarioName: string;
  baseSets: string[];
  dimensions: Dimension[];
  sampling: { kind: "none" | "random" | "lhs"; n: number; seed: number };
  points: Point[];
  seeds: number[];
  jobs: SweepJob[];
  /** Jobs dropped because an earlier job had the same identity. */
  duplicates: number;
}

// ─── Flag parsing ────────────────────────────────────────────────────────────────────────────────────────────

/** Parses `1..20`, `1,5,9` or a mix (`1..3,7`) into distinct seeds in the order given. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const bad = (why: string) => new PlanError(`--seeds: got ${JSON.stringify(text)}; expected ${why}`);
  const pieces = text.split(",").map((s) => s.trim());
  if (text.trim() === "" || pieces.some((p) => p === "")) throw bad("seeds such as 1..20, 1,5,9 or 1..3,7");
  const int = (s: string) => {
    if (!/^\d+$/.test(s)) throw bad(`non-negative integers (${JSON.stringify(s)} is not one), e.g. 1..20 or 1,5,9`);
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw bad(`seeds up to ${Number.MAX_SAFE_INTEGER}`);
    return n;
  };
  for (const p of pieces) {
    const m = /^(.*)\.\.(.*)$/.exec(p);
    const [lo, hi] = m ? [int(m[1].trim()), int(m[2].trim())] : [int(p), int(p)];
    if (hi < lo) throw bad(`a range from low to high (${p} runs backwards)`);
    if (hi - lo + 1 > SWEEP_JOBS_MAX) throw bad(`at most ${SWEEP_JOBS_MAX} seeds`);
    for (let s = lo; s <= hi; s++) {
      if (!seen.has(s)) { seen.add(s); out.push(s); }
      if (out.length > SWEEP_JOBS_MAX) throw bad(`at most ${SWEEP_JOBS_MAX} seeds`);
    }
  }
  return out;
}

/** Splits on commas that are not inside [], {} or a double-quoted string. */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0, quoted = false, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

/** A value as `--set` reads it: JSON when it parses, else the text itself. */
function readValue(raw: string): unknown {
  try { return JSON.parse(raw) as unknown; } catch { return raw; }
}

const PATH_RE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

function splitAssignment(flag: string, text: string, example: string): [string, string] {
  const eq = text.indexOf("=");
  const path = eq > 0 ? text.slice(0, eq).trim() : "";
  if (eq <= 0 || !PATH_RE.test(path)) throw new PlanError(`${flag}: got ${JSON.stringify(text)}; expected path=${example} with a dotted path such as network.loss`);
  return [path, text.slice(eq + 1).trim()];
}

export function parseGrid(text: string): GridDimension {
  const [path, rest] = splitAssignment("--grid", text, "v1,v2,…");
  const pieces = splitTopLevel(rest);
  if (rest === "" || pieces.some((p) => p === "")) throw new PlanError(`--grid ${path}: got ${JSON.stringify(rest)}; expected comma-separated values, e.g. ${path}=1,2,3`);
  return { kind: "grid", path, values: pieces.map(readValue) };
}

export function parseRange(text: string): RangeDimension {
  const [path, rest] = splitAssignment("--range", text, "lo:hi[:int|:log]");
  const m = /^([^:]+):([^:]+)(?::(int|log|linear))?$/.exec(rest);
  const num = (s: string) => (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s.trim()) ? Number(s) : Number.NaN);
  const lo = m ? num(m[1]) : Number.NaN, hi = m ? num(m[2]) : Number.NaN;
  const scale = ((m?.[3] ?? "linear") as Scale);
  const bad = (why: string) => new PlanError(`--range ${path}: got ${JSON.stringify(rest)}; expected ${why}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw bad("lo:hi with finite numbers, optionally :int or :log (e.g. 0:0.05, 100:500:int, 0.001:0.1:log)");
  if (lo > hi) throw bad("lo ≤ hi");
  if (scale === "int" && (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi))) throw bad("integer bounds with :int");
  if (scale === "log" && !(lo > 0)) throw bad("a positive lower bound with :log");
  return { kind: "range", path, lo, hi, scale };
}

// ─── Sampling ────────────────────────────────────────────────────────────────────────────────────────────────

const round12 = (x: number) => Number(x.toPrecision(12));

/** Maps a unit draw u ∈ [0, 1) into the range. */
export function fromUnit(d: RangeDimension, u: number): number {
  switch (d.scale) {
    case "int": return Math.min(d.hi, d.lo + Math.floor(u * (d.hi - d.lo + 1)));
    case "log": return round12(Math.exp(Math.log(d.lo) + u * (Math.log(d.hi) - Math.log(d.lo))));
    case "linear": return round12(d.lo + u * (d.hi - d.lo));
  }
}

/**
 * N points over the ranges: unit coordinates in [0,1)^dims, uniform (`lhs` false) or Latin hypercube (`lhs`
 * true: coordinate = (stratum + u) / N with each dimension's strata a seeded permutation of 0..N−1).
 */
export function sampleUnit(n: number, dims: number, lhs: boolean, seed: number): number[][] {
  const rng = stream(seed, lhs ? "sweep/sample/lhs" : "sweep/sample/random");
  const points: number[][] = Array.from({ length: n }, () => new Array<number>(dims).fill(0));
  for (let d = 0; d < dims; d++) {
    const strata = lhs ? shuffle(rng, Array.from({ length: n }, (_, i) => i)) : undefined;
    for (let i = 0; i < n; i++) points[i][d] = strata ? (strata[i] + rng.float()) / n : rng.float();
  }
  return points;
}

// ─── Planning ────────────────────────────────────────────────────────────────────────────────────────────────

const setOf = (path: string, value: unknown) => `${path}=${JSON.stringify(value)}`;

function cartesian(dims: readonly GridDimension[]): Point[] {
  let points: Point[] = [{ params: {}, sets: [] }];
  for (const d of dims) {
    const next: Point[] = [];
    for (const p of points) for (const v of d.values) next.push({ params: { ...p.params, [d.path]: v }, sets: [...p.sets, setOf(d.path, v)] });
    points = next;
  }
  return points;
}

export function jobKey(scenario: unknown): string {
  return createHash("sha256").update(canonicalJson(scenario)).digest("hex").slice(0, 16);
}

function describePoint(point: Point): string {
  const parts = Object.entries(point.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? parts.join(" ") : "(no swept values)";
}

/** Parses, samples and validates a sweep. Throws PlanError (bad flags) or ScenarioError-derived PlanError. */
export function planSweep(input: PlanInput): SweepPlan {
  const baseSets = [...(input.sets ?? [])];
  const grid = (input.grid ?? []).map(parseGrid);
  const ranges = (input.range ?? []).map(parseRange);
  const sampleSeed = input.sampleSeed ?? 1;
  if (!Number.isSafeInteger(sampleSeed) || sampleSeed < 0) throw new PlanError(`--sample-seed: got ${sampleSeed}; expected a non-negative integer`);
  const sample = input.sample;
  if (ranges.length > 0 && sample === undefined) throw new PlanError("--range: needs --sample N (how many points to draw)");
  if (sample !== undefined && ranges.length === 0) throw new PlanError("--sample: needs at least one --range path=lo:hi to sample");
  if (input.lhs && sample === undefined) throw new PlanError("--lhs: needs --sample N and --range path=lo:hi");
  if (sample !== undefined && (!Number.isSafeInteger(sample) || sample < 1 || sample > SWEEP_JOBS_MAX)) throw new PlanError(`--sample: got ${sample}; expected an integer from 1 to ${SWEEP_JOBS_MAX}`);
  const seenPaths = new Set<string>();
  for (const d of [...grid, ...ranges]) {
    if (seenPaths.has(d.path)) throw new PlanError(`--grid/--range: ${d.path} is swept twice; give each path once`);
    seenPaths.add(d.path);
  }

  // Design points: grid × samples.
  let points = cartesian(grid);
  if (sample !== undefined) {
    const unit = sampleUnit(sample, ranges.length, input.lhs ?? false, sampleSeed);
    const samples: Point[] = unit.map((u) => {
      const params: Record<string, unknown> = {};
      const sets: string[] = [];
      ranges.forEach((d, i) => { const v = fromUnit(d, u[i]); params[d.path] = v; sets.push(setOf(d.path, v)); });
      return { params, sets };
    });
    points = points.flatMap((g) => samples.map((s) => ({ params: { ...g.params, ...s.params }, sets: [...g.sets, ...s.sets] })));
  }

  // The scenario and the base `--set`s first, so their problems are reported once, not once per point.
  try {
    loadScenario(input.scenario, baseSets);
  } catch (e) {
    if (e instanceof ScenarioError) throw new PlanError(e.message);
    throw e;
  }
  // Validate every point (all problems reported together), then expand by seed.
  const resolved: (Scenario | undefined)[] = [];
  const report: string[] = [];
  let badPoints = 0;
  for (const [i, point] of points.entries()) {
    try {
      resolved.push(loadScenario(input.scenario, [...baseSets, ...point.sets]).scenario);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      resolved.push(undefined);
      badPoints++;
      if (report.length < 10) report.push(`${describePoint(point)} (point ${i + 1} of ${points.length}):\n${e.problems.map(annotate(point)).join("\n")}`);
    }
  }
  if (badPoints > 0) {
    const more = badPoints > report.length ? `\n… and ${badPoints - report.length} more invalid point(s)` : "";
    throw new PlanError(`sweep: ${badPoints} of ${points.length} point(s) invalid\n${report.join("\n")}${more}`);
  }
  const scenarioName = resolved[0]!.name;
  const seeds = input.seeds === undefined ? [resolved[0]!.seed] : parseSeeds(input.seeds);
  if (points.length * seeds.length > SWEEP_JOBS_MAX) {
    throw new PlanError(`sweep: ${points.length} points × ${seeds.length} seeds = ${points.length * seeds.length} jobs; expected at most ${SWEEP_JOBS_MAX}`);
  }
  const jobs: SweepJob[] = [];
  const keys = new Set<string>();
  let duplicates = 0;
  points.forEach((point, p) => {
    const plain = JSON.parse(canonicalJson(resolved[p])) as Scenario;
    for (const seed of seeds) {
      const scenario = { ...plain, seed } as Scenario;
      const key = jobKey(scenario);
      if (keys.has(key)) { duplicates++; continue; }
      keys.add(key);
      jobs.push({ index: jobs.length, key, scenarioArg: input.scenario, scenarioName, params: point.params, sets: [...baseSets, ...point.sets], seed, scenario });
    }
  });
  return {
    scenarioArg: input.scenario,
    scenarioName,
    baseSets,
    dimensions: [...grid, ...ranges],
    sampling: { kind: sample === undefined ? "none" : input.lhs ? "lhs" : "random", n: sample ?? 0, seed: sampleSeed },
    points,
    seeds,
    jobs,
    duplicates,
  };
}

/** Names the flag a problem came from: a swept path is a `--grid`/`--range` value, anything else a `--set`. */
function annotate(point: Point): (p: ScenarioProblem) => string {
  return (p) => {
    const swept = Object.keys(point.params).find((k) => p.path === k || p.path.startsWith(k + "."));
    return swept ? `${formatProblem(p)}  [swept value ${swept}=${JSON.stringify(point.params[swept])}]` : formatProblem(p);
  };
}

/** Validates `--queue`: redis://HOST:PORT (or rediss://, optionally with /DB). Throws PlanError (exit 2). */
export function parseQueueUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new PlanError(`--queue: got ${JSON.stringify(text)}; expected a Redis URL such as redis://127.0.0.1:6379`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new PlanError(`--queue: got ${JSON.stringify(text)}; expected a redis:// or rediss:// URL`);
  if (u.hostname === "") throw new PlanError(`--queue: got ${JSON.stringify(text)}; expected a host, e.g. redis://127.0.0.1:6379`);
  if (u.pathname !== "" && u.pathname !== "/" && !/^\/\d+$/.test(u.pathname)) throw new PlanError(`--queue: got ${JSON.stringify(text)}; expected an optional database number after the port (redis://host:6379/0)`);
  return text;
}
