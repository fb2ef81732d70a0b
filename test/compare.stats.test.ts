/**
 * The numbers behind `popsim compare` (sim/sweep/compare.ts), in process: the paired t interval against values
 * computed by hand, the effect size and its sd = 0 cases, conservative guardrail verdicts, and the parameter diff.
 */
import { describe, expect, it } from "vitest";
import { comparePaired, judgeGuardrail, meanInterval, mergeGuardrails, paramDiff } from "../sim/sweep/compare.ts";

describe("comparePaired", () => {
  it("matches a hand computation (n = 5, t(0.975, 4) = 2.776445)", () => {
    const b = [10, 12, 11, 13, 9];
    const p = [11, 14, 11, 15, 10]; // differences 1, 2, 0, 2, 1: mean 1.2, sd √0.7
    const c = comparePaired("x.y", b, p);
    const sd = Math.sqrt(0.7);
    const half = 2.776445 * (sd / Math.sqrt(5));
    expect(c.n).toBe(5);
    expect(c.baselineMean).toBeCloseTo(11, 12);
    expect(c.proposalMean).toBeCloseTo(12.2, 12);
    expect(c.diffMean).toBeCloseTo(1.2, 12);
    expect(c.diffSd).toBeCloseTo(sd, 12);
    expect(c.ciLow).toBeCloseTo(1.2 - half, 5);
    expect(c.ciHigh).toBeCloseTo(1.2 + half, 5);
    expect(c.effectSize).toBeCloseTo(1.2 / sd, 12);
    expect(c.relativeDiff).toBeCloseTo(1.2 / 11, 12);
    expect(c.moved).toBe(true);
  });
  it("identical sides: zero difference, zero effect, not moved", () => {
    const v = [1, 2, 3, 4];
    const c = comparePaired("x.y", v, v);
    expect(c).toMatchObject({ diffMean: 0, diffSd: 0, ciLow: 0, ciHigh: 0, effectSize: 0, moved: false });
    expect(c.effectSizeNote).toMatch(/every difference is 0/);
  });
  it("a constant non-zero shift: d_z is null (infinite) with a note, the interval is exact", () => {
    const c = comparePaired("x.y", [1, 2, 3], [3, 4, 5]);
    expect(c).toMatchObject({ diffMean: 2, diffSd: 0, ciLow: 2, ciHigh: 2, effectSize: null, moved: true });
    expect(c.effectSizeNote).toMatch(/infinite/);
  });
  it("leaves out pairs with a missing or non-finite value and counts them", () => {
    const c = comparePaired("x.y", [1, Number.NaN, 3, 4], [2, 5, undefined, 6]);
    expect(c.n).toBe(2);
    expect(c.excluded).toBe(2);
    const one = comparePaired("x.y", [1], [2]);
    expect(one).toMatchObject({ n: 1, diffMean: 1, ciLow: null, effectSize: null, moved: false });
  });
  it("a noisy difference around 0 does not count as moved", () => {
    const c = comparePaired("x.y", [1, 2, 3, 4], [2, 1, 4, 3]);
    expect(c.diffMean).toBe(0);
    expect(c.moved).toBe(false);
    expect(c.ciLow! < 0 && c.ciHigh! > 0).toBe(true);
  });
});

describe("guardrails", () => {
  it("pass only when the unfavourable end of the 95 % CI satisfies the bound", () => {
    const values = [0.9, 1.0, 1.1, 1.0, 1.0]; // mean 1, CI ≈ 1 ± 0.088
    const iv = meanInterval(values);
    expect(judgeGuardrail({ metric: "a.b", op: "<=", value: 1.2 }, values)).toMatchObject({ status: "pass", boundUsed: "ciHigh", evidenceValue: iv.ciHigh });
    // The mean (1.0) is below 1.05 but the CI's upper end is not: conservative fail.
    expect(judgeGuardrail({ metric: "a.b", op: "<=", value: 1.05 }, values).status).toBe("fail");
    expect(judgeGuardrail({ metric: "a.b", op: ">=", value: 0.85 }, values)).toMatchObject({ status: "pass", boundUsed: "ciLow" });
    expect(judgeGuardrail({ metric: "a.b", op: ">=", value: 0.95 }, values).status).toBe("fail");
    expect(judgeGuardrail({ metric: "a.b", op: "<", value: 1 }, [1, 1, 1]).status).toBe("fail");
    expect(judgeGuardrail({ metric: "a.b", op: "<=", value: 1 }, [1, 1, 1]).status).toBe("pass");
  });
  it("no evidence is not a pass", () => {
    expect(judgeGuardrail({ metric: "a.b", op: "<=", value: 1 }, [undefined, undefined]).reason).toMatch(/no run produced/);
    expect(judgeGuardrail({ metric: "a.b", op: "<=", value: 1 }, [0.5]).status).toBe("fail");
  });
  it("merges both scenarios' guardrails, remembering where each was declared", () => {
    const g = (metric: string, value: number) => ({ metric, op: "<=" as const, value, description: "" });
    const m = mergeGuardrails([g("a.b", 1), g("c.d", 2)], [g("a.b", 1), g("e.f", 3)]);
    expect(m.map((x) => [x.metric, x.declaredIn])).toEqual([["a.b", ["proposal", "baseline"]], ["e.f", ["proposal"]], ["c.d", ["baseline"]]]);
  });
});

describe("paramDiff", () => {
  it("lists changed leaf paths, arrays by index, seed excluded", () => {
    const a = { seed: 1, network: { loss: 0.001, jitterCv: 0.1 }, regions: [{ name: "us-east", weight: 1 }], faults: { timeline: [] } };
    const b = { seed: 2, network: { loss: 0.05, jitterCv: 0.1 }, regions: [{ name: "us-east", weight: 2 }, { name: "eu-west", weight: 1 }], faults: { timeline: [] } };
    expect(paramDiff(a, b)).toEqual([
      { path: "network.loss", baseline: 0.001, proposal: 0.05 },
      { path: "regions.0.weight", baseline: 1, proposal: 2 },
      { path: "regions.1.name", baseline: null, proposal: "eu-west" },
      { path: "regions.1.weight", baseline: null, proposal: 1 },
    ]);
    expect(paramDiff(a, { ...a, seed: 9 })).toEqual([]);
  });
});
