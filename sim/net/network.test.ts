/**
 * The network model against hand-computed delivery times, capacity sharing, loss rates, partitions and down
 * receivers.
 */
import { describe, expect, it } from "vitest";
import { Kernel } from "../kernel/kernel.ts";
import { Metrics } from "../kernel/metrics.ts";
import { NodeTable, NodeStatus, ROLE_IDS } from "./nodes.ts";
import { Network, type NetworkParams } from "./network.ts";
import { oneWayMatrixUs, rttMs } from "./regions.ts";

function world(params: Partial<NetworkParams> = {}) {
  const kernel = new Kernel({ seed: 5 });
  const metrics = new Metrics();
  const nodes = new NodeTable(4, 2);
  // 0: viewer in region 0 (10/50 Mbps); 1: masternode in region 0; 2: masternode in region 1 (200/200 Mbps).
  nodes.add(ROLE_IDS.viewer, 0, 10e6, 50e6, NodeStatus.Online);
  nodes.add(ROLE_IDS.masternode, 0, 200e6, 200e6, NodeStatus.Online);
  nodes.add(ROLE_IDS.masternode, 1, 200e6, 200e6, NodeStatus.Online);
  const net = new Network(kernel, nodes, oneWayMatrixUs(["us-east", "eu-west"]), { jitterCv: 0, loss: 0, headerBytes: 64, uplinkQueueBytesMax: 1e9, ...params }, metrics);
  const arrivals: { t: number; to: number; from: number; payload: number }[] = [];
  const type = net.on<number>("test", (ctx, to, from, payload) => arrivals.push({ t: ctx.now, to, from, payload }));
  const counters = () => { const m = new Map<string, number>(); metrics.sample((n, v) => m.set(n, v)); return m; };
  return { kernel, nodes, net, type, arrivals, counters };
}

describe("Network", () => {
  it("delivers after uplink serialisation plus propagation (hand-computed)", () => {
    const w = world();
    w.net.send(0, 1, w.type, 1_000_000, 1);
    w.kernel.run({ endTime: 1e9 });
    const size = 1_000_064;
    const up = (size * 8e6) / 10e6; // µs on the viewer's 10 Mbit/s uplink
    const prop = (rttMs("us-east", "us-east") / 2) * 1000;
    expect(w.arrivals).toHaveLength(1);
    expect(w.arrivals[0].t).toBe(Math.ceil(up + prop));
  });

  it("concurrent transfers share the uplink: the second finishes one serialisation later", () => {
    const w = world();
    w.net.send(0, 1, w.type, 500_000, 1);
    w.net.send(0, 2, w.type, 500_000, 2);
    w.kernel.run({ endTime: 1e9 });
    const ser = (500_064 * 8e6) / 10e6;
    const t1 = w.arrivals.find((a) => a.payload === 1)!.t;
    const t2 = w.arrivals.find((a) => a.payload === 2)!.t;
    expect(t1).toBe(Math.ceil(ser + 5000));
    expect(t2).toBe(Math.ceil(2 * ser + oneWayMatrixUs(["us-east", "eu-west"])[1]));
  });

  it("the downlink is a bottleneck too: two senders into one slow receiver queue behind each other", () => {
    const w = world();
    w.net.send(1, 0, w.type, 1_000_000, 1);
    w.net.send(2, 0, w.type, 1_000_000, 2);
    w.kernel.run({ endTime: 1e9 });
    const down = (1_000_064 * 8e6) / 50e6;
    const times = w.arrivals.map((a) => a.t).sort((a, b) => a - b);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(Math.floor(down) - 1);
  });

  it("loses messages at the configured rate (within a 99.9 % binomial band)", () => {
    const w = world({ loss: 0.1 });
    const n = 20_000;
    for (let i = 0; i < n; i++) w.net.send(1, 2, w.type, 100, i);
    w.kernel.run({ endTime: 1e12 });
    const lost = w.counters().get("net.messages_lost")!;
    const sd = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs(lost - n * 0.1)).toBeLessThan(3.3 * sd);
    expect(w.arrivals.length + lost).toBe(n);
  });

  it("drops across a partition and delivers again after heal; drops to a receiver that is down", () => {
    const w = world();
    w.net.setPartition(0, [1], 1);
    expect(w.net.send(1, 2, w.type, 100, 1)).toBe("partitioned");
    w.net.setPartition(0, [1], -1);
    expect(w.net.send(1, 2, w.type, 100, 2)).toBe("sent");
    w.nodes.status[2] = NodeStatus.Offline;
    w.kernel.run({ endTime: 1e9 });
    expect(w.arrivals).toHaveLength(0);
    expect(w.counters().get("net.messages_receiver_down")).toBe(1);
    expect(w.counters().get("net.messages_partitioned")).toBe(1);
    w.nodes.regionDown[0] = 1;
    expect(w.net.send(0, 1, w.type, 100, 3)).toBe("sender-down");
  });
});
