/**
 * Theory check for the kernel: M/M/1 mean wait in queue against Wq = ρ/(μ − λ). The 99 % confidence interval
 * (batch means, Student t) of the simulated mean must contain the theoretical value.
 */
import { describe, expect, it } from "vitest";
import { mm1Kernel } from "../sim/kernel/workloads.ts";
import { tStudentCritical99 } from "../sim/kernel/benchStats.ts";

function ci99(xs: number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = tStudentCritical99(n - 1) * sd / Math.sqrt(n);
  return { mean, lo: mean - half, hi: mean + half };
}

describe("M/M/1 on the kernel", () => {
  for (const [lambda, mu, customers] of [[0.9, 1, 600_000], [0.5, 1, 200_000]] as const) {
    const theory = (lambda / mu) / (mu - lambda);
    it(`λ=${lambda}, μ=${mu}: mean wait in queue within the 99 % CI of theory ${theory.toFixed(2)}`, () => {
      const r = mm1Kernel(customers, 2026, lambda, mu);
      const { mean, lo, hi } = ci99(r.batchMeans);
      console.log(`M/M/1 λ=${lambda} μ=${mu}: simulated ${mean.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}], theory ${theory.toFixed(3)}`);
      expect(lo).toBeLessThanOrEqual(theory);
      expect(hi).toBeGreaterThanOrEqual(theory);
      // And the interval is tight enough to mean something.
      expect(hi - lo).toBeLessThan(theory * 0.5);
    });
  }
});
