/**
 * Validation: a steady-state download swarm (swarm.ts, download mode) against the Qiu–Srikant fluid model.
 *
 * Setup (fluidCheck.ts): a 25 MB file in 200 pieces; every peer uploads 2 Mbit/s (μ = 1/100 per s); leechers are
 * paced to 5 Mbit/s (c = 1/40 per s); one origin uploads like one peer; Poisson arrivals λ; 400 s warm-up,
 * 2,000 s of measurement (≈ 2,000 leechers at λ = 1, every count sampled each second).
 * - download-limited: seeds stay 80 s (1/μ − 1/γ = 20 s < 1/c): T = 40 s, x̄ = 40λ, ȳ = 80λ;
 * - upload-limited: seeds stay 20 s (1/μ − 1/γ = 80 s > 1/c): T = 80 s (79 with the origin), x̄ = λT, ȳ = 20λ.
 *
 * Tolerance ±15 % (the brief's), and why it is not tighter: the fluid model is a mean-field limit. What it leaves
 * out biases the swarm by a few per cent — a download ends with one last piece in flight (T ≥ 1/c + ~1 s), pieces
 * are discrete, an uploader's queue can briefly run dry, and x̄, ȳ average ~40 independent periods of length T.
 * Measured errors are 1–4 % (see the report); ±15 % leaves room for other seeds without hiding a broken model — an
 * upload-limited swarm with η ≈ 0.8 instead of 1 would already be +25 % off in T.
 */
import { describe, expect, it } from "vitest";
import { abortedLeecherTime, runFluidCheck, type FluidCheckInput } from "./fluidCheck.ts";

const base: Omit<FluidCheckInput, "seedTimeMeanS" | "lambdaPerS"> = { pieces: 200, pieceBytes: 125_000, uploadMbps: 2, capMbps: 5, warmupS: 400, measureS: 2000 };
const TOL = 0.15;

describe("fluid model (Qiu–Srikant) — download mode", () => {
  it("download-limited regime: T, x̄, ȳ within ±15 %", () => {
    const r = runFluidCheck({ ...base, seedTimeMeanS: 80, lambdaPerS: 1, tolerance: TOL });
    console.log("fluid download-limited", JSON.stringify({ predicted: r.predicted, measured: r.measured, relError: r.relError }));
    expect(r.predicted.regime).toBe("download");
    expect(r.measured.leechersMeasured).toBeGreaterThan(1800);
    expect(r.relError.T).toBeLessThan(TOL);
    expect(r.relError.x).toBeLessThan(TOL);
    expect(r.relError.y).toBeLessThan(TOL);
    expect(r.withinTolerance).toBe(true);
  });

  it("upload-limited regime: T, x̄, ȳ within ±15 %; T does not depend on λ (λ = 1 vs λ = 2 within 5 %)", () => {
    const one = runFluidCheck({ ...base, seedTimeMeanS: 20, lambdaPerS: 1, tolerance: TOL });
    const two = runFluidCheck({ ...base, seedTimeMeanS: 20, lambdaPerS: 2, measureS: 1000, tolerance: TOL });
    console.log("fluid upload-limited λ=1", JSON.stringify({ predicted: one.predicted, measured: one.measured, relError: one.relError }));
    console.log("fluid upload-limited λ=2", JSON.stringify({ predicted: two.predicted, measured: two.measured, relError: two.relError }));
    for (const r of [one, two]) {
      expect(r.predicted.regime).toBe("upload");
      expect(r.withinTolerance).toBe(true);
    }
    // Self-scaling: twice the arrivals, twice the leechers and seeds, the same download time.
    expect(Math.abs(two.measured.T - one.measured.T) / one.measured.T).toBeLessThan(0.05);
    expect(two.measured.x / one.measured.x).toBeGreaterThan(1.8);
    expect(two.measured.x / one.measured.x).toBeLessThan(2.2);
  });

  it("aborts: Little's law holds and T matches E[min(D, Exp(θ))] for the nearly fixed download time D", () => {
    const noAbort = runFluidCheck({ ...base, seedTimeMeanS: 80, lambdaPerS: 1, measureS: 1000 });
    const r = runFluidCheck({ ...base, seedTimeMeanS: 80, lambdaPerS: 1, measureS: 1000, abortRatePerS: 0.005 });
    console.log("fluid aborts", JSON.stringify({ predicted: r.predicted, measured: r.measured, exactT: abortedLeecherTime(noAbort.measured.T, 0.005) }));
    expect(r.measured.aborted).toBeGreaterThan(100);
    expect(Math.abs(r.measured.x - 1 * r.measured.T) / r.measured.x).toBeLessThan(0.08);
    expect(Math.abs(r.measured.T - abortedLeecherTime(noAbort.measured.T, 0.005)) / r.measured.T).toBeLessThan(0.05);
    // The fluid formula assumes memoryless completions and so sits below (documented in fluidCheck.ts).
    expect(r.predicted.T).toBeLessThan(r.measured.T);
  });
});
