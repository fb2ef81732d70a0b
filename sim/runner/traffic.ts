/**
 * The probe workload: online viewers fetch video segments from masternodes through the network model.
 *
 * Purpose: until the distribution model (issue 6) replaces it, this exercises the kernel, the network model and
 * churn/faults end to end with traffic shaped like video delivery, and measures what a viewer would see: fetch
 * latency, timeouts, and fetches that found no server. It is deliberately simple and says so in its metric names
 * (`traffic.*`).
 *
 * Method: while a viewer is up it issues one fetch at a time, gaps exponential with the scenario's mean. A fetch
 * picks a masternode — in the viewer's own region with probability `sameRegionPreference`, otherwise any region —
 * uniformly among those up (bounded tries), sends a small request, and the masternode answers with
 * `segmentBytes`. A fetch without an answer within `timeout` counts as a timeout. A viewer going down abandons
 * its fetch; coming up starts a new fetch loop. All draws come from the "traffic" streams.
 */
import type { Kernel, SimContext } from "../kernel/index.ts";
import { exponential } from "../kernel/distributions.ts";
import { SECOND, parseDuration } from "../kernel/time.ts";
import type { Counter, Histogram, Metrics } from "../kernel/metrics.ts";
import { ROLE_IDS, type NodeTable } from "../net/nodes.ts";
import type { Network } from "../net/network.ts";
import type { Faults } from "../faults/faults.ts";
import type { TrafficParams } from "../../scenarios/schema.ts";

const REQUEST_BYTES = 200;
const PICK_TRIES = 8;

interface Request {
  viewer: number;
  fetchId: number;
  sentAt: number;
}

export class ProbeTraffic {
  private readonly kernel: Kernel;
  private readonly nodes: NodeTable;
  private readonly net: Network;
  private readonly p: TrafficParams;
  private readonly timeoutUs: number;
  /** Masternode ids by region (index order), and all masternodes. */
  private readonly byRegion: number[][];
  private readonly all: number[] = [];
  /** Per viewer: id of the fetch in progress (0 = none), its timeout handle, and a loop epoch. */
  private fetchOf = new Float64Array(16);
  private timeoutOf = new Float64Array(16);
  private loopEpoch = new Uint32Array(16);
  private nextFetchId = 1;
  private readonly kinds: { next: number; timeout: number };
  private readonly msg: { request: number; response: number };
  private readonly c: Record<"fetches" | "completed" | "timeouts" | "noServer" | "abandoned", Counter>;
  private readonly latency: Histogram;

  constructor(kernel: Kernel, nodes: NodeTable, net: Network, faults: Faults, p: TrafficParams, metrics: Metrics) {
    this.kernel = kernel;
    this.nodes = nodes;
    this.net = net;
    this.p = p;
    this.timeoutUs = parseDuration(p.timeout)!;
    this.byRegion = Array.from({ length: nodes.regionCount }, () => []);
    this.kinds = {
      next: kernel.register("traffic.next_fetch", (ctx, viewer, _d, ep) => this.onNext(ctx, viewer, ep)),
      timeout: kernel.register("traffic.timeout", (ctx, viewer, _d, fetchId) => this.onTimeout(ctx, viewer, fetchId)),
    };
    this.msg = {
      request: net.on<Request>("traffic.request", (ctx, mn, viewer, req) => this.onRequest(ctx, mn, viewer, req)),
      response: net.on<Request>("traffic.response", (ctx, viewer, _mn, req) => this.onResponse(ctx, viewer, req)),
    };
    this.c = {
      fetches: metrics.counter("traffic.fetches"),
      completed: metrics.counter("traffic.fetches_completed"),
      timeouts: metrics.counter("traffic.fetches_timed_out"),
      noServer: metrics.counter("traffic.fetches_no_server"),
      abandoned: metrics.counter("traffic.fetches_abandoned"),
    };
    this.latency = metrics.histogram("traffic.fetch_latency_s");
    metrics.gauge("traffic.success_ratio", () => (this.c.fetches.value > 0 ? this.c.completed.value / this.c.fetches.value : 1));
    faults.onArrive((_ctx, id) => this.adopt(id));
    faults.onChange((ctx, id, up) => this.onNodeChange(ctx, id, up));
  }

  private grow(id: number): void {
    if (id < this.fetchOf.length) return;
    let cap = this.fetchOf.length;
    while (cap <= id) cap *= 2;
    const f = new Float64Array(cap); f.set(this.fetchOf); this.fetchOf = f;
    const t = new Float64Array(cap); t.set(this.timeoutOf); this.timeoutOf = t;
    const e = new Uint32Array(cap); e.set(this.loopEpoch); this.loopEpoch = e;
  }

  private adopt(id: number): void {
    if (this.nodes.role[id] === ROLE_IDS.masternode) {
      this.byRegion[this.nodes.region[id]].push(id);
      this.all.push(id);
    }
    this.grow(id);
  }

  /** Register existing nodes and start every up viewer's fetch loop (call once, at t = 0). */
  start(): void {
    if (!this.p.enabled) return;
    for (let id = 0; id < this.nodes.count; id++) this.adopt(id);
    for (let id = 0; id < this.nodes.count; id++) if (this.nodes.role[id] === ROLE_IDS.viewer && this.nodes.isUp(id)) this.scheduleNext(id);
  }

  private scheduleNext(viewer: number): void {
    const gap = exponential(this.kernel.rng("traffic/gaps"), this.p.fetchIntervalMeanS) * SECOND;
    this.kernel.schedule(gap, this.kinds.next, viewer, undefined, this.loopEpoch[viewer]);
  }

  private onNodeChange(_ctx: SimContext, id: number, up: boolean): void {
    if (!this.p.enabled || this.nodes.role[id] !== ROLE_IDS.viewer) return;
    this.grow(id);
    this.loopEpoch[id]++;
    if (this.fetchOf[id] !== 0) {
      this.c.abandoned.add(1);
      this.kernel.cancel(this.timeoutOf[id]);
      this.fetchOf[id] = 0;
    }
    if (up) this.scheduleNext(id);
  }

  private pick(ctx: SimContext, viewer: number): number {
    const rng = ctx.rng("traffic/pick");
    const local = this.byRegion[this.nodes.region[viewer]];
    const pool = local.length > 0 && rng.float() < this.p.sameRegionPreference ? local : this.all;
    if (pool.length === 0) return -1;
    for (let i = 0; i < PICK_TRIES; i++) {
      const mn = pool[rng.int(pool.length)];
      if (this.nodes.isUp(mn) && !this.net.isPartitioned(viewer, mn)) return mn;
    }
    return -1;
  }

  private onNext(ctx: SimContext, viewer: number, ep: number): void {
    if (ep !== this.loopEpoch[viewer] || !this.nodes.isUp(viewer)) return;
    this.c.fetches.add(1);
    const mn = this.pick(ctx, viewer);
    if (mn < 0) {
      this.c.noServer.add(1);
      this.scheduleNext(viewer);
      return;
    }
    const fetchId = this.nextFetchId++;
    this.fetchOf[viewer] = fetchId;
    this.timeoutOf[viewer] = ctx.schedule(this.timeoutUs, this.kinds.timeout, viewer, undefined, fetchId);
    this.net.send<Request>(viewer, mn, this.msg.request, REQUEST_BYTES, { viewer, fetchId, sentAt: ctx.now });
  }

  private onRequest(_ctx: SimContext, mn: number, viewer: number, req: Request): void {
    this.net.send<Request>(mn, viewer, this.msg.response, this.p.segmentBytes, req);
  }

  private onResponse(ctx: SimContext, viewer: number, req: Request): void {
    if (this.fetchOf[viewer] !== req.fetchId) return; // late answer to a fetch that timed out or was abandoned
    this.fetchOf[viewer] = 0;
    this.kernel.cancel(this.timeoutOf[viewer]);
    this.c.completed.add(1);
    this.latency.observe((ctx.now - req.sentAt) / SECOND);
    this.scheduleNext(viewer);
  }

  private onTimeout(_ctx: SimContext, viewer: number, fetchId: number): void {
    if (this.fetchOf[viewer] !== fetchId) return;
    this.fetchOf[viewer] = 0;
    this.c.timeouts.add(1);
    this.scheduleNext(viewer);
  }
}
