/**
 * Loading a scenario: file or built-in name → defaults merged → `--set` overrides → strict decode → cross-field
 * checks. Nothing here writes anything; a bad scenario fails before any output exists.
 *
 * Every problem becomes a `ScenarioProblem` with the dotted path, the value given (as JSON) and what was
 * expected, so the CLI can print it and exit with code 2.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Exit, Cause, Schema, SchemaIssue } from "effect";
import { Scenario } from "./schema.ts";
import { DEFAULTS, FAULT_EVENT_DEFAULTS } from "./defaults.ts";
import { parseDuration } from "../sim/kernel/time.ts";
import { storageCrossCheck } from "../models/storage/params.ts";

export const SCENARIO_DIR = dirname(fileURLToPath(import.meta.url));

export interface ScenarioProblem {
  path: string;
  value: string;
  expected: string;
}

export class ScenarioError extends Error {
  readonly _tag = "ScenarioError";
  readonly problems: ScenarioProblem[];
  constructor(problems: ScenarioProblem[], context = "scenario") {
    super(`${context}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n` + problems.map(formatProblem).join("\n"));
    this.problems = problems;
  }
}

export function formatProblem(p: ScenarioProblem): string {
  return `  ${p.path || "(root)"}: got ${p.value}; expected ${p.expected}`;
}

const show = (v: unknown): string => {
  if (v === undefined) return "nothing";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Objects merge key by key; arrays, scalars and tagged variants (objects with a "dist" tag, i.e. distributions)
 * replace. Keys not in `base` are kept (the schema rejects them).
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isObject(base) && isObject(over) && !("dist" in over)) {
    const out: Record<string, unknown> = { ...base };
    for (const k of Object.keys(over)) out[k] = k in base ? deepMerge(base[k], over[k]) : over[k];
    return out;
  }
  return over === undefined ? base : over;
}

function getAt(doc: unknown, path: readonly (string | number)[]): unknown {
  let cur = doc;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** A built-in scenario's file, or a path to a JSON file. */
export function resolveScenarioFile(nameOrPath: string): string | undefined {
  const builtin = join(SCENARIO_DIR, `${nameOrPath}.json`);
  if (/^[a-z0-9][a-z0-9._-]*$/.test(nameOrPath) && existsSync(builtin)) return builtin;
  if (existsSync(nameOrPath)) return resolve(nameOrPath);
  return undefined;
}

export interface ScenarioListing {
  name: string;
  description: string;
}

export function listScenarios(): ScenarioListing[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const doc = JSON.parse(readFileSync(join(SCENARIO_DIR, f), "utf8")) as { description?: string };
      return { name: basename(f, ".json"), description: doc.description ?? "" };
    });
}

/** Parse one `--set path=value` into its path and value; the value is JSON if it parses, else a string. */
export function parseSet(text: string): { path: string[]; value: unknown } | ScenarioProblem {
  const eq = text.indexOf("=");
  if (eq <= 0) return { path: "--set", value: show(text), expected: "path=value, e.g. population.viewers=500" };
  const pathText = text.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(pathText)) return { path: "--set", value: show(text), expected: "a dotted path of keys such as network.loss (array items by index: faults.timeline.0.at)" };
  const raw = text.slice(eq + 1).trim();
  let value: unknown = raw;
  if (raw === "") return { path: pathText, value: '""', expected: "a value after '='" };
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { path: pathText.split("."), value };
}

/** Apply `--set` overrides to a resolved document. Unknown keys are problems, not silently added. */
export function applySets(doc: unknown, sets: readonly string[], problems: ScenarioProblem[]): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const s of sets) {
    const parsed = parseSet(s);
    if (!("value" in parsed) || typeof parsed.path === "string") {
      problems.push(parsed as ScenarioProblem);
      continue;
    }
    const { path, value } = parsed;
    let cur: unknown = out;
    let ok = true;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i];
      const next = Array.isArray(cur) ? cur[Number(k)] : isObject(cur) ? cur[k] : undefined;
      if (next === undefined || next === null || typeof next !== "object") {
        problems.push({ path: path.slice(0, i + 1).join("."), value: show(next), expected: `an existing object or array to set "${path.join(".")}" in (unknown key?)` });
        ok = false;
        break;
      }
      cur = next;
    }
    if (!ok) continue;
    const last = path[path.length - 1];
    if (Array.isArray(cur)) {
      const idx = Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > cur.length) {
        problems.push({ path: path.join("."), value: show(last), expected: `an index from 0 to ${cur.length}` });
        continue;
      }
      cur[idx] = idx === cur.length && isObject(value) && path.includes("timeline") ? { ...FAULT_EVENT_DEFAULTS, ...value } : value;
    } else if (isObject(cur)) {
      if (!(last in cur)) {
        problems.push({ path: path.join("."), value: show(value), expected: `a known key (known here: ${Object.keys(cur).join(", ")})` });
        continue;
      }
      cur[last] = isObject(cur[last]) && isObject(value) ? deepMerge(cur[last], value) : value;
    }
  }
  return out;
}

function withTimelineDefaults(doc: unknown): unknown {
  const faults = isObject(doc) ? doc.faults : undefined;
  if (isObject(faults) && Array.isArray(faults.timeline)) {
    faults.timeline = faults.timeline.map((e: unknown) => (isObject(e) ? { ...FAULT_EVENT_DEFAULTS, ...e } : e));
  }
  return doc;
}

function issuesOf(err: unknown, input: unknown): ScenarioProblem[] {
  const issue = (err as { issue?: SchemaIssue.Issue }).issue;
  if (issue === undefined) return [{ path: "", value: show(input), expected: String(err) }];
  const formatted = SchemaIssue.makeFormatterStandardSchemaV1()(issue);
  const seen = new Set<string>();
  const out: ScenarioProblem[] = [];
  for (const i of formatted.issues) {
    const path = (i.path ?? []).map((p) => String(typeof p === "object" && p !== null && "key" in p ? (p as { key: PropertyKey }).key : p));
    const key = path.join(".") + "|" + i.message;
    if (seen.has(key)) continue;
    seen.add(key);
    let expected = i.message.replace(/^Expected /, "");
    if (/no excess property/i.test(i.message)) expected = "no such key (unknown key)";
    if (/^Missing key$/i.test(i.message)) expected = "a value (this required key is missing)";
    out.push({ path: path.join("."), value: show(getAt(input, path)), expected });
  }
  return out;
}

/** Cross-field rules the schema alone cannot express. */
function crossCheck(s: Scenario): ScenarioProblem[] {
  const p: ScenarioProblem[] = [];
  const total = s.population.viewers + s.population.creators + s.population.masternodes + s.population.delegates;
  if (total === 0) p.push({ path: "population", value: show(s.population), expected: "at least one node in some role (the population is empty)" });
  if (s.regions.length === 0) p.push({ path: "regions", value: "[]", expected: "at least one region" });
  const names = new Set<string>();
  s.regions.forEach((r, i) => {
    if (names.has(r.name)) p.push({ path: `regions.${i}.name`, value: show(r.name), expected: "a region listed only once" });
    names.add(r.name);
  });
  if (s.regions.length > 0 && s.regions.reduce((a, r) => a + r.weight, 0) <= 0) p.push({ path: "regions", value: show(s.regions.map((r) => r.weight)), expected: "region weights with a positive sum" });
  const duration = parseDuration(s.duration)!;
  if (duration <= 0) p.push({ path: "duration", value: show(s.duration), expected: "a positive duration" });
  const interval = parseDuration(s.metrics.interval)!;
  if (interval <= 0) p.push({ path: "metrics.interval", value: show(s.metrics.interval), expected: "a positive interval" });
  else if (duration / interval > 100_000) p.push({ path: "metrics.interval", value: show(s.metrics.interval), expected: `an interval giving at most 100,000 samples over ${s.duration}` });
  s.faults.timeline.forEach((e, i) => {
    const at = parseDuration(e.at)!;
    if (at > duration) p.push({ path: `faults.timeline.${i}.at`, value: show(e.at), expected: `a time within the scenario's duration (${s.duration})` });
    const regional = e.action === "region-outage" || e.action === "region-restore" || e.action === "partition" || e.action === "heal";
    if (regional && !names.has(e.region)) p.push({ path: `faults.timeline.${i}.region`, value: show(e.region), expected: `one of the scenario's regions (${[...names].join(", ")})` });
    e.regions.forEach((r, j) => {
      if (!names.has(r)) p.push({ path: `faults.timeline.${i}.regions.${j}`, value: show(r), expected: `one of the scenario's regions (${[...names].join(", ")})` });
    });
    if (!regional && e.action !== "recover" && e.count === 0 && e.fraction === 0) p.push({ path: `faults.timeline.${i}`, value: show({ count: e.count, fraction: e.fraction }), expected: `a count or fraction of nodes for "${e.action}"` });
  });
  for (const role of ["viewer", "creator", "masternode", "delegate"] as const) {
    for (const which of ["online", "offline"] as const) {
      const d = s.churn[role][which];
      if (d.dist === "uniform" && d.min > d.max) p.push({ path: `churn.${role}.${which}`, value: show(d), expected: "min ≤ max" });
    }
  }
  // Model sections' own cross-field rules (each names full paths such as models.storage.m).
  for (const q of storageCrossCheck(s.models.storage, { masternodes: s.population.masternodes, durationUs: duration })) {
    p.push({ path: q.path, value: show(q.value), expected: q.expected });
  }
  // The streaming economy: its sections depend on each other and on the chain's EVM.
  const m = s.models;
  const needs = (path: string, on: boolean, what: string) => { if (on) p.push({ path, value: "true", expected: what }); };
  needs("models.agents.enabled", m.agents.enabled && !m.distribution.enabled, "models.distribution.enabled too: agents watch through the swarm");
  needs("models.channels.enabled", m.channels.enabled && !(m.chain.enabled && m.chain.evm.enabled), "models.chain.enabled and models.chain.evm.enabled: channels open, claim and settle in the EVM");
  needs("models.economy.enabled", m.economy.enabled && !(m.chain.enabled && m.chain.evm.enabled), "models.chain.enabled and models.chain.evm.enabled: rewards go through the RewardPool contract");
  for (const sec of ["channels", "moderation", "economy"] as const) {
    needs(`models.${sec}.enabled`, m[sec].enabled && !m.agents.enabled, "models.agents.enabled too: this model is driven by the agents");
  }
  if (m.agents.enabled && m.channels.enabled && m.channels.viewerBudgetPop > m.chain.evm.liquidPop.viewer) {
    p.push({ path: "models.channels.viewerBudgetPop", value: show(m.channels.viewerBudgetPop), expected: `at most models.chain.evm.liquidPop.viewer (${m.chain.evm.liquidPop.viewer}): a wallet cannot lock more POP than it holds` });
  }
  const chain = s.models.chain;
  if (chain.enabled) {
    if (s.population.delegates < chain.activeDelegates) p.push({ path: "models.chain.activeDelegates", value: show(chain.activeDelegates), expected: `at most population.delegates (${s.population.delegates}): every active seat needs a delegate node` });
    const adversaries = chain.adversary.offline + chain.adversary.equivocators;
    if (adversaries > chain.activeDelegates) p.push({ path: "models.chain.adversary", value: show({ offline: chain.adversary.offline, equivocators: chain.adversary.equivocators }), expected: `offline + equivocators ≤ models.chain.activeDelegates (${chain.activeDelegates}): the adversary's delegates come from the active set` });
    if (chain.adversary.region !== "" && !names.has(chain.adversary.region)) p.push({ path: "models.chain.adversary.region", value: show(chain.adversary.region), expected: `"" (anywhere) or one of the scenario's regions (${[...names].join(", ")})` });
  }
  return p;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** The file it came from (for messages). */
  source: string;
}

/** Decode a full document (defaults already merged). Throws ScenarioError. */
export function decodeScenario(doc: unknown, context = "scenario"): Scenario {
  const exit = Schema.decodeUnknownExit(Scenario, { onExcessProperty: "error", errors: "all" })(doc);
  if (Exit.isFailure(exit)) throw new ScenarioError(issuesOf(Cause.squash(exit.cause), doc), context);
  const s = exit.value;
  const cross = crossCheck(s);
  if (cross.length > 0) throw new ScenarioError(cross, context);
  return s;
}

/** Resolve a partial scenario document (as in a scenario file) against the defaults and decode it. */
export function scenarioFrom(partial: object, sets: readonly string[] = []): Scenario {
  const problems: ScenarioProblem[] = [];
  const doc = withTimelineDefaults(applySets(withTimelineDefaults(deepMerge(DEFAULTS, partial)), sets, problems));
  if (problems.length > 0) throw new ScenarioError(problems, "--set");
  return decodeScenario(doc);
}

/** Load a built-in scenario by name or a JSON file, apply `--set` overrides and an optional seed. */
export function loadScenario(nameOrPath: string, sets: readonly string[] = [], seed?: number): LoadedScenario {
  const file = resolveScenarioFile(nameOrPath);
  if (file === undefined) {
    const known = listScenarios().map((s) => s.name).join(", ");
    throw new ScenarioError([{ path: "<scenario>", value: show(nameOrPath), expected: `a built-in scenario (${known}) or a path to a JSON file` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ScenarioError([{ path: "", value: show(basename(file)), expected: `valid JSON (${(e as Error).message})` }], file);
  }
  if (!isObject(raw)) throw new ScenarioError([{ path: "", value: show(raw), expected: "a JSON object" }], file);
  const withName = "name" in raw ? raw : { ...raw, name: basename(file, ".json").toLowerCase().replace(/[^a-z0-9._-]/g, "-") };
  const merged = withTimelineDefaults(deepMerge(DEFAULTS, withName));
  const problems: ScenarioProblem[] = [];
  const overridden = withTimelineDefaults(applySets(merged, sets, problems));
  if (seed !== undefined) (overridden as Record<string, unknown>).seed = seed;
  if (problems.length > 0) throw new ScenarioError(problems, "--set");
  return { scenario: decodeScenario(overridden, file), source: file };
}
