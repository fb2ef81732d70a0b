/**
 * Churn and faults: the one place that changes whether a node is up.
 *
 * Purpose: model how nodes come and go — on/off sessions with configurable length distributions, permanent
 * departures and new arrivals — and the fault timeline a scenario declares ("at T, crash 30 % of masternodes for
 * 2 h", "take region eu-west down", "partition ap-southeast from the rest"). Models learn of every change through
 * listeners, called synchronously in registration order, so they can react (repair, re-route, stop producing).
 *
 * Method:
 * - Node status lives in the NodeTable (Online, Offline, Crashed, Departed, Dormant); a region outage is a flag per
 *   region, so restoring a region brings back exactly the nodes that were individually online.
 * - Churn events carry the node's *epoch* in their numeric argument; every status change bumps the epoch, so a
 *   session event scheduled before a crash or recovery is recognised as stale and ignored (no double sessions).
 * - Sets of nodes for timeline actions are drawn from the timeline's own random stream ("faults/timeline/<i>")
 *   over eligible nodes in index order, so adding churn draws never changes which nodes a timeline entry hits.
 * - Arrivals are a Poisson process per role; a new node gets a region drawn by the scenario's weights.
 */
import type { Kernel, SimContext } from "../kernel/index.ts";
import { draw, exponential, sampleIndices, weightedIndex, type DistSpec } from "../kernel/distributions.ts";
import { DAY, SECOND, parseDuration } from "../kernel/time.ts";
import type { Counter, Metrics } from "../kernel/metrics.ts";
import { NodeStatus, ROLE_IDS, ROLE_NAMES, type NodeTable, type RoleId } from "../net/nodes.ts";
import type { Network } from "../net/network.ts";

export type NodeChangeCause = "churn" | "crash" | "recover" | "depart" | "arrive" | "region-outage" | "region-restore";
export type NodeChangeListener = (ctx: SimContext, node: number, up: boolean, cause: NodeChangeCause) => void;
/** Called when a node is created after t = 0 (an arrival), before it is announced as up. */
export type NodeArrivalListener = (ctx: SimContext, node: number) => void;

export interface ChurnRoleParams {
  enabled: boolean;
  online: DistSpec;
  offline: DistSpec;
  departure: number;
  arrivalsPerDay: number;
  initialOnline: number;
}

export interface TimelineEntry {
  at: string;
  action: "crash" | "recover" | "depart" | "arrive" | "region-outage" | "region-restore" | "partition" | "heal";
  role: "viewer" | "creator" | "masternode" | "delegate" | "all";
  fraction: number;
  count: number;
  region: string;
  regions: readonly string[];
  for: string;
}

export interface FaultsConfig {
  churn: Record<(typeof ROLE_NAMES)[number], ChurnRoleParams>;
  timeline: readonly TimelineEntry[];
  /** Region index by name (the scenario's regions, in order). */
  regionIndex: ReadonlyMap<string, number>;
  /** Region weights, in region-index order (for arrivals). */
  regionWeights: readonly number[];
  /** Link bandwidth per role, bits/s. */
  bandwidthBps: Record<(typeof ROLE_NAMES)[number], { up: number; down: number }>;
}

interface Undo {
  action: "recover" | "region-restore" | "heal";
  nodes?: number[];
  region?: number;
  others?: number[];
}

export class Faults {
  private readonly kernel: Kernel;
  private readonly nodes: NodeTable;
  private readonly net: Network;
  private readonly cfg: FaultsConfig;
  private epoch: Uint32Array;
  private readonly listeners: NodeChangeListener[] = [];
  private readonly arrivalListeners: NodeArrivalListener[] = [];
  private readonly undo: Undo[] = [];
  private readonly kinds: { sessionEnd: number; sessionStart: number; arrival: number; timeline: number; undo: number };
  private readonly c: Record<"sessionsEnded" | "departures" | "arrivals" | "crashes" | "recoveries" | "regionOutages" | "partitions", Counter>;

  constructor(kernel: Kernel, nodes: NodeTable, net: Network, cfg: FaultsConfig, metrics: Metrics) {
    this.kernel = kernel;
    this.nodes = nodes;
    this.net = net;
    this.cfg = cfg;
    this.epoch = new Uint32Array(Math.max(16, nodes.count));
    this.kinds = {
      sessionEnd: kernel.register("churn.session_end", (ctx, node, _d, ep) => this.onSessionEnd(ctx, node, ep)),
      sessionStart: kernel.register("churn.session_start", (ctx, node, _d, ep) => this.onSessionStart(ctx, node, ep)),
      arrival: kernel.register("churn.arrival", (ctx, role) => this.onArrival(ctx, role as RoleId)),
      timeline: kernel.register("faults.timeline", (ctx, i) => this.onTimeline(ctx, i)),
      undo: kernel.register("faults.undo", (ctx, i) => this.onUndo(ctx, i)),
    };
    this.c = {
      sessionsEnded: metrics.counter("churn.sessions_ended"),
      departures: metrics.counter("churn.departures"),
      arrivals: metrics.counter("churn.arrivals"),
      crashes: metrics.counter("faults.crashes"),
      recoveries: metrics.counter("faults.recoveries"),
      regionOutages: metrics.counter("faults.region_outages"),
      partitions: metrics.counter("faults.partitions"),
    };
    for (let r = 0; r < ROLE_NAMES.length; r++) {
      const role = r as RoleId;
      metrics.gauge(`nodes.up_${ROLE_NAMES[r]}s`, () => this.nodes.countUp(role));
    }
  }

  onChange(listener: NodeChangeListener): void {
    this.listeners.push(listener);
  }

  onArrive(listener: NodeArrivalListener): void {
    this.arrivalListeners.push(listener);
  }

  /** Set initial states (t = 0, before the run) and schedule churn, arrivals and the timeline. */
  start(): void {
    const k = this.kernel;
    for (let r = 0; r < ROLE_NAMES.length; r++) {
      const p = this.cfg.churn[ROLE_NAMES[r]];
      const rng = k.rng(`churn/${ROLE_NAMES[r]}/initial`);
      for (let id = 0; id < this.nodes.count; id++) {
        if (this.nodes.role[id] !== r) continue;
        if (!p.enabled) {
          this.nodes.status[id] = NodeStatus.Online;
          continue;
        }
        const online = rng.float() < p.initialOnline;
        this.nodes.status[id] = online ? NodeStatus.Online : NodeStatus.Offline;
        this.scheduleSession(id, online);
      }
      if (p.enabled && p.arrivalsPerDay > 0) {
        k.schedule(exponential(k.rng(`churn/${ROLE_NAMES[r]}/arrivals`), DAY / p.arrivalsPerDay), this.kinds.arrival, r);
      }
    }
    this.cfg.timeline.forEach((e, i) => k.scheduleAt(parseDuration(e.at)!, this.kinds.timeline, i));
  }

  private churnOf(node: number): ChurnRoleParams {
    return this.cfg.churn[ROLE_NAMES[this.nodes.role[node]]];
  }

  private ensureEpoch(node: number): void {
    if (node < this.epoch.length) return;
    let cap = this.epoch.length;
    while (cap <= node) cap *= 2;
    const e = new Uint32Array(cap);
    e.set(this.epoch);
    this.epoch = e;
  }

  /** Schedule the end of an online session (online = true) or of an offline gap. */
  private scheduleSession(node: number, online: boolean): void {
    const p = this.churnOf(node);
    if (!p.enabled) return;
    const rng = this.kernel.rng(`churn/${ROLE_NAMES[this.nodes.role[node]]}/sessions`);
    const lengthS = draw(rng, online ? p.online : p.offline);
    this.ensureEpoch(node);
    this.kernel.schedule(Math.max(1, lengthS * SECOND), online ? this.kinds.sessionEnd : this.kinds.sessionStart, node, undefined, this.epoch[node]);
  }

  /** The one function that changes a node's status; notifies listeners if up-ness changed. */
  private setStatus(ctx: SimContext, node: number, status: NodeStatus, cause: NodeChangeCause): void {
    const wasUp = this.nodes.isUp(node);
    this.nodes.status[node] = status;
    this.ensureEpoch(node);
    this.epoch[node]++;
    const up = this.nodes.isUp(node);
    if (wasUp !== up) this.notify(ctx, node, up, cause);
  }

  private notify(ctx: SimContext, node: number, up: boolean, cause: NodeChangeCause): void {
    if (!up) this.net.resetLinks(node);
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](ctx, node, up, cause);
  }

  private onSessionEnd(ctx: SimContext, node: number, ep: number): void {
    if (ep !== this.epoch[node] || this.nodes.status[node] !== NodeStatus.Online) return;
    this.c.sessionsEnded.add(1);
    const p = this.churnOf(node);
    const rng = ctx.rng(`churn/${ROLE_NAMES[this.nodes.role[node]]}/departures`);
    if (p.departure > 0 && rng.float() < p.departure) {
      this.c.departures.add(1);
      this.setStatus(ctx, node, NodeStatus.Departed, "depart");
      return;
    }
    this.setStatus(ctx, node, NodeStatus.Offline, "churn");
    this.scheduleSession(node, false);
  }

  private onSessionStart(ctx: SimContext, node: number, ep: number): void {
    if (ep !== this.epoch[node] || this.nodes.status[node] !== NodeStatus.Offline) return;
    this.setStatus(ctx, node, NodeStatus.Online, "churn");
    this.scheduleSession(node, true);
  }

  /** Create a node of `role` (arrival); returns its id. */
  private spawn(ctx: SimContext, role: RoleId): number {
    const rng = ctx.rng(`churn/${ROLE_NAMES[role]}/arrival-region`);
    const region = weightedIndex(rng, this.cfg.regionWeights);
    const bw = this.cfg.bandwidthBps[ROLE_NAMES[role]];
    const id = this.nodes.add(role, region, bw.up, bw.down, NodeStatus.Offline);
    this.ensureEpoch(id);
    this.c.arrivals.add(1);
    for (let i = 0; i < this.arrivalListeners.length; i++) this.arrivalListeners[i](ctx, id);
    this.setStatus(ctx, id, NodeStatus.Online, "arrive");
    this.scheduleSession(id, true);
    return id;
  }

  private onArrival(ctx: SimContext, role: RoleId): void {
    this.spawn(ctx, role);
    const p = this.cfg.churn[ROLE_NAMES[role]];
    ctx.schedule(exponential(ctx.rng(`churn/${ROLE_NAMES[role]}/arrivals`), DAY / p.arrivalsPerDay), this.kinds.arrival, role);
  }

  /** Eligible node ids of a role (or all roles) satisfying `pred`, in index order. */
  private select(role: TimelineEntry["role"], pred: (id: number) => boolean): number[] {
    const out: number[] = [];
    const r = role === "all" ? -1 : ROLE_IDS[role];
    for (let id = 0; id < this.nodes.count; id++) if ((r < 0 || this.nodes.role[id] === r) && pred(id)) out.push(id);
    return out;
  }

  /** Pick `count` (or round(fraction × eligible)) of the eligible ids with the timeline entry's own stream. */
  private pick(ctx: SimContext, i: number, e: TimelineEntry, eligible: number[]): number[] {
    const n = e.count > 0 ? Math.min(e.count, eligible.length) : Math.round(e.fraction * eligible.length);
    if (n >= eligible.length) return eligible;
    const idx = sampleIndices(ctx.rng(`faults/timeline/${i}`), eligible.length, n);
    return idx.sort((a, b) => a - b).map((j) => eligible[j]);
  }

  private regionOf(name: string): number {
    const r = this.cfg.regionIndex.get(name);
    if (r === undefined) throw new Error(`unknown region "${name}"`); // validated before the run; a bug if reached
    return r;
  }

  private otherRegions(e: TimelineEntry, a: number): number[] {
    if (e.regions.length === 0) {
      const out: number[] = [];
      for (let r = 0; r < this.nodes.regionCount; r++) if (r !== a) out.push(r);
      return out;
    }
    return e.regions.map((n) => this.regionOf(n));
  }

  private onTimeline(ctx: SimContext, i: number): void {
    const e = this.cfg.timeline[i];
    const forUs = parseDuration(e.for) ?? 0;
    const st = this.nodes.status;
    switch (e.action) {
      case "crash": {
        const victims = this.pick(ctx, i, e, this.select(e.role, (id) => st[id] === NodeStatus.Online || st[id] === NodeStatus.Offline));
        for (const id of victims) this.setStatus(ctx, id, NodeStatus.Crashed, "crash");
        this.c.crashes.add(victims.length);
        if (forUs > 0) this.scheduleUndo(forUs, { action: "recover", nodes: victims });
        break;
      }
      case "recover": {
        const crashed = this.pick(ctx, i, e.count === 0 && e.fraction === 0 ? { ...e, fraction: 1 } : e, this.select(e.role, (id) => st[id] === NodeStatus.Crashed));
        this.recover(ctx, crashed);
        break;
      }
      case "depart": {
        const leaving = this.pick(ctx, i, e, this.select(e.role, (id) => st[id] === NodeStatus.Online || st[id] === NodeStatus.Offline));
        for (const id of leaving) this.setStatus(ctx, id, NodeStatus.Departed, "depart");
        this.c.departures.add(leaving.length);
        break;
      }
      case "arrive": {
        const roles = e.role === "all" ? [0, 1, 2, 3] : [ROLE_IDS[e.role]];
        for (const r of roles) {
          const n = e.count > 0 ? e.count : Math.round(e.fraction * this.select(ROLE_NAMES[r], (id) => st[id] !== NodeStatus.Departed).length);
          for (let j = 0; j < n; j++) this.spawn(ctx, r as RoleId);
        }
        break;
      }
      case "region-outage": {
        const r = this.regionOf(e.region);
        this.setRegionDown(ctx, r, true);
        if (forUs > 0) this.scheduleUndo(forUs, { action: "region-restore", region: r });
        break;
      }
      case "region-restore":
        this.setRegionDown(ctx, this.regionOf(e.region), false);
        break;
      case "partition": {
        const a = this.regionOf(e.region);
        const others = this.otherRegions(e, a);
        this.net.setPartition(a, others, 1);
        this.c.partitions.add(1);
        if (forUs > 0) this.scheduleUndo(forUs, { action: "heal", region: a, others });
        break;
      }
      case "heal": {
        const a = this.regionOf(e.region);
        this.net.setPartition(a, this.otherRegions(e, a), -1);
        break;
      }
    }
  }

  private recover(ctx: SimContext, ids: readonly number[]): void {
    let n = 0;
    for (const id of ids) {
      if (this.nodes.status[id] !== NodeStatus.Crashed) continue;
      this.setStatus(ctx, id, NodeStatus.Online, "recover");
      this.scheduleSession(id, true);
      n++;
    }
    this.c.recoveries.add(n);
  }

  private setRegionDown(ctx: SimContext, r: number, down: boolean): void {
    if ((this.nodes.regionDown[r] === 1) === down) return;
    const wasUp: number[] = [];
    for (let id = 0; id < this.nodes.count; id++) if (this.nodes.region[id] === r && this.nodes.isUp(id)) wasUp.push(id);
    this.nodes.regionDown[r] = down ? 1 : 0;
    if (down) {
      this.c.regionOutages.add(1);
      for (const id of wasUp) this.notify(ctx, id, false, "region-outage");
    } else {
      for (let id = 0; id < this.nodes.count; id++) if (this.nodes.region[id] === r && this.nodes.isUp(id)) this.notify(ctx, id, true, "region-restore");
    }
  }

  private scheduleUndo(afterUs: number, u: Undo): void {
    this.undo.push(u);
    this.kernel.schedule(afterUs, this.kinds.undo, this.undo.length - 1);
  }

  private onUndo(ctx: SimContext, i: number): void {
    const u = this.undo[i];
    switch (u.action) {
      case "recover":
        this.recover(ctx, u.nodes!);
        break;
      case "region-restore":
        this.setRegionDown(ctx, u.region!, false);
        break;
      case "heal":
        this.net.setPartition(u.region!, u.others!, -1);
        break;
    }
  }
}
