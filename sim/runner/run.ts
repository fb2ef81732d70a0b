/**
 * The runner: scenario → world → run → results (in memory).
 *
 * Purpose: the one place that turns a validated scenario into a world of nodes, network, churn/faults and models,
 * runs the kernel to the scenario's end, and collects metrics and time series. Writing to the store and printing
 * belong to the CLI; this module does no I/O, so a sweep worker can call it too.
 *
 * Method:
 * - Nodes are laid out role by role (viewers, creators, masternodes, delegates); each role's nodes are spread over
 *   the regions in exact proportion to the weights (largest remainder), then shuffled with the "world/regions"
 *   stream so that region does not correlate with node index.
 * - Models plug in through `ModelPlugin` (DESIGN.md §5): each gets the world at setup and registers its own event
 *   kinds, message types, metrics and checkers. Setup order is fixed, so kind ids and streams are stable.
 * - A "metrics.sample" event every `metrics.interval` records every counter and gauge into the time series.
 * - The run is awaited only if a model's handler returns a promise (the EVM seam); otherwise it is synchronous.
 */
import { Kernel, type RunOutcome } from "../kernel/kernel.ts";
import { Metrics } from "../kernel/metrics.ts";
import { parseDuration, SECOND } from "../kernel/time.ts";
import { shuffle } from "../kernel/distributions.ts";
import { NodeTable, NodeStatus, ROLE_IDS, type RoleId } from "../net/nodes.ts";
import { Network } from "../net/network.ts";
import { oneWayMatrixUs, type RegionName } from "../net/regions.ts";
import { Faults } from "../faults/faults.ts";
import { ProbeTraffic } from "./traffic.ts";
import { MODEL_PLUGINS } from "./plugins.ts";
import type { Scenario } from "../../scenarios/schema.ts";

export interface World {
  scenario: Scenario;
  kernel: Kernel;
  nodes: NodeTable;
  net: Network;
  faults: Faults;
  metrics: Metrics;
  durationUs: number;
  regionNames: RegionName[];
}

/** A protocol model's hook into the runner (DESIGN.md §5). */
export interface ModelPlugin {
  name: string;
  /** Register kinds, message types, metrics, checkers; may schedule initial events. */
  setup(world: World): void | Promise<void>;
  /** Called after the run ends, to set summary metrics. */
  finish?(world: World): void | Promise<void>;
}

export interface RunOptions {
  scenario: Scenario;
  /** Run every checker after every event (overrides the scenario's check mode). */
  checkMode?: boolean;
  onProgress?: (timeUs: number, events: number) => void;
  /** The models to run (default: MODEL_PLUGINS, the registry in plugins.ts). */
  plugins?: readonly ModelPlugin[];
  /**
   * Called between slices of simulated time (1/200 of the duration each); lets the host process signals (e.g. a
   * SIGINT) and returns true to stop the run. Slicing by simulated time never changes results: no event runs
   * between slices.
   */
  between?: () => Promise<boolean>;
  /** Record one row per processed event (capped at EVENT_ROWS_MAX). */
  recordEvents?: boolean;
}

/** Optional event rows (`--events`): one per processed event, up to `EVENT_ROWS_MAX`. */
export interface EventRows {
  tUs: number[];
  seq: number[];
  kind: string[];
  target: number[];
  detail: string[];
  /** True when the cap was reached and later events were not recorded. */
  truncated: boolean;
}

/** A limit on everything: event rows are for inspecting small runs, not for millions of events. */
export const EVENT_ROWS_MAX = 2_000_000;

export interface TimeSeries {
  tUs: number[];
  name: string[];
  value: number[];
}

export interface RunResult {
  outcome: RunOutcome;
  metrics: { name: string; value: number }[];
  timeseries: TimeSeries;
  durationUs: number;
  events?: EventRows;
}

const mbps = (x: number) => x * 1e6;

/** Exact proportional allocation of `n` items over weights (largest remainder; ties to the lower index). */
export function apportion(n: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const quotas = weights.map((w) => (n * w) / total);
  const counts = quotas.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, i) => ({ i, r: q - Math.floor(q) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) counts[order[j].i]++;
  return counts;
}

export function buildWorld(scenario: Scenario, opts: { checkMode?: boolean; onProgress?: (t: number, e: number) => void; tracer?: (t: number, e: number, kind: number, target: number) => void } = {}): World {
  const kernel = new Kernel({
    seed: scenario.seed,
    checkMode: opts.checkMode ?? scenario.check.mode === "every-event",
    checkEvery: scenario.check.every,
    onProgress: opts.onProgress,
    tracer: opts.tracer,
  });
  const metrics = new Metrics();
  const regionNames = scenario.regions.map((r) => r.name as RegionName);
  const weights = scenario.regions.map((r) => r.weight);
  const pop = scenario.population;
  const nodes = new NodeTable(pop.viewers + pop.creators + pop.masternodes + pop.delegates, regionNames.length);
  const bw = scenario.network.bandwidth;
  const roleCounts: [RoleId, number, { upMbps: number; downMbps: number }][] = [
    [ROLE_IDS.viewer, pop.viewers, bw.viewer],
    [ROLE_IDS.creator, pop.creators, bw.creator],
    [ROLE_IDS.masternode, pop.masternodes, bw.masternode],
    [ROLE_IDS.delegate, pop.delegates, bw.delegate],
  ];
  const regionRng = kernel.rng("world/regions");
  for (const [role, count, b] of roleCounts) {
    const perRegion = apportion(count, weights);
    const regions: number[] = [];
    perRegion.forEach((c, r) => { for (let i = 0; i < c; i++) regions.push(r); });
    shuffle(regionRng, regions);
    for (const r of regions) nodes.add(role, r, mbps(b.upMbps), mbps(b.downMbps), NodeStatus.Online);
  }
  const net = new Network(kernel, nodes, oneWayMatrixUs(regionNames), scenario.network, metrics);
  const faults = new Faults(kernel, nodes, net, {
    churn: scenario.churn,
    timeline: scenario.faults.timeline,
    regionIndex: new Map(regionNames.map((n, i) => [n, i])),
    regionWeights: weights,
    bandwidthBps: {
      viewer: { up: mbps(bw.viewer.upMbps), down: mbps(bw.viewer.downMbps) },
      creator: { up: mbps(bw.creator.upMbps), down: mbps(bw.creator.downMbps) },
      masternode: { up: mbps(bw.masternode.upMbps), down: mbps(bw.masternode.downMbps) },
      delegate: { up: mbps(bw.delegate.upMbps), down: mbps(bw.delegate.downMbps) },
    },
  }, metrics);
  // Spine invariant: the network never delivers or drops more messages than were sent.
  kernel.addChecker("net.message_accounting", () => {
    const v = new Map<string, number>();
    metrics.sample((n, x) => v.set(n, x));
    const out = (v.get("net.messages_delivered") ?? 0) + (v.get("net.messages_lost") ?? 0) + (v.get("net.messages_receiver_down") ?? 0);
    const sent = v.get("net.messages_sent") ?? 0;
    return out <= sent ? undefined : `${out} messages delivered or dropped but only ${sent} sent`;
  });
  return { scenario, kernel, nodes, net, faults, metrics, durationUs: parseDuration(scenario.duration)!, regionNames };
}

/** Build the world, run it to the end, and collect results. */
export async function runScenario(opts: RunOptions): Promise<RunResult> {
  let rows: EventRows | undefined;
  const kindIds: number[] = [];
  const tracer = opts.recordEvents
    ? (t: number, e: number, kind: number, target: number) => {
        if (rows!.tUs.length >= EVENT_ROWS_MAX) { rows!.truncated = true; return; }
        rows!.tUs.push(t); rows!.seq.push(e); kindIds.push(kind); rows!.target.push(target);
      }
    : undefined;
  if (tracer) rows = { tUs: [], seq: [], kind: [], target: [], detail: [], truncated: false };
  const world = buildWorld(opts.scenario, { ...opts, tracer });
  const { kernel, metrics, scenario } = world;
  const traffic = new ProbeTraffic(kernel, world.nodes, world.net, world.faults, scenario.traffic, metrics);
  const plugins = opts.plugins ?? MODEL_PLUGINS;
  for (const p of plugins) await p.setup(world);
  const ts: TimeSeries = { tUs: [], name: [], value: [] };
  const sample = (t: number) => metrics.sample((name, value) => { ts.tUs.push(t); ts.name.push(name); ts.value.push(value); });
  const interval = parseDuration(scenario.metrics.interval)!;
  const sampleKind = kernel.register("metrics.sample", (ctx) => {
    sample(ctx.now);
    if (ctx.now + interval <= world.durationUs) ctx.schedule(interval, sampleKind);
  });
  world.faults.start();
  traffic.start();
  sample(0);
  if (interval <= world.durationUs) kernel.schedule(interval, sampleKind);
  const slice = Math.max(1, Math.ceil(world.durationUs / 200));
  let outcome: RunOutcome;
  for (let end = slice; ; end += slice) {
    const endTime = Math.min(end, world.durationUs);
    outcome = await kernel.runAsync({ endTime, maxEvents: scenario.limits.eventsMax });
    if (outcome.status !== "completed" || endTime >= world.durationUs || kernel.pending === 0) break;
    if (opts.between !== undefined && (await opts.between())) {
      outcome = { ...outcome, status: "stopped", reason: "interrupted by the user" };
      break;
    }
  }
  if (ts.tUs[ts.tUs.length - 1] !== outcome.time) sample(outcome.time);
  for (const p of plugins) await p.finish?.(world);
  metrics.summary("run.events", outcome.events);
  metrics.summary("run.sim_time_s", outcome.time / SECOND);
  metrics.summary("run.events_pending", outcome.pending);
  if (rows) {
    rows.kind = kindIds.map((k) => kernel.kindName(k));
    rows.detail = rows.kind.map(() => "");
    metrics.summary("run.event_rows", rows.tUs.length);
  }
  return { outcome, metrics: metrics.final(), timeseries: ts, durationUs: world.durationUs, events: rows };
}
