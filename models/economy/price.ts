/**
 * The POP/USD price path the economy values flows with.
 *
 * Purpose: operators pay their costs in dollars and earn POP, so whether a masternode is profitable depends on the
 * price as much as on the protocol. The path is an explicit scenario input (DESIGN.md §4: a statistical model, not
 * code, reported as such), either a seeded geometric Brownian motion or a piecewise-linear path through given points.
 *
 * Method:
 * - "gbm": one step per `advanceTo` call (the economy calls it once per reward interval) with one standard normal Z
 *   from the "economy/price" stream: p ← p·exp((μ − σ²/2)·Δt + σ·√Δt·Z), Δt in years of 365.25 days. The log price
 *   is then exactly normal with mean log p₀ + (μ − σ²/2)·t and variance σ²·t at every step time, whatever the step
 *   length; E[p(t)] = p₀·e^{μt}.
 * - "points": linear interpolation between the points; before the first and after the last the price is flat.
 * The price is a float (a derived rate, never a balance).
 */
import { normal } from "../../sim/kernel/distributions.ts";
import type { Prng } from "../../sim/kernel/prng.ts";
import type { EconomyParams } from "./params.ts";

const YEAR_US = 365.25 * 86_400 * 1e6;

/** Piecewise-linear interpolation through points (flat outside them). */
export function interpolatePrice(points: readonly { atS: number; usd: number }[], tS: number): number {
  if (points.length === 0) throw new RangeError("interpolatePrice: no points");
  if (tS <= points[0].atS) return points[0].usd;
  for (let i = 1; i < points.length; i++) {
    const b = points[i];
    if (tS <= b.atS) {
      const a = points[i - 1];
      return a.usd + ((b.usd - a.usd) * (tS - a.atS)) / (b.atS - a.atS);
    }
  }
  return points[points.length - 1].usd;
}

export class PricePath {
  private usdNow: number;
  private tUs = 0;

  constructor(
    private readonly p: EconomyParams["price"],
    private readonly rng: Prng,
  ) {
    this.usdNow = p.model === "gbm" ? p.startUsd : interpolatePrice(p.points, 0);
  }

  /** POP/USD now (as of the last `advanceTo`). */
  get usd(): number {
    return this.usdNow;
  }

  /** Move the path to time `tUs` (≥ the previous time): one GBM step, or the interpolated point. */
  advanceTo(tUs: number): void {
    const dtUs = tUs - this.tUs;
    if (dtUs < 0) throw new RangeError(`PricePath: time went backwards (${this.tUs} → ${tUs} µs)`);
    this.tUs = tUs;
    if (this.p.model === "points") {
      this.usdNow = interpolatePrice(this.p.points, tUs / 1e6);
      return;
    }
    if (dtUs === 0) return;
    const dt = dtUs / YEAR_US;
    const { driftPerYear: mu, volatilityPerYear: sigma } = this.p;
    this.usdNow *= Math.exp((mu - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * normal(this.rng));
  }
}
