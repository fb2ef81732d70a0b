/**
 * Validation: the Kumar–Liu–Ross streaming capacity bound predicts when the swarm's playback collapses.
 *
 * Setup (streamingCheck.ts): 40 viewers join within 60 s and watch a 600 s, 2 Mbit/s video in 2 s segments from one
 * 20 Mbit/s masternode (u_s = 10 r, a quarter of the demand n·r = 80 Mbit/s) and each other; every viewer uploads
 * u = (ρ·n·r − u_s)/n, so the load ratio ρ = (u_s + Σu)/(n·r) is set exactly.
 *
 * Expectations and tolerances:
 * - ρ ≥ 1.2: mean rebuffer ratio < 2 % (capacity to spare; the brief's threshold).
 * - ρ ≤ 0.8: mean rebuffer ratio > 10 %, and within ±0.07 of 1 − ρ: below capacity each viewer can only get ρ·r on
 *   average, so it plays a fraction ρ of the time. The ±0.07 absorbs the ramp at the start and end (fewer than n
 *   viewers), the server's share going further than its nominal u_s when some viewers have finished, and stall
 *   spells that straddle session boundaries.
 */
import { describe, expect, it } from "vitest";
import { runStreamingCheck } from "./streamingCheck.ts";

const world = { viewers: 40, bitrateMbps: 2, serverMbps: 20 };

describe("streaming capacity (Kumar–Liu–Ross) — stream mode", () => {
  it("collapses below capacity (rebuffer ≈ 1 − ρ) and plays smoothly above it", () => {
    const rows = [0.6, 0.8, 1.2, 1.5].map((rho) => ({ rho, r: runStreamingCheck({ ...world, loadRatio: rho }) }));
    for (const { rho, r } of rows) {
      console.log(`KLR ρ=${rho}: mean rebuffer ${r.meanRebuffer.toFixed(4)} (1 − ρ = ${r.deficitRebuffer.toFixed(2)}), max ${r.maxRebuffer.toFixed(3)}, offload ${r.offload.toFixed(3)}, u_i ${r.peerUpMbps.toFixed(2)} Mbit/s, ${r.events} events`);
      expect(r.loadRatio).toBeCloseTo(rho, 12);
      expect(r.sessions).toBe(world.viewers);
      if (rho <= 0.8) {
        expect(r.meanRebuffer).toBeGreaterThan(0.1);
        expect(Math.abs(r.meanRebuffer - (1 - rho))).toBeLessThan(0.07);
      } else {
        expect(r.meanRebuffer).toBeLessThan(0.02);
      }
    }
    // Monotone: more capacity never makes playback worse.
    for (let i = 1; i < rows.length; i++) expect(rows[i].r.meanRebuffer).toBeLessThanOrEqual(rows[i - 1].r.meanRebuffer);
  });
});
