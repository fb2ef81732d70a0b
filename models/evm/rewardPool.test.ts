/**
 * RewardPool.sol against its exact bigint mirror (rewardPoolModel.ts): the three emission schedules, the
 * per-role per-share accumulator to the wei, emission never above the pool, payouts never above emission.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POP, RewardSchedule } from "./genesis.ts";
import type { AddressHex } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import { EmissionSchedule, type RewardPoolParams, RewardPoolModel, type ScheduleKind } from "./rewardPoolModel.ts";
import type { KeyPair } from "./sign.ts";
import { type Fixture, advance, fcParams, ok, reverts, systemFixture } from "./testkit.ts";

let f: Fixture;
let host: EvmHost;
let token: Contract;
let treasury: AddressHex;
let operator: KeyPair;
let users: KeyPair[];
let snap: number;

beforeAll(async () => {
  f = await systemFixture(4);
  host = f.host;
  token = f.system.token;
  treasury = f.system.keys.genesis.address;
  operator = f.users[3];
  users = f.users.slice(0, 3);
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

const DAY = 86_400n;

async function deployPool(params: RewardPoolParams, fund = true, start = true): Promise<Contract> {
  const pool = await host.deploy(treasury, "RewardPool", [
    token.address,
    operator.address,
    params.pool,
    BigInt(params.schedule),
    params.periodSeconds,
    params.decayPerPeriodWad,
    [...params.roleBps],
  ]);
  if (fund) await ok(host, treasury, token, "transfer", [pool.address, params.pool]);
  if (start) await ok(host, operator.address, pool, "start");
  return pool;
}

const halving: RewardPoolParams = {
  pool: 320_000_000n * POP,
  schedule: 1,
  periodSeconds: 365n * DAY,
  decayPerPeriodWad: 0n,
  roleBps: [3500n, 1500n, 2000n, 3000n],
};

describe("construction and start", () => {
  it("validates roles and schedule parameters", async () => {
    const bad = async (p: Partial<RewardPoolParams>, error: string) => {
      const q = { ...halving, ...p };
      const r = await host.deployRaw(treasury, "RewardPool", [
        token.address,
        operator.address,
        q.pool,
        BigInt(q.schedule),
        q.periodSeconds,
        q.decayPerPeriodWad,
        [...q.roleBps],
      ]);
      expect(r.revert?.name).toBe(error);
    };
    await bad({ roleBps: [3500n, 1500n] }, "BadRoles");
    await bad({ roleBps: [] }, "BadRoles");
    await bad({ roleBps: Array.from({ length: 9 }, (_, i) => (i === 0 ? 2000n : 1000n)) }, "BadRoles");
    await bad({ periodSeconds: 0n }, "BadSchedule");
    await bad({ schedule: 2, decayPerPeriodWad: 10n ** 18n }, "BadSchedule");
  });

  it("starts once, by the operator, only when funded", async () => {
    const pool = await deployPool(halving, false, false);
    await reverts(host, treasury, pool, "start", [], "NotOperator", [treasury]);
    await reverts(host, operator.address, pool, "start", [], "Underfunded", [0n, halving.pool]);
    await ok(host, treasury, token, "transfer", [pool.address, halving.pool]);
    const r = await ok(host, operator.address, pool, "start");
    expect(r.logs[0].args).toEqual({ startTime: host.timestampS, pool: halving.pool });
    await reverts(host, operator.address, pool, "start", [], "AlreadyStarted");
  });

  it("the genesis pool is the default: 320M POP, halving yearly, masternodes 35%", async () => {
    const rp = f.system.rewardPool;
    expect(await host.view1(rp, "pool")).toBe(320_000_000n * POP);
    expect(await host.view1(rp, "schedule")).toBe(BigInt(RewardSchedule.halving));
    expect(await host.view1(rp, "roleBps", [0n])).toBe(3500n);
    expect(await host.view1(rp, "started")).toBe(true);
  });
});

describe("emission schedules", () => {
  const cases: [string, RewardPoolParams][] = [
    ["constant over 4 years", { ...halving, schedule: 0, periodSeconds: 4n * 365n * DAY }],
    ["halving yearly", halving],
    ["exponential, 1%/week kept 99%", { ...halving, schedule: 2, periodSeconds: 7n * DAY, decayPerPeriodWad: 99n * 10n ** 16n }],
    ["exponential, q = 0", { ...halving, schedule: 2, periodSeconds: DAY, decayPerPeriodWad: 0n }],
    ["tiny pool", { ...halving, pool: 7n, schedule: 1, periodSeconds: 3n }],
  ];
  for (const [name, params] of cases) {
    it(`${name}: E(t) matches the model, is non-decreasing and never exceeds the pool`, async () => {
      const pool = await deployPool(params);
      const start = host.timestampS;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: 40n * 365n * DAY }), { minLength: 1, maxLength: 12 }), async (ts) => {
          const model = new EmissionSchedule(params);
          const sorted = [...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          let previous = 0n;
          for (const t of sorted) {
            const onChain = await host.view1<bigint>(pool, "emittedAt", [start + t]);
            expect(onChain).toBe(model.cumulative(t));
            expect(onChain >= previous).toBe(true);
            expect(onChain <= params.pool).toBe(true);
            previous = onChain;
          }
        }),
        fcParams(8),
      );
      // Far future: constant and halving emit everything; exponential approaches it.
      const end = await host.view1<bigint>(pool, "emittedAt", [start + 10_000n * 365n * DAY]);
      if (params.schedule !== 2 || params.decayPerPeriodWad === 0n) expect(end).toBe(params.pool);
      expect(end <= params.pool).toBe(true);
    });
  }

  it("halving emits half the pool in the first period, three quarters by the second", async () => {
    const model = new EmissionSchedule(halving);
    expect(model.cumulative(halving.periodSeconds)).toBe(halving.pool / 2n);
    expect(model.cumulative(2n * halving.periodSeconds)).toBe((halving.pool * 3n) / 4n);
    expect(model.cumulative(halving.periodSeconds / 2n)).toBe(halving.pool / 4n);
  });
});

type PoolOp =
  | { kind: "setShares"; role: number; who: number; shares: bigint }
  | { kind: "claim"; who: number }
  | { kind: "advance"; seconds: number };

describe("accumulator", () => {
  for (const schedule of [0, 1, 2] as ScheduleKind[]) {
    it(`schedule ${schedule}: pending, claims and role totals equal the bigint model to the wei`, async () => {
      const params: RewardPoolParams = {
        pool: 1_000_000n * POP + 12_345n,
        schedule,
        periodSeconds: schedule === 0 ? 100n * DAY : 10n * DAY,
        decayPerPeriodWad: 9n * 10n ** 17n,
        roleBps: [3500n, 4000n, 2500n],
      };
      const op: fc.Arbitrary<PoolOp> = fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant("setShares" as const),
            role: fc.nat(2),
            who: fc.nat(2),
            shares: fc.oneof(fc.bigInt({ min: 0n, max: 10n }), fc.bigInt({ min: 0n, max: 100_000n * POP })),
          }),
        },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("claim" as const), who: fc.nat(2) }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 30 * 86_400 }) }) },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
          const run = await host.snapshot();
          try {
            const pool = await deployPool(params);
            const model = new RewardPoolModel(params);
            model.start(host.timestampS);
            let paid = 0n;
            for (const o of ops) {
              if (o.kind === "advance") {
                advance(host, 1, o.seconds);
                continue;
              }
              const who = users[o.who].address;
              if (o.kind === "setShares") {
                await ok(host, operator.address, pool, "setShares", [BigInt(o.role), who, o.shares]);
                model.setShares(host.timestampS, o.role, who, o.shares);
              } else {
                const expected = model.claim(host.timestampS, who);
                const r = await host.call(who, pool, "claim");
                if (expected === 0n) expect(r.revert?.name).toBe("NothingToClaim");
                else expect(r.values).toEqual([expected]);
                paid += expected;
              }
              for (const u of users) expect(await host.view1(pool, "pending", [u.address])).toBe(model.pending(host.timestampS, u.address));
            }
            await ok(host, operator.address, pool, "update");
            model.update(host.timestampS);
            const [emitted, claimed, unallocated] = await Promise.all([
              host.view1<bigint>(pool, "totalEmitted"),
              host.view1<bigint>(pool, "totalClaimed"),
              host.view1<bigint>(pool, "unallocated"),
            ]);
            expect([emitted, claimed, unallocated]).toEqual([model.totalEmitted, model.totalClaimed, model.unallocated]);
            expect(claimed).toBe(paid);
            let roleSum = 0n;
            for (let r = 0; r < params.roleBps.length; r++) {
              const [totalShares, acc, roleEmitted] = await host.view(pool, "roles", [BigInt(r)]);
              const m = model.roles[r];
              expect([totalShares, acc, roleEmitted]).toEqual([m.totalShares, m.accPerShare, m.emitted]);
              roleSum += roleEmitted as bigint;
            }
            // Conservation: emitted = Σ role allocations + unallocated; paid + owed never exceeds allocations.
            expect(roleSum + unallocated).toBe(emitted);
            let pendingSum = 0n;
            for (const u of users) pendingSum += model.pending(host.timestampS, u.address);
            expect(claimed + pendingSum <= roleSum).toBe(true);
            expect(emitted <= params.pool).toBe(true);
            expect(await host.tokenBalance(token, pool.address)).toBe(params.pool - claimed);
          } finally {
            await host.revertTo(run);
          }
        }),
        fcParams(12),
      );
    });
  }

  it("setSharesBatch, unknown roles, operator hand-over", async () => {
    const pool = await deployPool(halving);
    const [a, b] = users;
    await reverts(host, a.address, pool, "setShares", [0n, a.address, 1n], "NotOperator");
    await reverts(host, operator.address, pool, "setShares", [4n, a.address, 1n], "UnknownRole", [4n]);
    await reverts(host, operator.address, pool, "setSharesBatch", [0n, [a.address], []], "LengthMismatch");
    await ok(host, operator.address, pool, "setSharesBatch", [0n, [a.address, b.address], [1n, 3n]]);
    expect(await host.view1(pool, "sharesOf", [0n, b.address])).toBe(3n);
    advance(host, 1, 86_400);
    const pa = await host.view1<bigint>(pool, "pendingByRole", [0n, a.address]);
    const pb = await host.view1<bigint>(pool, "pendingByRole", [0n, b.address]);
    expect(pb / 3n - pa <= 1n).toBe(true); // 1:3 split, up to rounding
    await ok(host, operator.address, pool, "setOperator", [a.address]);
    await ok(host, a.address, pool, "setShares", [1n, a.address, 1n]);
    await reverts(host, operator.address, pool, "setShares", [1n, a.address, 1n], "NotOperator");
    const c = users[2];
    await reverts(host, c.address, pool, "claim", [], "NothingToClaim", [c.address]);
    const pending = await host.view1<bigint>(pool, "pending", [b.address]);
    const claimed = await ok(host, b.address, pool, "claim");
    expect(claimed.values).toEqual([pending]);
    expect(claimed.logs.find((l) => l.name === "Claimed")?.args).toEqual({ account: b.address, amount: pending });
    await reverts(host, b.address, pool, "claim", [], "NothingToClaim");
  });
});
