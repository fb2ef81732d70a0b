/**
 * The swarm against hand-computed timings, analytic stall ratios, and its invariants under random worlds.
 *
 * - Timing: one viewer, one masternode, no jitter or loss: every arrival time follows from the network model's
 *   formula (request latency + max(uplink serialisation + propagation, downlink serialisation after first bit)).
 * - Stalls: a viewer fed at half the bitrate rebuffers about half the time.
 * - Sources: peers are preferred when they hold a segment; a peer that does not serve, a withdrawn video, an unpaid
 *   segment, a viewer going offline, a source crashing mid-transfer and lost messages each do what swarm.ts says.
 * - Properties (fast-check, every checker after every event): bytes from peers + masternodes = the bytes `served`
 *   saw = segments delivered × their sizes; no session receives a segment twice; a withdrawn video gets no more
 *   deliveries; sessions started = ended + still active. Determinism: same seed ⇒ same trace hash and metrics.
 * Fast-check seeds are printed on failure by fast-check itself; simulation seeds come from the generated case.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SECOND } from "../../sim/kernel/time.ts";
import { Swarm, type SessionStats, type SwarmHooks } from "./swarm.ts";
import { distributionParams, resolveDistributionParams, DISTRIBUTION_DEFAULTS } from "./params.ts";
import { sampleMetrics, testWorld, ViewerDriver, type TestWorldOptions } from "./testkit.ts";

type Ended = { viewer: number; at: number; s: SessionStats };

function setup(o: TestWorldOptions, overrides: object, hooks: Partial<SwarmHooks> = {}) {
  const w = testWorld(o);
  const ended: Ended[] = [];
  const served: { t: number; viewer: number; source: number; segment: number; fromPeer: boolean }[] = [];
  const swarm = new Swarm(w, distributionParams(overrides), {
    served: (ctx, e) => {
      served.push({ t: ctx.now, viewer: e.viewer, source: e.source, segment: e.segment, fromPeer: e.fromPeer });
      return hooks.served ? hooks.served(ctx, e) : true;
    },
    sessionEnded: (ctx, viewer, s) => {
      ended.push({ viewer, at: ctx.now, s });
      hooks.sessionEnded?.(ctx, viewer, s);
    },
    willServe: hooks.willServe,
  });
  const k = w.kernel;
  const startKind = k.register("test.watch", (ctx, v, d: { video: number; segments: number }) => {
    swarm.watch(ctx, v, d.video, d.segments);
  });
  const watchAt = (t: number, viewer: number, video: number, segments: number) => k.scheduleAt(t, startKind, viewer, { video, segments });
  w.faults.start();
  return { w, swarm, ended, served, watchAt, metrics: () => sampleMetrics(w.metrics) };
}

describe("params", () => {
  it("defaults decode; partial sections merge; bad values and startup > buffer are rejected", () => {
    expect(resolveDistributionParams()).toEqual(DISTRIBUTION_DEFAULTS);
    expect(resolveDistributionParams({ peers: { uploadSlots: 8 } }).peers.uploadSlots).toBe(8);
    expect(resolveDistributionParams({ peers: { uploadSlots: 8 } }).peers.connectionsMax).toBe(55);
    expect(() => resolveDistributionParams({ parallelRequests: 17 })).toThrow(/models.distribution/);
    expect(() => resolveDistributionParams({ mode: "live" })).toThrow(/models.distribution/);
    expect(() => resolveDistributionParams({ nope: 1 })).toThrow(/models.distribution/);
    expect(() => resolveDistributionParams({ startupSegments: 4, bufferSegments: 3 })).toThrow(/startupSegments/);
  });
});

describe("Swarm: timing and playback", () => {
  it("one viewer, one masternode: arrivals, startup delay and session stats match the network formula", () => {
    const { w, swarm, ended, served, watchAt } = setup(
      { viewers: 1, masternodes: 1, viewerDownMbps: 50, masternodeUpMbps: 200 },
      { parallelRequests: 1, bufferSegments: 3, startupSegments: 1 },
    );
    swarm.publish({ id: 7, creator: 0, segments: 3, segmentBytes: 1_000_000, segmentS: 4, holders: w.masternodes });
    watchAt(0, 0, 7, 3);
    w.kernel.run({ endTime: 60 * SECOND });
    // Request 5 ms (intra-region one-way); uplink 1,000,064 B at 200 Mbit/s; first bit after 5 ms more; downlink
    // 1,000,064 B at 50 Mbit/s ⇒ arrival = 5,000 + 5,000 + 160,010.24 µs, rounded up.
    const one = Math.ceil(5000 + 5000 + (1_000_064 * 8) / 50);
    expect(served.map((s) => s.t)).toEqual([one, 2 * one, 3 * one]);
    expect(served.map((s) => s.segment)).toEqual([0, 1, 2]);
    expect(ended).toHaveLength(1);
    const s = ended[0].s;
    expect(ended[0].at).toBe(one + 12 * SECOND); // the session ends when playback of the 3 × 4 s ends
    expect(s).toMatchObject({ video: 7, segmentsPlayed: 3, startupDelayUs: one, stallUs: 0, playedUs: 12 * SECOND, bytesFromPeers: 0, bytesFromMasternodes: 3_000_000, downloadUs: 3 * one, reason: "finished" });
    expect(swarm.isWatching(0)).toBe(false);
  });

  it("a viewer fed at half the bitrate rebuffers about half of the time (stall / (stall + played) ≈ 1/2)", () => {
    const { w, swarm, ended, watchAt, metrics } = setup(
      { viewers: 1, masternodes: 1, masternodeUpMbps: 1 },
      { parallelRequests: 2, bufferSegments: 3, startupSegments: 1, requestTimeoutS: 60 },
    );
    // 2 Mbit/s video (1 MB per 4 s) from a 1 Mbit/s uplink.
    swarm.publish({ id: 1, creator: 0, segments: 50, segmentBytes: 1_000_000, segmentS: 4, holders: w.masternodes });
    watchAt(0, 0, 1, 50);
    w.kernel.run({ endTime: 3600 * SECOND });
    const s = ended[0].s;
    expect(s.reason).toBe("finished");
    expect(s.playedUs).toBe(200 * SECOND);
    // Each segment takes ≈ 8.0005 s to upload and plays 4 s; the first waits as startup delay, not as a stall.
    const ratio = s.stallUs / (s.stallUs + s.playedUs);
    expect(ratio).toBeGreaterThan(0.48);
    expect(ratio).toBeLessThan(0.51);
    expect(metrics().get("distribution.stalls")).toBeGreaterThan(40);
  });
});

describe("Swarm: sources", () => {
  it("prefers a peer that holds the segment; with peer serving off (or a peer that will not serve) the origin serves", () => {
    for (const mode of ["peers", "no-peer-serving", "unwilling"] as const) {
      const { w, swarm, ended, watchAt } = setup(
        { viewers: 2, masternodes: 1 },
        { peers: { serving: mode !== "no-peer-serving" } },
        { willServe: mode === "unwilling" ? (src) => src !== 0 : undefined },
      );
      swarm.publish({ id: 3, creator: 0, segments: 12, segmentBytes: 1_000_000, segmentS: 10, holders: w.masternodes });
      watchAt(0, 0, 3, 12);
      watchAt(60 * SECOND, 1, 3, 12);
      w.kernel.run({ endTime: 3600 * SECOND });
      const b = ended.find((e) => e.viewer === 1)!.s;
      expect(b.reason).toBe("finished");
      if (mode === "peers") expect([b.bytesFromPeers, b.bytesFromMasternodes]).toEqual([12_000_000, 0]);
      else expect([b.bytesFromPeers, b.bytesFromMasternodes]).toEqual([0, 12_000_000]);
    }
  });

  it("same-region preference 1: a viewer takes every segment from the peer in its own region", () => {
    // Viewers 0 and 2 are in us-east, 1 in eu-west (round robin); 0 and 1 watched the video first.
    const { w, swarm, served, watchAt } = setup(
      { viewers: 3, masternodes: 1, regions: ["us-east", "eu-west"] },
      { peers: { sameRegionPreference: 1, cacheVideos: 2 } },
    );
    swarm.publish({ id: 3, creator: 0, segments: 10, segmentBytes: 500_000, segmentS: 10, holders: w.masternodes });
    watchAt(0, 0, 3, 10);
    watchAt(0, 1, 3, 10);
    watchAt(200 * SECOND, 2, 3, 10);
    w.kernel.run({ endTime: 3600 * SECOND });
    const toTwo = served.filter((s) => s.viewer === 2);
    expect(toTwo).toHaveLength(10);
    expect(toTwo.every((s) => s.source === 0)).toBe(true);
  });

  it("an unpaid segment ends the session: no more deliveries for it", () => {
    let calls = 0;
    const { w, swarm, ended, served, watchAt } = setup({ viewers: 1, masternodes: 1 }, { parallelRequests: 3, bufferSegments: 5 }, { served: () => ++calls < 3 });
    swarm.publish({ id: 1, creator: 0, segments: 20, segmentBytes: 1_000_000, segmentS: 10, holders: w.masternodes });
    watchAt(0, 0, 1, 20);
    w.kernel.run({ endTime: 3600 * SECOND });
    expect(served).toHaveLength(3);
    expect(ended.map((e) => e.s.reason)).toEqual(["unpaid"]);
    expect(swarm.isWatching(0)).toBe(false);
  });

  it("a withdrawn video ends its sessions and peers drop it; it cannot be watched until published again", () => {
    const { w, swarm, ended, served, watchAt } = setup({ viewers: 3, masternodes: 1 }, {});
    swarm.publish({ id: 4, creator: 0, segments: 30, segmentBytes: 1_000_000, segmentS: 10, holders: w.masternodes });
    watchAt(0, 0, 4, 30);
    watchAt(5 * SECOND, 1, 4, 30);
    const k = w.kernel;
    const wd = k.register("test.withdraw", () => swarm.withdraw(4));
    k.scheduleAt(50 * SECOND, wd);
    watchAt(60 * SECOND, 2, 4, 30);
    k.run({ endTime: 3600 * SECOND });
    expect(ended.map((e) => e.s.reason)).toEqual(["withdrawn", "withdrawn"]);
    expect(served.every((s) => s.t <= 50 * SECOND)).toBe(true);
    expect(swarm.isWatching(2)).toBe(false);
    expect(sampleMetrics(w.metrics).get("distribution.peers_holding")).toBe(0);
  });
});

describe("Swarm: failures", () => {
  it("a viewer going offline ends its session ('offline') and stops serving", () => {
    const { w, swarm, ended, watchAt, metrics } = setup(
      { viewers: 1, masternodes: 1, timeline: [{ at: "30s", action: "crash", role: "viewer", count: 1 }] },
      {},
    );
    swarm.publish({ id: 1, creator: 0, segments: 30, segmentBytes: 1_000_000, segmentS: 10, holders: w.masternodes });
    watchAt(0, 0, 1, 30);
    w.kernel.run({ endTime: 600 * SECOND });
    expect(ended.map((e) => [e.s.reason, e.at])).toEqual([["offline", 30 * SECOND]]);
    expect(ended[0].s.playedUs).toBeGreaterThan(25 * SECOND);
    expect(metrics().get("distribution.peers_holding")).toBe(0);
  });

  it("a source crashing mid-transfer: the transfer is cut, re-requested after recovery, and the session finishes", () => {
    const { w, swarm, ended, served, watchAt, metrics } = setup(
      { viewers: 1, masternodes: 1, masternodeUpMbps: 1, timeline: [{ at: "3s", action: "crash", role: "masternode", count: 1, for: "20s" }] },
      { parallelRequests: 1, noSourceTimeoutS: 120 },
    );
    swarm.publish({ id: 1, creator: 0, segments: 2, segmentBytes: 1_000_000, segmentS: 10, holders: w.masternodes });
    watchAt(0, 0, 1, 2);
    w.kernel.run({ endTime: 600 * SECOND });
    const m = metrics();
    expect(m.get("distribution.transfers_cut")).toBe(1);
    expect(served.map((s) => s.segment)).toEqual([0, 1]);
    expect(served[0].t).toBeGreaterThan(23 * SECOND); // only after the masternode recovered at 23 s
    expect(ended.map((e) => e.s.reason)).toEqual(["finished"]);
  });

  it("lost messages are caught by the request timeout and re-requested; no source for too long ends 'no-source'", () => {
    const lossy = setup({ viewers: 1, masternodes: 1, loss: 0.3 }, { requestTimeoutS: 2 });
    lossy.swarm.publish({ id: 1, creator: 0, segments: 40, segmentBytes: 200_000, segmentS: 10, holders: lossy.w.masternodes });
    lossy.watchAt(0, 0, 1, 40);
    lossy.w.kernel.run({ endTime: 3600 * SECOND });
    expect(lossy.metrics().get("distribution.request_timeouts")).toBeGreaterThan(3);
    expect(lossy.served.map((s) => s.segment).sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    expect(lossy.ended.map((e) => e.s.reason)).toEqual(["finished"]);

    const dead = setup({ viewers: 1, masternodes: 1, timeline: [{ at: "1s", action: "crash", role: "masternode", count: 1 }] }, { noSourceTimeoutS: 30 });
    dead.swarm.publish({ id: 1, creator: 0, segments: 40, segmentBytes: 200_000, segmentS: 10, holders: dead.w.masternodes });
    dead.watchAt(2 * SECOND, 0, 1, 40);
    dead.w.kernel.run({ endTime: 600 * SECOND });
    expect(dead.ended.map((e) => e.s.reason)).toEqual(["no-source"]);
    expect(dead.ended[0].at).toBeGreaterThanOrEqual(32 * SECOND);
    expect(dead.ended[0].at).toBeLessThan(35 * SECOND);
  });

  it("watch() refuses a viewer that is down, busy, or an unknown or withdrawn video", () => {
    const { w, swarm } = setup({ viewers: 2, masternodes: 1 }, {});
    swarm.publish({ id: 1, creator: 0, segments: 5, segmentBytes: 1000, segmentS: 10, holders: w.masternodes });
    const k = w.kernel;
    expect(swarm.watch(k, 0, 99, 5)).toBe(false);
    expect(swarm.watch(k, 0, 1, 5)).toBe(true);
    expect(swarm.watch(k, 0, 1, 5)).toBe(false);
    swarm.withdraw(1);
    expect(swarm.watch(k, 1, 1, 5)).toBe(false);
    w.nodes.status[1] = 0; // offline
    swarm.publish({ id: 1, creator: 0, segments: 5, segmentBytes: 1000, segmentS: 10, holders: w.masternodes });
    expect(swarm.watch(k, 1, 1, 5)).toBe(false);
  });
});

interface Case {
  seed: number;
  viewers: number;
  masternodes: number;
  regions: number;
  loss: number;
  churn: boolean;
  serving: boolean;
  parallel: number;
  buffer: number;
  cache: number;
  selection: "sequential" | "rarest";
  videos: { segments: number; bytes: number }[];
  withdrawAtS: number;
  unpaidP: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  viewers: fc.integer({ min: 2, max: 14 }),
  masternodes: fc.integer({ min: 1, max: 3 }),
  regions: fc.integer({ min: 1, max: 2 }),
  loss: fc.constantFrom(0, 0, 0.02, 0.1),
  churn: fc.boolean(),
  serving: fc.boolean(),
  parallel: fc.integer({ min: 1, max: 4 }),
  buffer: fc.integer({ min: 1, max: 5 }),
  cache: fc.integer({ min: 1, max: 3 }),
  selection: fc.constantFrom("sequential" as const, "rarest" as const),
  videos: fc.array(fc.record({ segments: fc.integer({ min: 1, max: 15 }), bytes: fc.integer({ min: 1000, max: 2_000_000 }) }), { minLength: 1, maxLength: 4 }),
  withdrawAtS: fc.integer({ min: 10, max: 3000 }),
  unpaidP: fc.constantFrom(0, 0, 0.02),
});

/** Run one random world in check mode; returns what the hooks saw and the swarm's counters. */
function runCase(c: Case) {
  const regions = (["us-east", "eu-west"] as const).slice(0, c.regions);
  const w = testWorld({
    seed: c.seed, viewers: c.viewers, masternodes: c.masternodes, regions: [...regions], loss: c.loss, jitterCv: 0.1, checkMode: true,
    viewerChurn: c.churn ? { onlineMeanS: 300, offlineMeanS: 120 } : undefined,
  });
  const params = distributionParams({
    parallelRequests: c.parallel, bufferSegments: c.buffer, startupSegments: 1, selection: c.selection, requestTimeoutS: 5, noSourceTimeoutS: 60,
    peers: { serving: c.serving, cacheVideos: c.cache },
  });
  const withdrawn = new Map<number, number>();
  const seen = new Set<string>();
  const session = new Float64Array(c.viewers);
  const problems: string[] = [];
  let servedBytes = 0, servedCalls = 0, endedCount = 0;
  const payRng = w.kernel.rng("test/pay");
  let driver!: ViewerDriver;
  const swarm = new Swarm(w, params, {
    served: (ctx, e) => {
      servedCalls++;
      servedBytes += e.bytes;
      if (e.bytes !== c.videos[e.video].bytes) problems.push(`segment of video ${e.video} has ${e.bytes} bytes`);
      const key = `${e.viewer}/${session[e.viewer]}/${e.segment}`;
      if (seen.has(key)) problems.push(`session ${key} received segment ${e.segment} twice`);
      seen.add(key);
      const wd = withdrawn.get(e.video);
      if (wd !== undefined && ctx.now >= wd) problems.push(`video ${e.video} delivered at ${ctx.now} after its withdrawal at ${wd}`);
      if (e.source === e.viewer) problems.push(`viewer ${e.viewer} served itself`);
      return payRng.float() >= c.unpaidP;
    },
    sessionEnded: (ctx, v) => {
      endedCount++;
      session[v]++;
      driver.ended(ctx, v);
    },
  });
  const ids = c.videos.map((_, i) => i);
  ids.forEach((id) => swarm.publish({ id, creator: 0, segments: c.videos[id].segments, segmentBytes: c.videos[id].bytes, segmentS: 4, holders: w.masternodes }));
  driver = new ViewerDriver(w, swarm, { videos: ids, segments: c.videos.map((v) => v.segments), zipf: 0.8, gapMeanS: 20, watchMin: 0.3 });
  const k = w.kernel;
  const wd = k.register("test.withdraw", (ctx) => {
    withdrawn.set(0, ctx.now);
    swarm.withdraw(0);
  });
  k.scheduleAt(c.withdrawAtS * SECOND, wd);
  w.faults.start();
  driver.start();
  const out = k.run({ endTime: 3600 * SECOND });
  swarm.finish(w.metrics);
  return { out, m: sampleMetrics(w.metrics), final: w.metrics.final(), problems, servedBytes, servedCalls, endedCount, started: driver.sessionsStarted, swarm };
}

describe("Swarm: invariants (fast-check, check mode)", () => {
  it("conservation of bytes, no duplicate segments, no delivery after withdrawal, session accounting", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = runCase(c);
        expect(r.problems).toEqual([]);
        const peers = r.m.get("distribution.bytes_from_peers")!, mns = r.m.get("distribution.bytes_from_masternodes")!;
        expect(peers + mns).toBe(r.servedBytes);
        expect(r.m.get("distribution.segments_delivered")).toBe(r.servedCalls);
        expect(r.m.get("distribution.sessions_started")).toBe(r.started);
        expect(r.started).toBe(r.endedCount + r.m.get("distribution.viewers_watching")!);
        if (!c.serving) expect(peers).toBe(0);
        const endedByReason = ["finished", "offline", "unpaid", "withdrawn", "no_source", "aborted"].reduce((a, n) => a + r.m.get(`distribution.sessions_ended_${n}`)!, 0);
        expect(endedByReason).toBe(r.endedCount);
      }),
      { numRuns: 40 },
    );
  });

  it("is deterministic: the same case twice gives the same trace hash and metrics; another seed differs", () => {
    const c: Case = { seed: 11, viewers: 12, masternodes: 2, regions: 2, loss: 0.02, churn: true, serving: true, parallel: 2, buffer: 3, cache: 2, selection: "rarest", videos: [{ segments: 12, bytes: 500_000 }, { segments: 8, bytes: 800_000 }], withdrawAtS: 900, unpaidP: 0.01 };
    const a = runCase(c), b = runCase(c), d = runCase({ ...c, seed: 12 });
    expect(a.out.traceHash).toBe(b.out.traceHash);
    expect(a.final).toEqual(b.final);
    expect(a.servedCalls).toBeGreaterThan(100);
    expect(d.out.traceHash).not.toBe(a.out.traceHash);
  });
});
