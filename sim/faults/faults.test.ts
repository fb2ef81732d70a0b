/**
 * Churn and faults: the long-run fraction of time online matches renewal theory, region outages and timed crashes
 * take exactly the declared nodes down and bring them back, and listeners hear every change.
 */
import { describe, expect, it } from "vitest";
import { buildWorld } from "../runner/run.ts";
import { scenarioFrom } from "../../scenarios/load.ts";
import { ROLE_IDS } from "../net/nodes.ts";
import { HOUR, SECOND } from "../kernel/time.ts";
import { logGamma } from "../kernel/distributions.ts";

const scenario = (over: object) => scenarioFrom({ ...over, traffic: { enabled: false } });

describe("churn", () => {
  it("time-average fraction online = E[on] / (E[on] + E[off]) (renewal–reward theorem)", () => {
    const s = scenario({
      duration: "20d",
      population: { viewers: 400, creators: 0, masternodes: 0, delegates: 0 },
      churn: { viewer: { enabled: true, online: { dist: "weibull", shape: 0.8, scale: 3600 }, offline: { dist: "exponential", mean: 7200 }, departure: 0, arrivalsPerDay: 0, initialOnline: 0.33 } },
    });
    const w = buildWorld(s);
    w.faults.start();
    // Sample the number online every simulated minute.
    let samples = 0, onlineSum = 0;
    const probe = w.kernel.register("probe", (ctx) => { samples++; onlineSum += w.nodes.countUp(ROLE_IDS.viewer); ctx.schedule(60 * SECOND, probe); });
    w.kernel.schedule(HOUR * 24, probe); // skip the first day (warm-up)
    w.kernel.run({ endTime: w.durationUs });
    const meanOn = 3600 * Math.exp(logGamma(1 + 1 / 0.8));
    const theory = meanOn / (meanOn + 7200);
    const observed = onlineSum / samples / 400;
    console.log(`churn: fraction online ${observed.toFixed(4)} vs theory ${theory.toFixed(4)}`);
    expect(Math.abs(observed - theory)).toBeLessThan(0.02);
  });
});

describe("fault timeline", () => {
  it("a region outage takes exactly that region's up nodes down and restores them; listeners hear each", () => {
    const s = scenario({
      duration: "3h",
      population: { viewers: 100, creators: 0, masternodes: 50, delegates: 0 },
      faults: { timeline: [{ at: "1h", action: "region-outage", region: "eu-west", for: "30min" }] },
    });
    const w = buildWorld(s);
    const eu = w.regionNames.indexOf("eu-west");
    const inEu = Array.from({ length: w.nodes.count }, (_, i) => i).filter((i) => w.nodes.region[i] === eu);
    const changes: { t: number; node: number; up: boolean; cause: string }[] = [];
    w.faults.onChange((ctx, node, up, cause) => changes.push({ t: ctx.now, node, up, cause }));
    w.faults.start();
    w.kernel.run({ endTime: 1.25 * HOUR });
    expect(inEu.every((i) => !w.nodes.isUp(i))).toBe(true);
    expect(w.nodes.countUp()).toBe(150 - inEu.length);
    w.kernel.run({ endTime: w.durationUs });
    expect(w.nodes.countUp()).toBe(150);
    expect(changes.filter((c) => !c.up).map((c) => c.node)).toEqual(inEu);
    expect(changes.filter((c) => c.up).map((c) => c.node)).toEqual(inEu);
    expect(changes.every((c) => (c.up ? c.t === 1.5 * HOUR : c.t === HOUR))).toBe(true);
  });

  it("crash a fraction of a role for a while, then recover exactly those", () => {
    const s = scenario({
      duration: "3h",
      population: { viewers: 10, creators: 0, masternodes: 200, delegates: 0 },
      faults: { timeline: [{ at: "1h", action: "crash", role: "masternode", fraction: 0.3, for: "1h" }] },
    });
    const w = buildWorld(s);
    w.faults.start();
    w.kernel.run({ endTime: 1.5 * HOUR });
    expect(w.nodes.countUp(ROLE_IDS.masternode)).toBe(140);
    expect(w.nodes.countUp(ROLE_IDS.viewer)).toBe(10);
    w.kernel.run({ endTime: w.durationUs });
    expect(w.nodes.countUp(ROLE_IDS.masternode)).toBe(200);
  });

  it("stale churn events after a crash/recover do not double a node's sessions", () => {
    const s = scenario({
      duration: "10d",
      population: { viewers: 0, creators: 0, masternodes: 300, delegates: 0 },
      churn: { masternode: { enabled: true, online: { dist: "exponential", mean: 3600 }, offline: { dist: "exponential", mean: 3600 }, departure: 0, arrivalsPerDay: 0, initialOnline: 0.5 } },
      faults: { timeline: [
        { at: "1h", action: "crash", role: "masternode", fraction: 0.5, for: "10min" },
        { at: "2h", action: "crash", role: "masternode", fraction: 0.5, for: "10min" },
        { at: "3h", action: "crash", role: "masternode", fraction: 0.5, for: "10min" },
      ] },
    });
    const w = buildWorld(s);
    w.faults.start();
    w.kernel.run({ endTime: w.durationUs });
    // Each node has at most one pending churn event, plus the pending metrics/other events.
    expect(w.kernel.pending).toBeLessThanOrEqual(300 + 5);
    const up = w.nodes.countUp(ROLE_IDS.masternode) / 300;
    expect(Math.abs(up - 0.5)).toBeLessThan(0.15);
  });
});
