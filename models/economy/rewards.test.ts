/**
 * Rewards against the real RewardPool contract: a small world (21 delegates, 8 masternodes, 20 viewers, 5 creators)
 * with the chain and its EVM, a synthetic load whose every byte and payment the test knows (testkit.ts), three
 * simulated hours with 10-minute intervals and every role posted every interval. Checked:
 * - emission: the contract's totalEmitted equals the emission schedule (rewardPoolModel.ts EmissionSchedule) at its
 *   last update exactly, and at any later update too;
 * - splits: Σ roles' emission + unallocated = emitted (exact); delegates and stakers, which both have shares from the
 *   first executed block, split in the ratio of their basis points (1500 : 2000, to 1e-6 — only floor dust differs);
 * - members: the contract's pending of every member in every role equals the mirror's (exact); a masternode's
 *   masternode-role reward is its share (i+1)/Σ(j+1) of the role's emission (to 1e9 wei: floor dust); equal stakes earn
 *   equal staker rewards (to 100 wei); every node's claimed POP (mirror) equals what the Claimed logs paid it;
 * - the supply audit (`evm.auditEveryBlock`) ran after every executed block and holds; the economy's own checker holds;
 * - sybil receipts: attackers' inflated shares are the contract's, above the shadow pool's honest ones;
 * - negative space: a mirror that drifts from the contract stops the run (at the next claim, or at the end);
 * - determinism: same seed ⇒ same trace hash and metrics.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { evmOf } from "../chain/plugin.ts";
import type { EvmChain } from "../chain/evmExecutor.ts";
import { EmissionSchedule } from "../evm/rewardPoolModel.ts";
import { ROLE } from "./rewards.ts";
import { type EconomyRun, runEconomy } from "./testkit.ts";

const ECONOMY = {
  rewards: {
    intervalS: 600,
    postEvery: { masternode: 1, delegate: 1, staker: 1, ephemeral: 1 },
    masternode: { storageCreditBytes: 0 },
    ephemeral: { minBytes: 0 },
    claim: { thresholdPop: 100, minGapS: 1_800 },
  },
};
const CHAIN = { evm: { auditEveryBlock: true, registrationsPerDay: 0, masternodesBondedAtGenesis: 1 } };

let run: EconomyRun;
let evm: EvmChain;

beforeAll(async () => {
  run = await runEconomy({ evm: true, duration: "3h", chain: CHAIN, economy: ECONOMY });
  evm = evmOf(run.world)!;
});

describe("the reward operator on the RewardPool contract", () => {
  it("runs: shares posted and claims paid through chain transactions, none refused for LIT", () => {
    expect(run.result.outcome.status).toBe("completed");
    expect(run.metric("economy.share_txs")).toBeGreaterThan(10);
    expect(run.metric("economy.claims_paid")).toBeGreaterThan(50);
    expect(run.metric("economy.txs_refused_lit")).toBe(0);
    expect(run.metric("economy.txs_failed")).toBe(0);
    expect(run.metric("chain.txs_refused_lit")).toBe(0);
    // The operator is the top delegate (the economy key has no stake, hence no LIT).
    expect(run.rewards.operatorAddress).not.toBe(evm.system.keys.economy.address);
    expect(evm.accounts.candidateAddress).toContain(run.rewards.operatorAddress);
  });

  it("emits exactly the emission schedule", async () => {
    const { host, system } = evm;
    const mirror = run.rewards.mirror;
    const schedule = new EmissionSchedule(mirror.params);
    const start = await host.view1<bigint>(system.rewardPool, "startTime");
    const emitted = await host.view1<bigint>(system.rewardPool, "totalEmitted");
    expect(emitted).toBe(mirror.totalEmitted);
    expect(emitted).toBe(schedule.cumulative(mirror.lastUpdateS - start));
    expect(emitted).toBeGreaterThan(0n);
    // The schedule's own view, and one more update an hour later: still the schedule, to the wei.
    expect(await host.view1<bigint>(system.rewardPool, "emittedAt", [mirror.lastUpdateS])).toBe(emitted);
    const later = host.timestampS + 3_600n;
    const snap = await host.snapshot();
    host.setBlock({ number: Number(host.blockNumber) + 1, timestampUs: Number(later - host.genesisTimestampS) * 1_000_000 });
    expect((await host.call(system.keys.genesis.address, system.rewardPool, "update", [])).ok).toBe(true);
    expect(await host.view1<bigint>(system.rewardPool, "totalEmitted")).toBe(schedule.cumulative(later - start));
    await host.revertTo(snap);
  });

  it("splits by role: every wei accounted, delegate : staker = 1500 : 2000", async () => {
    const { host, system } = evm;
    const mirror = run.rewards.mirror;
    const emitted: bigint[] = [];
    for (let r = 0; r < 4; r++) {
      const [totalShares, , e] = (await host.view(system.rewardPool, "roles", [BigInt(r)])) as bigint[];
      expect(e).toBe(mirror.roleEmitted(r));
      expect(totalShares).toBe(mirror.roleTotalShares(r));
      expect(totalShares).toBeGreaterThan(0n);
      emitted.push(e);
    }
    const unallocated = await host.view1<bigint>(system.rewardPool, "unallocated");
    expect(emitted.reduce((a, b) => a + b, 0n) + unallocated).toBe(mirror.totalEmitted);
    expect(Number(emitted[ROLE.delegate]) / Number(emitted[ROLE.staker])).toBeCloseTo(1500 / 2000, 6);
    // Masternodes (no storage credit here) and peers had no share before their first posting: that emission is unallocated.
    expect(unallocated).toBeGreaterThan(0n);
    expect(emitted[ROLE.masternode]).toBeGreaterThan(0n);
    expect(emitted[ROLE.ephemeral]).toBeGreaterThan(0n);
  });

  it("members: pending equals the contract's, rewards follow shares, claims equal the Claimed logs", async () => {
    const { host, system, accounts } = evm;
    const r = run.rewards;
    const mirror = r.mirror;
    const t = host.timestampS;
    const acc = mirror.project(t);
    for (const node of r.members) {
      for (let role = 0; role < 4; role++) {
        const onChain = await host.view1<bigint>(system.rewardPool, "pendingByRole", [BigInt(role), r.addressOf(node)]);
        expect(onChain).toBe(mirror.pendingByRoleAt(acc, role, String(node)));
      }
    }
    // Masternode i served (i+1) units every minute and has no storage credit: its share of the role is (i+1)/Σ(j+1).
    const mns = run.world.nodes.idsOfRole(ROLE_IDS.masternode);
    const weightTotal = (mns.length * (mns.length + 1)) / 2;
    const roleTotal = mirror.projectEmitted(t)[ROLE.masternode];
    let earnedSum = 0n;
    for (let i = 0; i < mns.length; i++) {
      // Claimed in the role + pending in it at the host's time (the last executed block).
      const earned = r.earnedInRoleWei(mns[i], ROLE.masternode, t);
      earnedSum += earned;
      const expected = (roleTotal * BigInt(i + 1)) / BigInt(weightTotal);
      const diff = earned > expected ? earned - expected : expected - earned;
      expect(diff).toBeLessThan(1_000_000_000n);
    }
    expect(earnedSum).toBeLessThanOrEqual(roleTotal);
    // Equal stakes, equal staker rewards (viewers hold 1,000 POP each, delegates 1,000,000).
    for (const role of [ROLE_IDS.viewer, ROLE_IDS.delegate]) {
      const nodes = run.world.nodes.idsOfRole(role);
      const e = nodes.map((n) => r.earnedInRoleWei(n, ROLE.staker));
      for (const x of e) expect(x > e[0] ? x - e[0] : e[0] - x).toBeLessThanOrEqual(100n);
      expect(e[0]).toBeGreaterThan(0n);
    }
    // Claimed (mirror, per claim's onResult) = received (Claimed logs), node by node; and in total = the contract's.
    let claimed = 0n;
    for (let node = 0; node < run.world.nodes.count; node++) {
      const b = r.book(node);
      expect(b.rewardReceivedWei).toBe(b.rewardClaimedWei);
      claimed += b.rewardClaimedWei;
    }
    expect(claimed).toBe(await host.view1<bigint>(system.rewardPool, "totalClaimed"));
    expect(claimed).toBeGreaterThan(0n);
    expect(r.claimedByRoleWei.reduce((a, b) => a + b, 0n)).toBe(claimed);
    expect(accounts.address.length).toBeGreaterThan(0);
  });

  it("the supply audit ran after every executed block and holds; the economy's books hold", async () => {
    expect(evm.audit.problem).toBeUndefined();
    expect(run.metric("chain.evm_audits")).toBeGreaterThanOrEqual(run.metric("chain.evm_blocks"));
    expect(run.rewards.problem()).toBeUndefined();
    expect(run.rewards.mirror.problem()).toBeUndefined();
    const pool = await evm.host.view1<bigint>(evm.system.token, "balanceOf", [evm.system.rewardPool.address]);
    expect(pool).toBe(run.rewards.mirror.params.pool - run.rewards.mirror.totalClaimed);
    expect(run.metric("economy.reward_pool_pop")).toBeCloseTo(Number(pool / 10n ** 12n) / 1e6, 3);
  });

  it("reports the economy's metrics", () => {
    expect(run.metric("economy.staking_ratio")).toBeGreaterThan(0.5);
    expect(run.metric("economy.staking_ratio")).toBeLessThanOrEqual(1);
    expect(run.metric("economy.velocity_per_day")).toBeGreaterThan(0);
    expect(run.metric("economy.operators")).toBe(8);
    expect(run.metric("economy.operators_profitable_share")).toBeGreaterThanOrEqual(0);
    expect(run.metric("economy.operator_profit_usd.p10")).toBeLessThanOrEqual(run.metric("economy.operator_profit_usd.p90"));
    // Creator c received (c+1) units per minute from one viewer: Gini of 1..5 = 4/15.
    expect(run.metric("economy.creator_revenue_gini")).toBeCloseTo(4 / 15, 9);
    expect(run.metric("economy.creator_long_tail_share")).toBeCloseTo(10 / 15, 9);
    expect(run.series("economy.pop_usd").length).toBeGreaterThan(10);
    const d = run.rewards.distributions();
    expect(d.creatorRevenuePop).toHaveLength(5);
    expect(d.operatorProfitUsd).toHaveLength(8);
  });
});

describe("the operator key", () => {
  it("the economy key without stake has no LIT: every posting is refused and counted, once per posting", async () => {
    const r = await runEconomy({ evm: true, duration: "40min", chain: CHAIN, economy: { rewards: { ...ECONOMY.rewards, operator: "economy-key" } } });
    const e = evmOf(r.world)!;
    expect(r.rewards.operatorAddress).toBe(e.system.keys.economy.address);
    expect(r.metric("economy.txs_refused_lit")).toBeGreaterThan(0);
    expect(r.metric("economy.txs_refused_lit")).toBeLessThanOrEqual(r.metric("economy.share_txs"));
    expect(r.rewards.mirror.roleTotalShares(ROLE.staker)).toBe(0n);
    expect(await e.host.view1<bigint>(e.system.rewardPool, "roles", [BigInt(ROLE.staker)])).toBe(0n);
  });
});

describe("sybil receipts on chain", () => {
  it("attackers' fake bytes win real reward POP from the contract; the shadow pool measures the gain", async () => {
    const sybil = { masternodeFraction: 0.25, sybilsPerMasternode: 5, fakeGbPerSybilPerHour: 1 };
    const r = await runEconomy({ evm: true, duration: "1h", chain: CHAIN, economy: { ...ECONOMY, sybil } });
    const attackers = r.world.nodes.idsOfRole(ROLE_IDS.masternode).filter((n) => r.rewards.isAttacker(n));
    expect(attackers).toHaveLength(2);
    expect(r.metric("economy.sybil_masternodes")).toBe(2);
    expect(r.metric("economy.sybil_gain_pop")).toBeGreaterThan(0);
    expect(r.metric("economy.sybil_cost_pop")).toBeGreaterThan(0);
    expect(r.metric("economy.sybil_lit_stake_pop")).toBeGreaterThan(0);
    // The contract holds the inflated shares: an attacker's on-chain masternode share exceeds its honest bytes.
    const e = evmOf(r.world)!;
    for (const n of attackers) {
      const onChain = await e.host.view1<bigint>(e.system.rewardPool, "sharesOf", [BigInt(ROLE.masternode), r.rewards.addressOf(n)]);
      expect(onChain).toBe(r.rewards.mirror.sharesOf(ROLE.masternode, String(n)));
      expect(onChain).toBeGreaterThan(r.rewards.shadow!.sharesOf(ROLE.masternode, String(n)));
    }
    expect(r.rewards.problem()).toBeUndefined();
  });
});

describe("negative space and determinism", () => {
  it("a mirror that drifts from the contract stops the run at the next claim", async () => {
    const p = runEconomy({
      evm: true,
      duration: "2h",
      chain: CHAIN,
      economy: ECONOMY,
      onLoad(tick, rewards) {
        if (tick === 20) rewards.mirror.setShares(rewards.mirror.lastUpdateS, ROLE.staker, "stray", 10n ** 24n);
      },
    });
    await expect(p).rejects.toThrow(/invariant "economy\.reward_books" violated: RewardPool paid node \d+ \d+ wei on a claim; the mirror says \d+/);
  });

  it("a drift no claim reveals is caught by the end-of-run comparison with the contract", async () => {
    const p = runEconomy({
      evm: true,
      duration: "30min",
      chain: CHAIN,
      economy: { rewards: { ...ECONOMY.rewards, claim: { thresholdPop: 1_000_000, minGapS: 0 } } },
      onLoad(tick, rewards) {
        if (tick === 5) rewards.mirror.setShares(rewards.mirror.lastUpdateS, ROLE.delegate, "stray", 7n);
      },
    });
    await expect(p).rejects.toThrow(/economy books at the end of the run: RewardPool vs mirror at the end: .*role 1 totalShares \d+ ≠ mirror \d+/);
  });

  it("same seed ⇒ same trace hash and metrics (on chain, every checker after every event)", async () => {
    const a = await runEconomy({ evm: true, duration: "40min", chain: CHAIN, economy: ECONOMY, check: true });
    const b = await runEconomy({ evm: true, duration: "40min", chain: CHAIN, economy: ECONOMY, check: true });
    expect(a.metric("economy.share_txs")).toBeGreaterThan(0);
    expect(b.result.outcome.traceHash).toBe(a.result.outcome.traceHash);
    expect(b.result.metrics).toEqual(a.result.metrics);
  });
});
