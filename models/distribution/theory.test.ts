/**
 * theory.ts against hand-computed values, the fluid ODE itself, and the Kumar–Liu–Ross formulas.
 *
 * The steady state is checked two independent ways: (1) the right-hand sides of Qiu–Srikant's ODE vanish at
 * (x̄, ȳ) for random parameters (fast-check), and (2) integrating the ODE from an empty swarm with RK4 converges to
 * (x̄, ȳ) within 1e-6 relative.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fluidSteadyState, streamingCapacity, type FluidInput } from "./theory.ts";

const rhs = (p: FluidInput, x: number, y: number): [number, number] => {
  const service = Math.min(p.c * x, p.mu * (p.eta * x + y));
  return [p.lambda - p.theta * x - service, service - p.gamma * y];
};

describe("fluidSteadyState (Qiu–Srikant)", () => {
  it("download-limited and upload-limited hand examples", () => {
    // 1/μ = 100 s, 1/γ = 80 s, 1/c = 40 s: (1/μ − 1/γ) = 20 < 40 ⇒ β = c.
    const a = fluidSteadyState({ lambda: 1, mu: 0.01, c: 0.025, theta: 0, gamma: 1 / 80, eta: 1 });
    expect(a.regime).toBe("download");
    expect(a.beta).toBeCloseTo(0.025, 15);
    expect(a.T).toBeCloseTo(40, 12);
    expect(a.x).toBeCloseTo(40, 12);
    expect(a.y).toBeCloseTo(80, 12);
    // 1/γ = 20 s: (1/μ − 1/γ) = 80 > 40 ⇒ 1/β = 80.
    const b = fluidSteadyState({ lambda: 1, mu: 0.01, c: 0.025, theta: 0, gamma: 1 / 20, eta: 1 });
    expect(b.regime).toBe("upload");
    expect(b.T).toBeCloseTo(80, 12);
    expect(b.x).toBeCloseTo(80, 12);
    expect(b.y).toBeCloseTo(20, 12);
    // Aborts: x̄ = λ/(β(1 + θ/β)), ȳ = λ/(γ(1 + θ/β)), T = 1/(θ + β).
    const c = fluidSteadyState({ lambda: 2, mu: 0.01, c: 0.025, theta: 0.01, gamma: 1 / 80, eta: 1 });
    expect(c.x).toBeCloseTo(2 / (0.025 * 1.4), 12);
    expect(c.y).toBeCloseTo((2 * 80) / 1.4, 12);
    expect(c.T).toBeCloseTo(1 / 0.035, 12);
    // η < 1 stretches the upload term.
    expect(fluidSteadyState({ lambda: 1, mu: 0.01, c: 0.025, theta: 0, gamma: 1 / 20, eta: 0.5 }).T).toBeCloseTo(160, 10);
    expect(() => fluidSteadyState({ lambda: 1, mu: 0.01, c: Infinity, theta: 0, gamma: 0.001, eta: 1 })).toThrow(RangeError);
    expect(() => fluidSteadyState({ lambda: 1, mu: 0, c: 1, theta: 0, gamma: 1, eta: 1 })).toThrow(RangeError);
  });

  const params = fc.record({
    lambda: fc.double({ min: 0.01, max: 10, noNaN: true }),
    mu: fc.double({ min: 0.001, max: 1, noNaN: true }),
    c: fc.double({ min: 0.001, max: 1, noNaN: true }),
    theta: fc.double({ min: 0, max: 0.1, noNaN: true }),
    gamma: fc.double({ min: 0.001, max: 1, noNaN: true }),
    eta: fc.double({ min: 0.05, max: 1, noNaN: true }),
  });

  it("the steady state zeroes the ODE, obeys Little's law, and T does not depend on λ", () => {
    fc.assert(
      fc.property(params, (p) => {
        const s = fluidSteadyState(p);
        const [dx, dy] = rhs(p, s.x, s.y);
        expect(Math.abs(dx)).toBeLessThan(1e-9 * p.lambda);
        expect(Math.abs(dy)).toBeLessThan(1e-9 * p.lambda);
        expect(s.x).toBeCloseTo(p.lambda * s.T, 9);
        expect(fluidSteadyState({ ...p, lambda: p.lambda * 3 }).T).toBeCloseTo(s.T, 12);
      }),
      { numRuns: 300 },
    );
  });

  it("integrating the ODE from an empty swarm (RK4) converges to the steady state", () => {
    for (const p of [
      { lambda: 1, mu: 0.01, c: 0.025, theta: 0, gamma: 1 / 80, eta: 1 },
      { lambda: 1, mu: 0.01, c: 0.025, theta: 0, gamma: 1 / 20, eta: 1 },
      { lambda: 3, mu: 0.02, c: 0.1, theta: 0.005, gamma: 0.05, eta: 0.8 },
    ]) {
      let x = 0, y = 0;
      const h = 0.05;
      for (let t = 0; t < 20_000; t += h) {
        const [a1, b1] = rhs(p, x, y);
        const [a2, b2] = rhs(p, x + (h / 2) * a1, y + (h / 2) * b1);
        const [a3, b3] = rhs(p, x + (h / 2) * a2, y + (h / 2) * b2);
        const [a4, b4] = rhs(p, x + h * a3, y + h * b3);
        x += (h / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
        y += (h / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
      }
      const s = fluidSteadyState(p);
      expect(Math.abs(x - s.x) / s.x).toBeLessThan(1e-6);
      expect(Math.abs(y - s.y) / s.y).toBeLessThan(1e-6);
    }
  });
});

describe("streamingCapacity (Kumar–Liu–Ross)", () => {
  it("hand example and edge cases", () => {
    // u_s = 10, u = 1..4 (Σ = 10), r = 5: r_max = min(10, 20/4) = 5; ρ = 20/20; server need = max(5, 20 − 10).
    expect(streamingCapacity({ serverBps: 10, peerUpBps: [1, 2, 3, 4], bitrateBps: 5 })).toEqual({ rMax: 5, loadRatio: 1, serverNeedBps: 10 });
    // A strong server caps r_max at u_s only when peers add little: u_s = 2, Σu = 100, n = 2 ⇒ r_max = 2.
    expect(streamingCapacity({ serverBps: 2, peerUpBps: [50, 50], bitrateBps: 1 }).rMax).toBe(2);
    // Peers rich enough: the server still sends r (each chunk leaves the server at least once).
    expect(streamingCapacity({ serverBps: 10, peerUpBps: [50, 50], bitrateBps: 4 }).serverNeedBps).toBe(4);
    expect(streamingCapacity({ serverBps: 7, peerUpBps: [], bitrateBps: 1 })).toEqual({ rMax: 7, loadRatio: Infinity, serverNeedBps: 0 });
    expect(() => streamingCapacity({ serverBps: 1, peerUpBps: [-1], bitrateBps: 1 })).toThrow(RangeError);
  });

  it("ρ ≥ 1 ⇔ r ≤ (u_s + Σu)/n, and the server need never drops below r", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 100, noNaN: true }), fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (us, ups, r) => {
        const c = streamingCapacity({ serverBps: us, peerUpBps: ups, bitrateBps: r });
        const total = us + ups.reduce((a, b) => a + b, 0);
        if (Math.abs(c.loadRatio - 1) > 1e-9) expect(c.loadRatio > 1).toBe(r < total / ups.length);
        expect(c.serverNeedBps).toBeGreaterThanOrEqual(r);
        expect(c.rMax).toBeLessThanOrEqual(us);
      }),
      { numRuns: 300 },
    );
  });
});
