/**
 * Distribution benchmark: `npx tsx models/distribution/distribution.bench.ts`.
 *
 * Purpose: what the swarm costs per delivered segment at the economy baseline's scale — 10,000 viewers (churning,
 * ~1/3 online), 500 masternodes, 5,000 videos (Zipf 0.9 popularity, ~10 min, 2.5 Mbit/s, 10 s segments, 16 holders
 * each), over one simulated day (≈ 2 M deliveries) — and how much of it is the swarm's own work.
 *
 * Method: the same process measures (1) the swarm run: wall time, deliveries, kernel events; (2) the kernel and
 * network alone: a ping-pong workload of the same number of `net.send`s (same world, same message sizes, a similar
 * number in flight) whose handler only re-sends, giving the cost of one message (send + "net.deliver" event);
 * (3) a bare kernel event (PHOLD). The swarm's own cost per delivery is then
 *   (swarm wall − deliveries × message cost − (events − deliveries) × event cost) / deliveries,
 * i.e. everything but the kernel's dispatch and the network's arithmetic. Each figure is the best of `REPS` runs
 * (noise on a shared machine only slows a run down). Wall-clock timing is allowed here and only here.
 * `BENCH_SCALE=0.1` runs a tenth of a day for a quick look.
 */
import { pholdKernel } from "../../sim/kernel/workloads.ts";
import { DAY } from "../../sim/kernel/time.ts";
import { lognormalMeanCv } from "../../sim/kernel/distributions.ts";
import type { RegionName } from "../../sim/net/regions.ts";
import { Swarm } from "./swarm.ts";
import { distributionParams } from "./params.ts";
import { sampleMetrics, testWorld, ViewerDriver } from "./testkit.ts";

const REPS = Number(process.env.BENCH_REPS ?? 2);
const SCALE = Number(process.env.BENCH_SCALE ?? 0.25);
const VIEWERS = 10_000, MASTERNODES = 500, VIDEOS = 5_000, HOLDERS = 16;
const SEGMENT_S = 10, BITRATE_KBPS = 2500;
const REGIONS: RegionName[] = ["us-east", "eu-west", "ap-southeast", "us-west", "sa-east"];

function world(seed: number) {
  return testWorld({ seed, viewers: VIEWERS, masternodes: MASTERNODES, regions: REGIONS, jitterCv: 0.1, loss: 0.001, viewerChurn: { onlineMeanS: 1800, offlineMeanS: 3600 } });
}

function swarmRun(seed: number) {
  const w = world(seed);
  const segmentBytes = (BITRATE_KBPS * 1000 * SEGMENT_S) / 8;
  let driver!: ViewerDriver;
  const swarm = new Swarm(w, distributionParams(), {
    served: () => true,
    sessionEnded: (ctx, v) => driver.ended(ctx, v),
  });
  const rng = w.kernel.rng("bench/videos");
  const ids: number[] = [], segments: number[] = [];
  for (let id = 0; id < VIDEOS; id++) {
    const n = Math.max(1, Math.ceil(lognormalMeanCv(rng, 600, 1) / SEGMENT_S));
    const holders: number[] = [];
    for (let h = 0; h < HOLDERS; h++) holders.push(w.masternodes[(id * 7 + h * 31) % MASTERNODES]);
    swarm.publish({ id, creator: 0, segments: n, segmentBytes, segmentS: SEGMENT_S, holders });
    ids.push(id);
    segments.push(n);
  }
  driver = new ViewerDriver(w, swarm, { videos: ids, segments, zipf: 0.9, gapMeanS: 120, watchMin: 0.2 });
  w.faults.start();
  driver.start();
  const c0 = process.cpuUsage();
  const out = w.kernel.run({ endTime: Math.round(DAY * SCALE) });
  const ms = cpuMs(c0);
  swarm.finish(w.metrics);
  const m = sampleMetrics(w.metrics);
  return { ms, events: out.events, deliveries: m.get("distribution.segments_delivered")!, m, final: w.metrics.final() };
}

/** The kernel and network alone: `messages` sends of a segment between random pairs, `inFlight` at a time. */
function netRun(seed: number, messages: number, inFlight: number) {
  const w = world(seed);
  const segmentBytes = (BITRATE_KBPS * 1000 * SEGMENT_S) / 8;
  const rng = w.kernel.rng("bench/pairs");
  let left = messages;
  const n = w.nodes.count;
  const type = w.net.on<number>("bench.segment", (ctx, to) => {
    if (--left <= 0) return;
    let from = rng.int(n);
    while (!w.nodes.isUp(from)) from = rng.int(n);
    w.net.send(from, to, type, segmentBytes, 0);
  });
  for (let i = 0; i < inFlight; i++) w.net.send(w.masternodes[i % MASTERNODES], w.viewers[i % VIEWERS], type, segmentBytes, 0);
  const c0 = process.cpuUsage();
  const out = w.kernel.run({ endTime: Number.MAX_SAFE_INTEGER, maxEvents: messages });
  return { ms: cpuMs(c0), events: out.events };
}

/** CPU time (user + system) since `c0`, ms: steadier than wall time on a shared machine. */
function cpuMs(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function best<T extends { ms: number }>(f: () => T): T {
  let b: T | undefined;
  for (let i = 0; i < REPS; i++) {
    const r = f();
    if (b === undefined || r.ms < b.ms) b = r;
  }
  return b!;
}

function main(): void {
  const s = best(() => swarmRun(1));
  const watching = s.m.get("distribution.viewers_watching")!;
  const net = best(() => netRun(2, s.deliveries, Math.max(100, watching * 2)));
  const pholdEvents = 2_000_000;
  const phold = best(() => {
    const c0 = process.cpuUsage();
    pholdKernel(1000, 10, pholdEvents, 3);
    return { ms: cpuMs(c0) };
  });
  const msgUs = (net.ms * 1000) / net.events;
  const eventUs = (phold.ms * 1000) / pholdEvents;
  const ownUs = (s.ms * 1000 - s.deliveries * msgUs - (s.events - s.deliveries) * eventUs) / s.deliveries;
  const get = (n: string) => s.final.find((r) => r.name === n)?.value ?? NaN;
  console.log(`swarm, ${VIEWERS} viewers / ${MASTERNODES} masternodes / ${VIDEOS} videos, ${(SCALE * 24).toFixed(1)} simulated h:`);
  console.log(`  ${s.deliveries.toLocaleString("en")} deliveries, ${s.events.toLocaleString("en")} events (${(s.events / s.deliveries).toFixed(2)} per delivery), ${(s.ms / 1000).toFixed(2)} s CPU`);
  console.log(`  ${((s.deliveries / s.ms) * 1000).toFixed(0)} deliveries/s, ${((s.ms * 1000) / s.deliveries).toFixed(2)} µs per delivery in total`);
  console.log(`  kernel+network per message: ${msgUs.toFixed(2)} µs; bare kernel event: ${eventUs.toFixed(2)} µs`);
  console.log(`  swarm's own work per delivery ≈ ${ownUs.toFixed(2)} µs`);
  console.log(`  offload ${get("distribution.offload_ratio").toFixed(3)}, sessions ${get("distribution.sessions_started")}, startup p50 ${get("distribution.startup_delay_s.p50").toFixed(2)} s, rebuffer mean ${get("distribution.rebuffer_ratio.mean").toFixed(4)}, rerouted ${get("distribution.requests_rerouted")}, waits ${get("distribution.peer_waits")}+${get("distribution.no_source_waits")}`);
}

main();
