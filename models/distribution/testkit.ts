/**
 * Small worlds for the distribution model's tests, validation checks and benchmark.
 *
 * Purpose: build a kernel, node table, network and faults directly — with exactly the bandwidths a theory check
 * needs (u_s, u_i, c) — without going through a scenario, and drive viewers the simple way the economy's agents do
 * (watch, wait, watch again) so the swarm can be exercised on its own.
 *
 * Method: viewers are node ids 0..viewers−1, masternodes follow; regions are assigned round-robin. Churn is off
 * unless `viewerChurn` is given; a fault timeline may be passed through. `ViewerDriver` keeps every online viewer
 * in back-to-back sessions: after a gap (exponential), a video by Zipf popularity and a number of segments; a
 * viewer coming back online starts again. Its draws use the "testkit/..." streams, never the swarm's.
 */
import { Kernel, type KindId, type SimContext } from "../../sim/kernel/index.ts";
import { Metrics } from "../../sim/kernel/metrics.ts";
import { exponential, ZipfSampler } from "../../sim/kernel/distributions.ts";
import { SECOND } from "../../sim/kernel/time.ts";
import { NodeStatus, NodeTable, ROLE_IDS } from "../../sim/net/nodes.ts";
import { Network } from "../../sim/net/network.ts";
import { oneWayMatrixUs, type RegionName } from "../../sim/net/regions.ts";
import { Faults, type ChurnRoleParams, type TimelineEntry } from "../../sim/faults/faults.ts";
import type { Swarm, SwarmWorld } from "./swarm.ts";

export interface TestWorldOptions {
  seed?: number;
  viewers: number;
  masternodes: number;
  viewerUpMbps?: number;
  viewerDownMbps?: number;
  masternodeUpMbps?: number;
  masternodeDownMbps?: number;
  regions?: RegionName[];
  loss?: number;
  jitterCv?: number;
  /** Viewer on/off sessions (exponential means, s); churn is off without it. */
  viewerChurn?: { onlineMeanS: number; offlineMeanS: number };
  timeline?: Partial<TimelineEntry>[];
  checkMode?: boolean;
  /** Run checkers every this many events outside check mode (the scenario default: 65,536). */
  checkEvery?: number;
}

export interface TestWorld extends SwarmWorld {
  viewers: number[];
  masternodes: number[];
}

const noChurn: ChurnRoleParams = {
  enabled: false,
  online: { dist: "exponential", mean: 3600 },
  offline: { dist: "exponential", mean: 3600 },
  departure: 0,
  arrivalsPerDay: 0,
  initialOnline: 1,
};

export function testWorld(o: TestWorldOptions): TestWorld {
  const regions = o.regions ?? ["us-east"];
  const kernel = new Kernel({ seed: o.seed ?? 1, checkMode: o.checkMode ?? false, checkEvery: o.checkEvery ?? 65_536 });
  const metrics = new Metrics();
  const nodes = new NodeTable(o.viewers + o.masternodes, regions.length);
  const mbps = (x: number) => x * 1e6;
  const viewers: number[] = [];
  const masternodes: number[] = [];
  for (let i = 0; i < o.viewers; i++) viewers.push(nodes.add(ROLE_IDS.viewer, i % regions.length, mbps(o.viewerUpMbps ?? 10), mbps(o.viewerDownMbps ?? 50), NodeStatus.Online));
  for (let i = 0; i < o.masternodes; i++) masternodes.push(nodes.add(ROLE_IDS.masternode, i % regions.length, mbps(o.masternodeUpMbps ?? 200), mbps(o.masternodeDownMbps ?? 200), NodeStatus.Online));
  const net = new Network(kernel, nodes, oneWayMatrixUs(regions), { jitterCv: o.jitterCv ?? 0, loss: o.loss ?? 0, headerBytes: 64, uplinkQueueBytesMax: 1e12 }, metrics);
  const viewerChurn: ChurnRoleParams = o.viewerChurn
    ? { ...noChurn, enabled: true, online: { dist: "exponential", mean: o.viewerChurn.onlineMeanS }, offline: { dist: "exponential", mean: o.viewerChurn.offlineMeanS }, initialOnline: 0.8 }
    : noChurn;
  const timeline: TimelineEntry[] = (o.timeline ?? []).map((e) => ({ at: "0s", action: "crash", role: "all", fraction: 0, count: 0, region: "", regions: [], for: "0s", ...e }));
  const faults = new Faults(kernel, nodes, net, {
    churn: { viewer: viewerChurn, creator: noChurn, masternode: noChurn, delegate: noChurn },
    timeline,
    regionIndex: new Map(regions.map((n, i) => [n, i])),
    regionWeights: regions.map(() => 1),
    bandwidthBps: {
      viewer: { up: mbps(o.viewerUpMbps ?? 10), down: mbps(o.viewerDownMbps ?? 50) },
      creator: { up: mbps(20), down: mbps(100) },
      masternode: { up: mbps(o.masternodeUpMbps ?? 200), down: mbps(o.masternodeDownMbps ?? 200) },
      delegate: { up: mbps(100), down: mbps(100) },
    },
  }, metrics);
  return { kernel, nodes, net, faults, metrics, viewers, masternodes };
}

/** Counter and gauge values by name (what the time series would record now). */
export function sampleMetrics(m: Metrics): Map<string, number> {
  const out = new Map<string, number>();
  m.sample((n, v) => out.set(n, v));
  return out;
}

export interface DriverOptions {
  /** Video ids to choose from, most popular first. */
  videos: readonly number[];
  /** Segments each video has (by position in `videos`). */
  segments: readonly number[];
  zipf: number;
  gapMeanS: number;
  /** Segments watched per session: a fraction of the video drawn uniformly in [watchMin, 1]. */
  watchMin: number;
}

/** Keeps every online viewer watching: session after session, separated by exponential gaps. */
export class ViewerDriver {
  private readonly kind: KindId;
  private epoch: Uint32Array;
  private readonly zipf: ZipfSampler;
  sessionsStarted = 0;
  sessionsRefused = 0;

  constructor(private readonly w: TestWorld, private readonly swarm: Swarm, private readonly o: DriverOptions) {
    this.zipf = new ZipfSampler(o.videos.length, o.zipf);
    this.epoch = new Uint32Array(Math.max(16, w.nodes.count * 2));
    this.kind = w.kernel.register("testkit.session", (ctx, v, _d, ep) => this.onSession(ctx, v, ep));
    w.faults.onChange((ctx, node, up) => {
      if (w.nodes.role[node] !== ROLE_IDS.viewer) return;
      this.grow(node);
      this.epoch[node]++;
      if (up) this.next(ctx, node);
    });
  }

  /** Start every online viewer (call once before running). */
  start(): void {
    for (const v of this.w.viewers) if (this.w.nodes.isUp(v)) this.next(this.w.kernel, v);
  }

  /** Hook for `sessionEnded`: schedule the viewer's next session if it is still online. */
  ended(ctx: SimContext, viewer: number): void {
    if (this.w.nodes.isUp(viewer)) this.next(ctx, viewer);
  }

  private grow(node: number): void {
    if (node < this.epoch.length) return;
    const e = new Uint32Array(node * 2 + 16);
    e.set(this.epoch);
    this.epoch = e;
  }

  private next(ctx: SimContext, v: number): void {
    ctx.schedule(exponential(ctx.rng("testkit/gaps"), this.o.gapMeanS * SECOND), this.kind, v, undefined, this.epoch[v]);
  }

  private onSession(ctx: SimContext, v: number, ep: number): void {
    if (ep !== this.epoch[v] || !this.w.nodes.isUp(v) || this.swarm.isWatching(v)) return;
    const rng = ctx.rng("testkit/choices");
    const i = this.zipf.sample(rng) - 1;
    const n = this.o.segments[i];
    const watch = Math.max(1, Math.ceil(n * (this.o.watchMin + (1 - this.o.watchMin) * rng.float())));
    if (this.swarm.watch(ctx, v, this.o.videos[i], watch)) this.sessionsStarted++;
    else {
      this.sessionsRefused++;
      this.next(ctx, v);
    }
  }
}
