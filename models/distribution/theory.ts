/**
 * Closed-form references for swarm distribution (DOMAIN.md §e), used by the validation tests and reports.
 *
 * - `fluidSteadyState`: Qiu & Srikant, "Modeling and Performance Analysis of BitTorrent-Like Peer-to-Peer
 *   Networks", SIGCOMM 2004. Leechers x arrive at rate λ, abort at rate θ, download at most at c files/s, upload at
 *   μ files/s with sharing efficiency η; seeds y upload at μ and leave at rate γ:
 *     dx/dt = λ − θx − min(c·x, μ(ηx + y)),   dy/dt = min(c·x, μ(ηx + y)) − γy.
 *   Steady state: 1/β = max(1/c, (1/η)(1/μ − 1/γ)); x̄ = λ/(β(1 + θ/β)); ȳ = λ/(γ(1 + θ/β)); T = 1/(θ + β).
 *   T (by Little's law x̄/λ, the mean time spent as a leecher) does not depend on λ: the swarm self-scales.
 *   Which term wins the max says which side limits: `regime` "download" (the cap c) or "upload" (μ, γ, η).
 * - `streamingCapacity`: Kumar, Liu & Ross, "Stochastic Fluid Theory for P2P Streaming Systems", INFOCOM 2007.
 *   With n peers of upload u_i and a server of upload u_s: r_max = min(u_s, (u_s + Σu_i)/n); at bitrate r the
 *   server must supply max(r, n·r − Σu_i); quality holds while the load ratio (u_s + Σu_i)/(n·r) stays above ~1.
 *
 * Units are the caller's, as long as they are consistent (files/s for the fluid model; bit/s for streaming).
 * Sums run in array order (deterministic).
 */

export interface FluidInput {
  /** λ: leecher arrival rate (1/s). */
  lambda: number;
  /** μ: upload rate of one peer, files/s (upload bandwidth / file size). */
  mu: number;
  /** c: download cap of one leecher, files/s (Infinity: no cap). */
  c: number;
  /** θ: abort rate of a leecher (1/s). */
  theta: number;
  /** γ: seed departure rate (1/s). */
  gamma: number;
  /** η ∈ (0, 1]: sharing efficiency of leechers (≈ 1 with many pieces). */
  eta: number;
}

export interface FluidSteadyState {
  /** Mean number of leechers. */
  x: number;
  /** Mean number of seeds. */
  y: number;
  /** Mean download time (time spent as a leecher), s. */
  T: number;
  /** β: the effective per-leecher completion rate, files/s. */
  beta: number;
  /** Which constraint sets β: the download cap ("download") or the swarm's upload capacity ("upload"). */
  regime: "download" | "upload";
}

export function fluidSteadyState(p: FluidInput): FluidSteadyState {
  const { lambda, mu, c, theta, gamma, eta } = p;
  if (!(lambda >= 0) || !(mu > 0) || !(c > 0) || !(theta >= 0) || !(gamma > 0) || !(eta > 0 && eta <= 1)) {
    throw new RangeError(`fluidSteadyState: need λ ≥ 0, μ > 0, c > 0, θ ≥ 0, γ > 0, 0 < η ≤ 1 (got ${JSON.stringify(p)})`);
  }
  const downloadTerm = 1 / c;
  const uploadTerm = (1 / eta) * (1 / mu - 1 / gamma);
  const invBeta = Math.max(downloadTerm, uploadTerm);
  if (!(invBeta > 0)) throw new RangeError("fluidSteadyState: 1/β = 0 (no download cap and seeds stay longer than an upload takes): downloads are instantaneous in the fluid limit");
  const beta = 1 / invBeta;
  const scale = 1 + theta / beta;
  return {
    x: lambda / (beta * scale),
    y: lambda / (gamma * scale),
    T: 1 / (theta + beta),
    beta,
    regime: downloadTerm >= uploadTerm ? "download" : "upload",
  };
}

export interface StreamingInput {
  /** u_s: the server's (origin's) upload capacity, bit/s. */
  serverBps: number;
  /** u_i: each peer's upload capacity, bit/s (n = length). */
  peerUpBps: readonly number[];
  /** r: the stream's bitrate, bit/s. */
  bitrateBps: number;
}

export interface StreamingCapacity {
  /** r_max = min(u_s, (u_s + Σu_i)/n): the highest rate every peer can receive. */
  rMax: number;
  /** (u_s + Σu_i)/(n·r): supply over demand; quality holds while this stays above ~1. */
  loadRatio: number;
  /** max(r, n·r − Σu_i): what the server must supply at rate r. */
  serverNeedBps: number;
}

export function streamingCapacity(p: StreamingInput): StreamingCapacity {
  const { serverBps, peerUpBps, bitrateBps } = p;
  if (!(serverBps >= 0) || !(bitrateBps > 0)) throw new RangeError(`streamingCapacity: need u_s ≥ 0 and r > 0`);
  const n = peerUpBps.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!(peerUpBps[i] >= 0)) throw new RangeError(`streamingCapacity: peer ${i} has upload ${peerUpBps[i]}`);
    sum += peerUpBps[i];
  }
  if (n === 0) return { rMax: serverBps, loadRatio: Infinity, serverNeedBps: 0 };
  return {
    rMax: Math.min(serverBps, (serverBps + sum) / n),
    loadRatio: (serverBps + sum) / (n * bitrateBps),
    serverNeedBps: Math.max(bitrateBps, n * bitrateBps - sum),
  };
}
