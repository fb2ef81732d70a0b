/**
 * reports/stats.ts against published values: Student t quantiles (two-sided 95 % and 99 %) from standard tables,
 * and the interval summarize() builds from them. Also the number formatting reports rely on.
 */
import { describe, expect, it } from "vitest";
import { summarize, tCdf, tQuantile } from "../reports/stats.ts";
import { formatCompact, formatNumber } from "../reports/format.ts";

describe("Student t", () => {
  it("matches table quantiles", () => {
    const t975: [number, number][] = [[1, 12.7062047], [2, 4.30265273], [3, 3.18244631], [4, 2.77644511], [9, 2.26215716], [29, 2.04522964], [120, 1.97993041]];
    for (const [df, want] of t975) expect(tQuantile(0.975, df), `df=${df}`).toBeCloseTo(want, 6);
    expect(tQuantile(0.995, 3)).toBeCloseTo(5.84090931, 6);
    expect(tQuantile(0.025, 4)).toBeCloseTo(-2.77644511, 6);
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.95996, 4); // → normal
    expect(tCdf(0, 7)).toBe(0.5);
    expect(tCdf(tQuantile(0.9, 5), 5)).toBeCloseTo(0.9, 10);
  });

  it("summarize: mean, sample sd, 95 % CI; NaN values left out and counted; n < 2 gives no interval", () => {
    const s = summarize([1, 2, 3, 4, NaN]);
    expect(s.n).toBe(4);
    expect(s.nonFinite).toBe(1);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.ciHalf).toBeCloseTo(3.18244631 * Math.sqrt(5 / 3) / 2, 6);
    expect(s.ciLow).toBeCloseTo(2.5 - s.ciHalf, 12);
    const one = summarize([7]);
    expect(one.mean).toBe(7);
    expect(Number.isNaN(one.ciLow)).toBe(true);
  });
});

describe("number formatting (no locale)", () => {
  it("groups integers, rounds the rest, writes NaN as a dash", () => {
    expect(formatNumber(57575896912)).toBe("57,575,896,912");
    expect(formatNumber(-1234)).toBe("-1,234");
    expect(formatNumber(0.19353494388784553)).toBe("0.1935");
    expect(formatNumber(1234.56)).toBe("1,234.6");
    expect(formatNumber(0.5)).toBe("0.5");
    expect(formatNumber(NaN)).toBe("—");
    expect(formatCompact(57079734092)).toBe("57.08 G");
    expect(formatCompact(114190.5)).toBe("114,190.5");
  });
});
