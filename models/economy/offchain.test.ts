/**
 * The economy without an EVM (the mirror is the pool), its parameters, price path and pool mirror:
 * - params: defaults decode; bad sections are rejected; price points must increase;
 * - price: piecewise-linear interpolation; the GBM's log return over a year is N((μ − σ²/2)·T, σ²·T) (theory, 4,000
 *   paths: mean within 4 standard errors, variance within 10 %);
 * - the pool mirror: projected pending equals rewardPoolModel's `pending`, a claim's split by role sums to the paid
 *   amount (fast-check over random operations);
 * - sybil receipts: the gain equals the closed form E·(Σ(sᵢ+f)/(S+F) − Σsᵢ/S) when shares are constant (to 1e-9),
 *   and the cost is content payments + capital cost of the deposits (to 1e-9);
 * - property: whatever the schedule, pool, role split, intervals and claim policy, the pool never over-emits
 *   (emitted ≤ pool, = the schedule at the last update), claims never exceed emission, received = claimed; every
 *   checker runs after every event.
 * fast-check runs with a fixed seed (override with FC_SEED); failures print the seed and the shrunk input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../../sim/kernel/prng.ts";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { POP } from "../evm/genesis.ts";
import { EmissionSchedule, RewardPoolModel, type RewardPoolParams, type ScheduleKind } from "../evm/rewardPoolModel.ts";
import { ECONOMY_DEFAULTS, economyParams, resolveEconomyParams } from "./params.ts";
import { PoolMirror } from "./poolMirror.ts";
import { interpolatePrice, PricePath } from "./price.ts";
import { ROLE } from "./rewards.ts";
import { runEconomy } from "./testkit.ts";

const fcParams = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20_240_607), numRuns });
const HALVING: RewardPoolParams = { pool: 320_000_000n * POP, schedule: 1, periodSeconds: 365n * 86_400n, decayPerPeriodWad: 0n, roleBps: [3500n, 1500n, 2000n, 3000n] };

describe("params", () => {
  it("an empty section gives the defaults (disabled); economyParams enables", () => {
    expect(resolveEconomyParams({})).toEqual(ECONOMY_DEFAULTS);
    expect(ECONOMY_DEFAULTS.enabled).toBe(false);
    const p = economyParams({ rewards: { intervalS: 60 } });
    expect(p.enabled).toBe(true);
    expect(p.rewards.intervalS).toBe(60);
    expect(p.rewards.claim).toEqual(ECONOMY_DEFAULTS.rewards.claim);
  });

  it("rejects bad input", () => {
    expect(() => resolveEconomyParams({ rewards: { batchMax: 201 } })).toThrow(/models\.economy/);
    expect(() => resolveEconomyParams({ rewards: { operator: "someone" } })).toThrow(/models\.economy/);
    expect(() => resolveEconomyParams({ sybil: { masternodeFraction: 1.5 } })).toThrow(/models\.economy/);
    expect(() => resolveEconomyParams({ nonsense: 1 })).toThrow(/models\.economy/);
    expect(() => resolveEconomyParams({ price: { model: "points", points: [] } })).toThrow(/at least one point/);
    expect(() => resolveEconomyParams({ price: { model: "points", points: [{ atS: 10, usd: 1 }, { atS: 10, usd: 2 }] } })).toThrow(/increasing/);
  });
});

describe("price path", () => {
  it("piecewise-linear between points, flat outside", () => {
    const pts = [{ atS: 100, usd: 1 }, { atS: 200, usd: 3 }, { atS: 400, usd: 2 }];
    expect(interpolatePrice(pts, 0)).toBe(1);
    expect(interpolatePrice(pts, 150)).toBe(2);
    expect(interpolatePrice(pts, 300)).toBe(2.5);
    expect(interpolatePrice(pts, 1_000)).toBe(2);
    const path = new PricePath({ ...ECONOMY_DEFAULTS.price, model: "points", points: pts }, stream(1, "x"));
    expect(path.usd).toBe(1);
    path.advanceTo(250e6);
    expect(path.usd).toBe(2.75);
    expect(() => path.advanceTo(100e6)).toThrow(RangeError);
  });

  it("GBM: the log return over a year has mean (μ − σ²/2)·T and variance σ²·T", () => {
    const mu = 0.3;
    const sigma = 0.8;
    const n = 4_000;
    const steps = 52;
    const rng = stream(7, "economy/price-test");
    const logs: number[] = [];
    for (let i = 0; i < n; i++) {
      const path = new PricePath({ model: "gbm", startUsd: 0.01, driftPerYear: mu, volatilityPerYear: sigma, points: [] }, rng);
      for (let s = 1; s <= steps; s++) path.advanceTo(Math.round((s * 365.25 * 86_400e6) / steps));
      logs.push(Math.log(path.usd / 0.01));
    }
    const mean = logs.reduce((a, b) => a + b, 0) / n;
    const variance = logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean - (mu - (sigma * sigma) / 2))).toBeLessThan((4 * sigma) / Math.sqrt(n));
    expect(variance / (sigma * sigma)).toBeGreaterThan(0.9);
    expect(variance / (sigma * sigma)).toBeLessThan(1.1);
  });
});

describe("pool mirror", () => {
  it("projected pending = rewardPoolModel.pending; a claim's split by role sums to the amount paid", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("shares" as const), dt: fc.integer({ min: 0, max: 50_000 }), role: fc.integer({ min: 0, max: 3 }), who: fc.integer({ min: 0, max: 4 }), shares: fc.bigInt({ min: 0n, max: 10n ** 24n }) }),
      fc.record({ kind: fc.constant("claim" as const), dt: fc.integer({ min: 0, max: 50_000 }), who: fc.integer({ min: 0, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.constantFrom<ScheduleKind>(0, 1, 2), (ops, schedule) => {
        const params: RewardPoolParams = { ...HALVING, schedule, periodSeconds: 86_400n, decayPerPeriodWad: schedule === 2 ? 9n * 10n ** 17n : 0n };
        const mirror = new PoolMirror(params);
        const model = new RewardPoolModel(params);
        mirror.start(1_000n);
        model.start(1_000n);
        let t = 1_000n;
        const split = [0n, 0n, 0n, 0n];
        for (const o of ops) {
          t += BigInt(o.dt);
          const key = `k${o.who}`;
          if (o.kind === "shares") {
            mirror.setShares(t, o.role, key, o.shares);
            model.setShares(t, o.role, key, o.shares);
          } else {
            const paid = mirror.claim(t, key, split);
            expect(paid).toBe(model.claim(t, key));
            expect(split.reduce((a, b) => a + b, 0n)).toBe(paid);
          }
          const acc = mirror.project(t + 777n);
          for (let w = 0; w < 5; w++) expect(mirror.pendingAt(acc, `k${w}`)).toBe(model.pending(t + 777n, `k${w}`));
          expect(mirror.problem()).toBeUndefined();
        }
      }),
      fcParams(100),
    );
  });
});

describe("sybil receipts (no EVM)", () => {
  it("gain = E·(Σ(sᵢ+f)/(S+F) − Σsᵢ/S) with constant shares; cost = content + capital", async () => {
    const sybil = { masternodeFraction: 0.3, sybilsPerMasternode: 10, fakeGbPerSybilPerHour: 1.1, contentPopPerGb: 0.53, depositPopPerSybil: 100 };
    const run = await runEconomy({
      duration: "3h",
      masternodes: 10,
      economy: { rewards: { intervalS: 600, postEvery: { masternode: 1, delegate: 1, staker: 1, ephemeral: 1 }, masternode: { storageCreditBytes: 0 } }, sybil },
      check: true,
    });
    const r = run.rewards;
    const mns = run.world.nodes.idsOfRole(ROLE_IDS.masternode);
    const attackers = mns.filter((n) => r.isAttacker(n));
    expect(attackers).toHaveLength(3);
    // Per 10-minute period: masternode i served 10 × 1e6·(i+1) bytes; an attacker adds 10 sybils × 1.1 GB/h × 1/6 h.
    const s = mns.map((_, i) => 1e7 * (i + 1));
    const f = (10 * 1.1e9) / 6;
    const S = s.reduce((a, b) => a + b, 0);
    const F = f * attackers.length;
    let withFake = 0;
    let honest = 0;
    mns.forEach((n, i) => {
      if (!r.isAttacker(n)) return;
      withFake += (s[i] + f) / (S + F);
      honest += s[i] / S;
    });
    const end = r.tsOfUs(run.world.kernel.now);
    const emitted = Number(r.mirror.projectEmitted(end)[ROLE.masternode] / 10n ** 12n) / 1e6;
    expect(Number(r.shadow!.projectEmitted(end)[ROLE.masternode] / 10n ** 12n) / 1e6).toBeCloseTo(emitted, 6);
    const result = r.sybil();
    expect(result.gainPop).toBeGreaterThan(0);
    expect(result.gainPop / (emitted * (withFake - honest))).toBeCloseTo(1, 9);
    expect(run.metric("economy.sybil_gain_pop")).toBe(result.gainPop);
    // Cost over the 3 h: 3 attackers × 10 sybils × 1.1 GB/h × 3 h of fake content at 0.53 POP/GB, and 1,000 POP of
    // deposits each at 5 %/yr.
    const fakeGb = 3 * 10 * 1.1 * 3;
    expect(result.fakeGb).toBeCloseTo(fakeGb, 6);
    expect(result.contentPop / (fakeGb * 0.53)).toBeCloseTo(1, 9);
    expect(result.capitalPop / (3 * 1_000 * 0.05 * (3 / (365.25 * 24)))).toBeCloseTo(1, 9);
    expect(run.metric("economy.sybil_cost_pop")).toBeCloseTo(result.contentPop + result.capitalPop, 9);
    // The attackers' extra reward is the honest masternodes' loss: their earnings fall below the shadow's.
    const honestNode = mns.find((n) => !r.isAttacker(n))!;
    expect(r.earnedInRoleWei(honestNode, ROLE.masternode)).toBeLessThan(r.shadow!.pendingAt(r.shadow!.project(end), String(honestNode)));
  });
});

describe("the pool never over-emits (property, no EVM, every checker after every event)", () => {
  const bps = fc
    .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }))
    .map(([a, b, c]) => {
      const [x, y, z] = [a, b, c].sort((p, q) => p - q);
      return [x, y - x, z - y, 10_000 - z].map(BigInt);
    });
  const pool = fc.record({
    pool: fc.bigInt({ min: 1n, max: 10n ** 30n }),
    schedule: fc.constantFrom<ScheduleKind>(0, 1, 2),
    periodSeconds: fc.bigInt({ min: 300n, max: 20_000n }),
    decayPerPeriodWad: fc.bigInt({ min: 0n, max: 999n * 10n ** 15n }),
    roleBps: bps,
  });
  const economy = fc.record({
    intervalS: fc.integer({ min: 120, max: 1_800 }),
    every: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    shareChangeMin: fc.constantFrom(0, 0.05, 0.5),
    thresholdPop: fc.constantFrom(0, 1e-9, 1, 1_000),
    minGapS: fc.constantFrom(0, 600, 3_600),
    mnBytes: fc.integer({ min: 0, max: 10_000_000 }),
  });

  it("emitted ≤ pool and = the schedule; claimed ≤ emitted; received = claimed", async () => {
    await fc.assert(
      fc.asyncProperty(pool, economy, async (pp, e) => {
        const params: RewardPoolParams = { ...pp, decayPerPeriodWad: pp.schedule === 2 ? pp.decayPerPeriodWad : 0n };
        const run = await runEconomy({
          duration: "3h",
          masternodes: 5,
          viewers: 8,
          poolParams: params,
          check: true,
          load: { mnBytes: e.mnBytes },
          economy: {
            rewards: {
              intervalS: e.intervalS,
              postEvery: { masternode: e.every[0], delegate: 1, staker: 1, ephemeral: e.every[1] },
              shareChangeMin: e.shareChangeMin,
              ephemeral: { minBytes: 0 },
              claim: { thresholdPop: e.thresholdPop, minGapS: e.minGapS },
            },
          },
        });
        expect(run.result.outcome.status).toBe("completed");
        const m = run.rewards.mirror;
        const schedule = new EmissionSchedule(params);
        expect(m.totalEmitted).toBeLessThanOrEqual(params.pool);
        expect(m.totalEmitted).toBe(schedule.cumulative(m.lastUpdateS - m.startTimeS));
        if (params.schedule === 0 && m.lastUpdateS - m.startTimeS >= params.periodSeconds) expect(m.totalEmitted).toBe(params.pool);
        let roles = 0n;
        for (let r = 0; r < 4; r++) roles += m.roleEmitted(r);
        expect(roles + m.unallocated).toBe(m.totalEmitted);
        expect(m.totalClaimed).toBeLessThanOrEqual(roles);
        let received = 0n;
        let earned = 0n;
        const end = run.rewards.tsOfUs(run.world.kernel.now);
        for (let node = 0; node < run.world.nodes.count; node++) {
          const b = run.rewards.book(node);
          received += b.rewardReceivedWei;
          earned += b.rewardEarnedWei;
        }
        expect(received).toBe(m.totalClaimed);
        expect(earned).toBeLessThanOrEqual(m.projectEmitted(end).reduce((a, b) => a + b, 0n));
        expect(schedule.cumulative(end - m.startTimeS)).toBeLessThanOrEqual(params.pool);
      }),
      fcParams(25),
    );
  });
});

describe("determinism (no EVM)", () => {
  it("same seed ⇒ same trace hash and metrics; another seed's price path differs", async () => {
    const a = await runEconomy({ duration: "6h" });
    const b = await runEconomy({ duration: "6h" });
    const c = await runEconomy({ duration: "6h", seed: 2 });
    expect(b.result.outcome.traceHash).toBe(a.result.outcome.traceHash);
    expect(b.result.metrics).toEqual(a.result.metrics);
    expect(c.metric("economy.pop_usd")).not.toBe(a.metric("economy.pop_usd"));
  });
});

describe("operator P&L and storage credit (no EVM)", () => {
  const HOURS = 3;
  const YEAR_H = 365.25 * 24;
  const base = {
    duration: `${HOURS}h`,
    masternodes: 4,
    check: true,
    economy: {
      rewards: { intervalS: 600, postEvery: { masternode: 1, delegate: 1, staker: 1, ephemeral: 1 }, ephemeral: { minBytes: 0 } },
      price: { model: "points", points: [{ atS: 0, usd: 0.02 }] },
    },
  };

  it("profit = (serving + reward earned)·price − (bandwidth + storage + fixed + capital), node by node", async () => {
    const run = await runEconomy(base);
    const r = run.rewards;
    const mns = run.world.nodes.idsOfRole(ROLE_IDS.masternode);
    const d = r.distributions();
    mns.forEach((node, i) => {
      const b = r.book(node);
      const pop = (w: bigint) => Number(w / 10n ** 12n) / 1e6;
      const revenue = (pop(b.servingRevenueWei) + pop(b.rewardEarnedWei)) * 0.02;
      const cost = (b.servedBytes / 1e9) * 0.01 + 1_000 * 0.006 * (HOURS / 720) + 2 * (HOURS / 24) + 50_000 * 0.05 * (HOURS / YEAR_H) * 0.02;
      expect(b.revenueUsd / revenue).toBeCloseTo(1, 7);
      expect(b.costUsd / cost).toBeCloseTo(1, 9);
      expect(d.operatorProfitUsd[i]).toBeCloseTo(revenue - cost, 5);
    });
    const profitable = d.operatorProfitUsd.filter((x) => x > 0).length / mns.length;
    expect(run.metric("economy.operators_profitable_share")).toBe(profitable);
    // Viewers: every payment over the viewers' online hours (20 viewers, always up).
    let paid = 0n;
    for (const v of run.world.nodes.idsOfRole(ROLE_IDS.viewer)) paid += r.book(v).paidWei;
    expect(run.metric("economy.viewer_hours")).toBeCloseTo(20 * HOURS, 9);
    expect(run.metric("economy.viewer_cost_per_hour_pop")).toBeCloseTo(Number(paid / 10n ** 12n) / 1e6 / (20 * HOURS), 9);
  });

  it("storage credit: audits passed set the share; a failed audit forfeits the interval's credit; stored bytes cost", async () => {
    const withPasses = await runEconomy({
      ...base,
      load: { mnBytes: 0 },
      storage: (w) => {
        const mns = w.nodes.idsOfRole(ROLE_IDS.masternode);
        return { auditFailuresOf: () => 0, auditsPassedOf: (node) => Math.floor(w.kernel.now / 300e6) * (mns.indexOf(node) + 1), storedBytesOf: () => 2e12 };
      },
    });
    const r = withPasses.rewards;
    const mns = withPasses.world.nodes.idsOfRole(ROLE_IDS.masternode);
    // Two audits passed per 10-minute period by masternode i, ×(i+1); 100 MB of share per audit.
    mns.forEach((n, i) => expect(r.mirror.sharesOf(ROLE.masternode, String(n))).toBe(BigInt(2 * (i + 1)) * 100_000_000n));
    const b = r.book(mns[0]);
    expect(b.costUsd / (2_000 * 0.006 * (HOURS / 720) + 2 * (HOURS / 24) + 50_000 * 0.05 * (HOURS / YEAR_H) * 0.02)).toBeCloseTo(1, 9);

    const withFailure = await runEconomy({
      ...base,
      load: { mnBytes: 0 },
      storage: (w) => {
        const first = w.nodes.idsOfRole(ROLE_IDS.masternode)[0];
        return { auditFailuresOf: (node) => (node === first && w.kernel.now >= 1_000e6 ? 1 : 0) };
      },
    });
    const f = withFailure.rewards;
    const [a, other] = withFailure.world.nodes.idsOfRole(ROLE_IDS.masternode);
    // Back to one credit per interval afterwards, but one period of reward was lost.
    expect(f.mirror.sharesOf(ROLE.masternode, String(a))).toBe(100_000_000n);
    expect(f.mirror.sharesOf(ROLE.masternode, String(other))).toBe(100_000_000n);
    expect(f.earnedInRoleWei(a, ROLE.masternode)).toBeLessThan(f.earnedInRoleWei(other, ROLE.masternode));
  });
});
