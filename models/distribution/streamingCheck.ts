/**
 * The streaming-capacity check: n viewers stream one video from one masternode and each other, and the
 * Kumar–Liu–Ross load ratio predicts whether playback holds or collapses.
 *
 * Purpose: show that the swarm (swarm.ts, stream mode) behaves as the stochastic fluid theory of P2P streaming says
 * (DOMAIN.md §e): with load ratio ρ = (u_s + Σu_i)/(n·r) comfortably above 1 viewers barely rebuffer; below 1 the
 * swarm cannot carry the bitrate and each viewer gets on average ρ·r, i.e. rebuffers a fraction ≈ 1 − ρ of the time.
 *
 * Method: n viewers with equal upload u (solved from the requested ρ) join within `spreadS` seconds and watch the
 * whole video; one masternode of upload u_s holds it. The rebuffer ratio stall/(stall + played) is averaged over
 * sessions. Parameters that matter, and why the defaults: 2 s segments (several per buffer, so segments can be
 * traded inside a 30 s window); rarest-first selection with a per-viewer tie-break (viewers at the same point fetch
 * different segments and trade them); P2P first with origin fallback only for segments due within 6 s (the origin's
 * capacity goes to the leading edge, which only it can supply); 16 random probes per request (a third of the swarm).
 */
import { SECOND } from "../../sim/kernel/time.ts";
import { Swarm } from "./swarm.ts";
import { distributionParams } from "./params.ts";
import { streamingCapacity } from "./theory.ts";
import { sampleMetrics, testWorld } from "./testkit.ts";

export interface StreamingCheckInput {
  seed?: number;
  viewers: number;
  bitrateMbps: number;
  serverMbps: number;
  /** The load ratio ρ to build: each viewer's upload is (ρ·n·r − u_s)/n. */
  loadRatio: number;
  segmentS?: number;
  videoS?: number;
  spreadS?: number;
  /** Distribution-parameter overrides. */
  overrides?: object;
}

export interface StreamingCheckResult {
  /** ρ and r_max from theory.ts for the world built. */
  loadRatio: number;
  rMaxMbps: number;
  peerUpMbps: number;
  meanRebuffer: number;
  maxRebuffer: number;
  /** max(0, 1 − ρ): the rebuffer ratio a perfectly shared capacity deficit implies. */
  deficitRebuffer: number;
  offload: number;
  sessions: number;
  events: number;
}

export function runStreamingCheck(i: StreamingCheckInput): StreamingCheckResult {
  const n = i.viewers, r = i.bitrateMbps, us = i.serverMbps;
  const segS = i.segmentS ?? 2, videoS = i.videoS ?? 600, spreadS = i.spreadS ?? 60;
  const u = (i.loadRatio * n * r - us) / n;
  if (!(u > 0)) throw new RangeError(`runStreamingCheck: load ratio ${i.loadRatio} needs negative peer upload with a ${us} Mbit/s server`);
  const segments = Math.round(videoS / segS);
  const w = testWorld({ seed: i.seed ?? 1, viewers: n, masternodes: 1, viewerUpMbps: u, viewerDownMbps: 100, masternodeUpMbps: us, masternodeDownMbps: 1000 });
  const params = distributionParams({
    bufferSegments: 15, startupSegments: 2, parallelRequests: 3, selection: "rarest", urgentS: 6,
    retryBackoffS: 0.5, noSourceTimeoutS: 3600, requestTimeoutS: 30,
    peers: { cacheVideos: 1, sameRegionPreference: 0, candidates: 16, backlogMaxS: 2, uploadSlots: 4 },
    masternodes: { backlogMaxS: 2 },
    ...i.overrides,
  });
  const ratios: number[] = [];
  const swarm = new Swarm(w, params, {
    served: () => true,
    sessionEnded: (_ctx, _v, s) => {
      if (s.stallUs + s.playedUs > 0) ratios.push(s.stallUs / (s.stallUs + s.playedUs));
    },
  });
  swarm.publish({ id: 0, creator: 0, segments, segmentBytes: Math.round((r * 1e6 * segS) / 8), segmentS: segS, holders: w.masternodes });
  const k = w.kernel;
  const start = k.register("streaming-check.start", (ctx, v) => {
    swarm.watch(ctx, v, 0, segments);
  });
  const rng = k.rng("streaming-check/starts");
  for (const v of w.viewers) k.schedule(rng.float() * spreadS * SECOND, start, v);
  w.faults.start();
  const out = k.run({ endTime: (spreadS + 20 * videoS) * SECOND });
  const cap = streamingCapacity({ serverBps: us * 1e6, peerUpBps: w.viewers.map(() => u * 1e6), bitrateBps: r * 1e6 });
  let sum = 0, max = 0;
  for (const x of ratios) {
    sum += x;
    if (x > max) max = x;
  }
  return {
    loadRatio: cap.loadRatio,
    rMaxMbps: cap.rMax / 1e6,
    peerUpMbps: u,
    meanRebuffer: ratios.length > 0 ? sum / ratios.length : NaN,
    maxRebuffer: max,
    deficitRebuffer: Math.max(0, 1 - cap.loadRatio),
    offload: sampleMetrics(w.metrics).get("distribution.offload")!,
    sessions: ratios.length,
    events: out.events,
  };
}
