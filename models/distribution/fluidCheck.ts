/**
 * The fluid-model check: a self-contained steady-state download swarm measured against Qiu–Srikant.
 *
 * Purpose: show that the swarm (swarm.ts, download mode) reproduces the BitTorrent fluid model of DOMAIN.md §e —
 * mean download time T and time-averaged leecher and seed counts x̄, ȳ — in either regime (download-limited or
 * upload-limited), so a test, a scenario or a report can say "the fluid-model check passes" with numbers.
 *
 * Method: one file of `pieces` pieces on one origin masternode; leechers arrive as a Poisson process of rate λ
 * (each arrival takes a free viewer node from a pool, FIFO), download with request pacing to the cap c, seed for
 * Exp(1/γ) and leave; they abort at rate θ. Every viewer uploads at `uploadMbps` (μ = upload / file size). After a
 * warm-up, the counts of leechers and seeds are sampled every `sampleS` over the measurement window; T is the mean
 * time-as-leecher of the leechers that arrived during the window (completed or aborted — Little's law's T). The
 * run continues after the window (arrivals too, so late arrivals still see a steady swarm) until those leechers
 * have left.
 *
 * The origin is one more permanent uploader at `originUpMbps`. In the upload-limited regime the prediction counts
 * it as u_o/u extra seeds that never leave: μ(x + y + u_o/u) = λ gives T = 1/μ − 1/γ − (u_o/u)/λ (exact for θ = 0;
 * with λ = 1 and u_o = u it shortens T by 1 s of ~80). In the download-limited regime it changes nothing.
 *
 * Aborts: the fluid model treats completions as a rate β, i.e. memoryless; here a download-limited leecher takes an
 * almost deterministic D ≈ 1/c, so with θ > 0 the exact mean time as a leecher is E[min(D, Exp(θ))] = (1 − e^{−θD})/θ,
 * which the fluid T = 1/(θ + c) underestimates (by ~9 % at θD = 0.2). `abortedLeecherTime` gives the exact figure.
 */
import type { SimContext } from "../../sim/kernel/index.ts";
import { exponential } from "../../sim/kernel/distributions.ts";
import { SECOND } from "../../sim/kernel/time.ts";
import { Swarm, type SessionStats } from "./swarm.ts";
import { distributionParams } from "./params.ts";
import { fluidSteadyState, type FluidSteadyState } from "./theory.ts";
import { sampleMetrics, testWorld } from "./testkit.ts";

export interface FluidCheckInput {
  seed?: number;
  /** λ: leecher arrivals per second. */
  lambdaPerS: number;
  pieces: number;
  pieceBytes: number;
  /** Every peer's upload (μ = uploadMbps / file size). */
  uploadMbps: number;
  /** c: the download cap (request pacing). */
  capMbps: number;
  /** 1/γ, s. */
  seedTimeMeanS: number;
  /** θ, 1/s. */
  abortRatePerS?: number;
  /** The origin's upload (default: one peer's). */
  originUpMbps?: number;
  warmupS: number;
  measureS: number;
  sampleS?: number;
  /** Relative tolerance for x̄, ȳ and T (default 0.15). */
  tolerance?: number;
  /** Distribution-parameter overrides (parallel requests, backlog, …). */
  overrides?: object;
}

export interface FluidCheckResult {
  predicted: FluidSteadyState;
  measured: { x: number; y: number; T: number; leechersMeasured: number; aborted: number };
  relError: { x: number; y: number; T: number };
  withinTolerance: boolean;
  tolerance: number;
  /** Segment deliveries and kernel events of the run (for cost reporting). */
  deliveries: number;
  events: number;
}

export function fluidPrediction(i: FluidCheckInput): FluidSteadyState {
  const fileBits = i.pieces * i.pieceBytes * 8;
  const mu = (i.uploadMbps * 1e6) / fileBits;
  const c = (i.capMbps * 1e6) / fileBits;
  const gamma = 1 / i.seedTimeMeanS;
  const theta = i.abortRatePerS ?? 0;
  const base = fluidSteadyState({ lambda: i.lambdaPerS, mu, c, theta, gamma, eta: 1 });
  // The origin is a permanent seed of capacity u_o: in the upload-limited regime it shortens T by (u_o/u)/λ.
  const originSeeds = (i.originUpMbps ?? i.uploadMbps) / i.uploadMbps;
  if (base.regime === "download") return base;
  const invBeta = Math.max(1 / c, 1 / mu - 1 / gamma - originSeeds / i.lambdaPerS);
  const beta = 1 / invBeta;
  const scale = 1 + theta / beta;
  return { x: i.lambdaPerS / (beta * scale), y: i.lambdaPerS / (gamma * scale), T: 1 / (theta + beta), beta, regime: 1 / c >= invBeta ? "download" : "upload" };
}

/** Mean time as a leecher when downloads take a fixed D and leechers abort at rate θ: E[min(D, Exp(θ))]. */
export function abortedLeecherTime(downloadS: number, theta: number): number {
  return theta > 0 ? (1 - Math.exp(-theta * downloadS)) / theta : downloadS;
}

export function runFluidCheck(i: FluidCheckInput): FluidCheckResult {
  const predicted = fluidPrediction(i);
  const tolerance = i.tolerance ?? 0.15;
  const sampleUs = Math.round((i.sampleS ?? 1) * SECOND);
  const warmupUs = Math.round(i.warmupS * SECOND);
  const windowEndUs = warmupUs + Math.round(i.measureS * SECOND);
  const drainUs = Math.round((10 * predicted.T + 12 * i.seedTimeMeanS) * SECOND);
  const pool = Math.ceil(3 * (predicted.x + predicted.y + 1) + 4 * Math.sqrt(predicted.x + predicted.y + 1) + 20);
  const w = testWorld({ seed: i.seed ?? 1, viewers: pool, masternodes: 1, viewerUpMbps: i.uploadMbps, viewerDownMbps: 10_000, masternodeUpMbps: i.originUpMbps ?? i.uploadMbps, masternodeDownMbps: 10_000 });
  const params = distributionParams({
    mode: "download",
    parallelRequests: 8,
    retryBackoffS: 0.5,
    noSourceTimeoutS: 1e6,
    requestTimeoutS: 120,
    peers: { uploadSlots: 4, candidates: 8, backlogMaxS: 1, connectionsMax: 55, cacheVideos: 1 },
    masternodes: { uploadSlots: 4, backlogMaxS: 1 },
    download: { capMbps: i.capMbps, seedTimeMeanS: i.seedTimeMeanS, abortRatePerS: i.abortRatePerS ?? 0 },
    ...i.overrides,
  });
  const free: number[] = [...w.viewers];
  let freeHead = 0;
  const arrivedAt = new Float64Array(pool);
  let timeAsLeecherSum = 0, leechersMeasured = 0, aborted = 0, overflow = 0;
  const swarm = new Swarm(w, params, {
    served: () => true,
    sessionEnded: (_ctx: SimContext, v: number, s: SessionStats) => {
      free.push(v);
      const at = arrivedAt[v];
      if (at >= warmupUs && at < windowEndUs) {
        timeAsLeecherSum += s.downloadUs;
        leechersMeasured++;
        if (s.reason === "aborted") aborted++;
      }
    },
  });
  swarm.publish({ id: 0, creator: 0, segments: i.pieces, segmentBytes: i.pieceBytes, segmentS: 1, holders: w.masternodes });
  const k = w.kernel;
  const arrivals = k.rng("fluid/arrivals");
  const meanGapUs = SECOND / i.lambdaPerS;
  const arrival = k.register("fluid.arrival", (ctx) => {
    if (ctx.now < windowEndUs + drainUs) ctx.schedule(exponential(arrivals, meanGapUs), arrival);
    if (freeHead >= free.length) {
      overflow++;
      return;
    }
    const v = free[freeHead++];
    if (freeHead > 4096) {
      free.splice(0, freeHead);
      freeHead = 0;
    }
    arrivedAt[v] = ctx.now;
    if (!swarm.watch(ctx, v, 0, i.pieces)) overflow++;
  });
  let xSum = 0, ySum = 0, samples = 0;
  const sample = k.register("fluid.sample", (ctx) => {
    const o = swarm.occupancy();
    xSum += o.fetching;
    ySum += o.complete;
    samples++;
    if (ctx.now + sampleUs < windowEndUs) ctx.schedule(sampleUs, sample);
  });
  k.schedule(exponential(arrivals, meanGapUs), arrival);
  k.scheduleAt(warmupUs, sample);
  w.faults.start();
  const out = k.run({ endTime: windowEndUs + drainUs });
  const measured = {
    x: xSum / samples,
    y: ySum / samples,
    T: leechersMeasured > 0 ? timeAsLeecherSum / leechersMeasured / SECOND : NaN,
    leechersMeasured,
    aborted,
  };
  const rel = (m: number, p: number) => Math.abs(m - p) / p;
  const relError = { x: rel(measured.x, predicted.x), y: rel(measured.y, predicted.y), T: rel(measured.T, predicted.T) };
  const deliveries = sampleMetrics(w.metrics).get("distribution.segments_delivered")!;
  return {
    predicted,
    measured,
    relError,
    withinTolerance: overflow === 0 && relError.x <= tolerance && relError.y <= tolerance && relError.T <= tolerance,
    tolerance,
    deliveries,
    events: out.events,
  };
}
