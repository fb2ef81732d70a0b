/**
 * The network model: messages between nodes, delivered through the kernel.
 *
 * Purpose: give every message a realistic, deterministic delivery time and fate — latency by region pair with
 * jitter, serialisation on the sender's uplink and the receiver's downlink, random loss, partitions, and nodes
 * that are down.
 *
 * Method (one O(1) computation per message, no per-packet events):
 * - Each node's uplink and downlink is a FIFO server at its bandwidth (store-and-forward per access link).
 *   A message of S bytes (+ header) occupies the sender's uplink for S·8/up seconds starting when the uplink is
 *   free; concurrent transfers therefore share capacity — their aggregate rate never exceeds the link's — but
 *   FIFO, not processor-sharing (a long transfer delays the short ones behind it, as a single TCP connection
 *   would). The receiver's downlink is reserved the same way when the message is sent.
 * - Propagation is the region pair's one-way latency (regions.ts) times a lognormal jitter factor (mean 1).
 * - Arrival = max(uplink finish + propagation, downlink finish). The backbone is assumed not to be the
 *   bottleneck; access links are.
 * - Loss is a Bernoulli draw per message from the network's own stream. A message whose sender is down is not
 *   sent; one whose receiver is down, or whose path is partitioned, when it arrives is dropped. Each fate is
 *   counted in metrics.
 * - An uplink backlog beyond `uplinkQueueBytesMax` drops the message (a limit on everything).
 * Handlers are registered per message type; delivery is one kernel event ("net.deliver") whose target is the
 * receiving node, so the trace hash covers every delivery.
 */
import type { Kernel, KindId, Prng, SimContext } from "../kernel/index.ts";
import { lognormalMeanCv } from "../kernel/distributions.ts";
import type { Counter, Metrics } from "../kernel/metrics.ts";
import type { NodeTable } from "./nodes.ts";

export type MessageHandler<P> = (ctx: SimContext, to: number, from: number, payload: P, bytes: number) => void;

export interface NetworkParams {
  jitterCv: number;
  loss: number;
  headerBytes: number;
  uplinkQueueBytesMax: number;
}

interface InFlight {
  type: number;
  from: number;
  bytes: number;
  payload: unknown;
}

export type SendResult = "sent" | "sender-down" | "lost" | "queue-full" | "partitioned";

export class Network {
  private readonly kernel: Kernel;
  private readonly nodes: NodeTable;
  private readonly params: NetworkParams;
  private readonly rng: Prng;
  private readonly latencyUs: Float64Array;
  private readonly regionCount: number;
  private upFree: Float64Array;
  private downFree: Float64Array;
  /** partition[i * R + j] > 0 ⇒ regions i and j cannot exchange messages. Counts overlapping partitions. */
  readonly partition: Uint16Array;
  private readonly handlers: MessageHandler<any>[] = [];
  private readonly typeNames: string[] = [];
  private readonly deliverKind: KindId;
  private readonly c: Record<"sent" | "delivered" | "lost" | "senderDown" | "receiverDown" | "partitioned" | "queueFull" | "bytesSent" | "bytesDelivered", Counter>;

  constructor(kernel: Kernel, nodes: NodeTable, latencyUs: Float64Array, params: NetworkParams, metrics: Metrics) {
    this.kernel = kernel;
    this.nodes = nodes;
    this.params = params;
    this.rng = kernel.rng("net");
    this.latencyUs = latencyUs;
    this.regionCount = nodes.regionCount;
    if (latencyUs.length !== this.regionCount * this.regionCount) throw new Error("latency matrix does not match region count");
    this.upFree = new Float64Array(Math.max(16, nodes.count));
    this.downFree = new Float64Array(Math.max(16, nodes.count));
    this.partition = new Uint16Array(this.regionCount * this.regionCount);
    this.deliverKind = kernel.register<InFlight>("net.deliver", (ctx, to, msg) => this.deliver(ctx, to, msg));
    this.c = {
      sent: metrics.counter("net.messages_sent"),
      delivered: metrics.counter("net.messages_delivered"),
      lost: metrics.counter("net.messages_lost"),
      senderDown: metrics.counter("net.messages_sender_down"),
      receiverDown: metrics.counter("net.messages_receiver_down"),
      partitioned: metrics.counter("net.messages_partitioned"),
      queueFull: metrics.counter("net.messages_queue_full"),
      bytesSent: metrics.counter("net.bytes_sent"),
      bytesDelivered: metrics.counter("net.bytes_delivered"),
    };
  }

  /** Register a message type; returns its id for send(). Registration order must be deterministic. */
  on<P>(name: string, handler: MessageHandler<P>): number {
    this.typeNames.push(name);
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  /** One-way base latency between two nodes' regions, µs. */
  baseLatencyUs(from: number, to: number): number {
    return this.latencyUs[this.nodes.region[from] * this.regionCount + this.nodes.region[to]];
  }

  /**
   * When `node`'s uplink finishes the transmissions queued on it, µs (≤ now when idle; 0 if it never sent). Lets a
   * model gate on a sender's backlog (the distribution model's "spare capacity") without keeping its own copy.
   */
  uplinkFreeAtUs(node: number): number {
    return node < this.upFree.length ? this.upFree[node] : 0;
  }

  isPartitioned(from: number, to: number): boolean {
    return this.partition[this.nodes.region[from] * this.regionCount + this.nodes.region[to]] > 0;
  }

  /** Cut (delta = +1) or heal (delta = −1) the links between region a and each region in `others`. */
  setPartition(a: number, others: readonly number[], delta: 1 | -1): void {
    const r = this.regionCount;
    for (const b of others) {
      if (a === b) continue;
      const v = this.partition[a * r + b] + delta;
      this.partition[a * r + b] = v < 0 ? 0 : v;
      this.partition[b * r + a] = v < 0 ? 0 : v;
    }
  }

  /** Ensure per-node link state covers nodes added after construction (arrivals). */
  private ensure(id: number): void {
    if (id < this.upFree.length) return;
    let cap = this.upFree.length;
    while (cap <= id) cap *= 2;
    const up = new Float64Array(cap); up.set(this.upFree); this.upFree = up;
    const down = new Float64Array(cap); down.set(this.downFree); this.downFree = down;
  }

  /**
   * Send `bytes` of payload from `from` to `to`. Returns what happened at send time; a "sent" message may still be
   * dropped on arrival (receiver down, partition).
   */
  send<P>(from: number, to: number, type: number, bytes: number, payload: P): SendResult {
    const nodes = this.nodes;
    if (!nodes.isUp(from)) {
      this.c.senderDown.add(1);
      return "sender-down";
    }
    if (this.isPartitioned(from, to)) {
      this.c.partitioned.add(1);
      return "partitioned";
    }
    this.ensure(from > to ? from : to);
    const now = this.kernel.now;
    const size = bytes + this.params.headerBytes;
    const upStart = this.upFree[from] > now ? this.upFree[from] : now;
    // Backlog check: bytes already queued ahead of this message on the uplink.
    const backlogBytes = ((upStart - now) * nodes.upBps[from]) / 8e6;
    if (backlogBytes + size > this.params.uplinkQueueBytesMax && upStart > now) {
      this.c.queueFull.add(1);
      return "queue-full";
    }
    const upDone = upStart + (size * 8e6) / nodes.upBps[from];
    this.upFree[from] = upDone;
    this.c.sent.add(1);
    this.c.bytesSent.add(size);
    if (this.params.loss > 0 && this.rng.float() < this.params.loss) {
      this.c.lost.add(1);
      return "lost";
    }
    let prop = this.baseLatencyUs(from, to);
    if (this.params.jitterCv > 0) prop *= lognormalMeanCv(this.rng, 1, this.params.jitterCv);
    const firstBit = upStart + prop;
    const downStart = this.downFree[to] > firstBit ? this.downFree[to] : firstBit;
    const downDone = downStart + (size * 8e6) / nodes.downBps[to];
    this.downFree[to] = downDone;
    const arrival = Math.max(upDone + prop, downDone);
    const msg: InFlight = { type, from, bytes, payload };
    this.kernel.scheduleAt(Math.ceil(arrival), this.deliverKind, to, msg);
    return "sent";
  }

  private deliver(ctx: SimContext, to: number, msg: InFlight): void {
    if (!this.nodes.isUp(to)) {
      this.c.receiverDown.add(1);
      return;
    }
    if (this.isPartitioned(msg.from, to)) {
      this.c.partitioned.add(1);
      return;
    }
    this.c.delivered.add(1);
    this.c.bytesDelivered.add(msg.bytes + this.params.headerBytes);
    this.handlers[msg.type](ctx, to, msg.from, msg.payload, msg.bytes);
  }

  /** Forget a node's queued link time (it crashed or left: its transfers are gone). */
  resetLinks(id: number): void {
    if (id < this.upFree.length) {
      this.upFree[id] = 0;
      this.downFree[id] = 0;
    }
  }
}
