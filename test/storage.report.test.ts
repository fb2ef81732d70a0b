/**
 * The storage report section renders what the model writes: tolerance points parse from metric names, the loss
 * charts compile as Vega-Lite and render to SVG (log axes, zero points as carets), and the tables state the
 * thresholds and the 29.57 % claim — from a real (small) tolerance run, not hand-made numbers.
 */
import { describe, expect, it } from "vitest";
import { scenarioFrom } from "../scenarios/load.ts";
import { runScenario } from "../sim/runner/run.ts";
import { renderSvg } from "../reports/charts.ts";
import { lossChart, storageTables, tolerancePoints } from "../reports/sections/storage.ts";

describe("storage report section", () => {
  it("parses, charts and tabulates a tolerance run", async () => {
    const s = scenarioFrom({
      duration: "1min", metrics: { interval: "1min" }, traffic: { enabled: false },
      population: { viewers: 0, creators: 0, masternodes: 120, delegates: 0 },
      models: { storage: { enabled: true, k: 6, m: 8, o: 12, n: 14, videos: 10, segmentsPerVideo: 20, audit: { enabled: false }, tolerance: { enabled: true, trials: 200, targetedTrials: 20, fStep: 0.1 } } },
    });
    const r = await runScenario({ scenario: s });
    const m = new Map(r.metrics.map((x) => [x.name, x.value] as const));
    const points = tolerancePoints(m);
    expect(points.filter((p) => p.model === "random").map((p) => p.f)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(points[3].values.get("p_segment_lost_theory")).toBeGreaterThan(0);
    const seg = lossChart(points, "p_segment_lost", { id: "t-seg", title: "seg", caption: "" })!;
    const any = lossChart(points, "p_any_lost", { id: "t-any", title: "any", caption: "", epsilon: 1e-6 })!;
    for (const c of [seg, any]) {
      const svg = await renderSvg(c.spec);
      expect(svg).toMatch(/^<svg/);
      expect(svg).toContain("failed fraction of masternodes f");
    }
    const html = storageTables(m);
    expect(html).toContain("Largest tolerable failed fraction");
    expect(html).toContain("29.57 %");
    expect(html).toContain("k = 81, n = N = 115");
  });
});
