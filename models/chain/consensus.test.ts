/**
 * The SDPoS state machine in a real world (network, faults), against the quorum bounds of DOMAIN.md §c for
 * N = 21, q = 15: liveness survives 6 offline delegates and stalls with 7; with the honest delegates split by a
 * partition and the equivocators bridging both halves, 8 equivocators cannot finalize conflicting blocks and 9
 * can. Also: slashing, the cartel, determinism, and the EVM seam.
 */
import { describe, expect, it } from "vitest";
import { Behaviour } from "./genesis.ts";
import { noopExecutor } from "./executor.ts";
import { makeChainPlugin } from "./plugin.ts";
import { chainParams } from "./params.ts";
import { runChain, safetySplit } from "./testkit.ts";
import { scenarioFrom } from "../../scenarios/load.ts";
import { runScenario } from "../../sim/runner/run.ts";
import type { Block, SlashEvent, Tx } from "./types.ts";

describe("healthy chain", () => {
  it("produces every slot, finalizes ~15 blocks behind the head, with checkers after every event", async () => {
    const run = await runChain({ duration: "10min", check: true });
    expect(run.metric("chain.slots")).toBe(200);
    expect(run.metric("chain.blocks_produced")).toBe(200);
    expect(run.metric("chain.missed_slots")).toBe(0);
    expect(run.metric("chain.conflicting_irreversible")).toBe(0);
    const lag = run.metric("chain.head_height") - run.metric("chain.lib_height");
    expect(lag).toBeGreaterThanOrEqual(14);
    expect(lag).toBeLessThanOrEqual(30);
    // A block needs 14 more distinct producers: ≈ 14–21 slots of 3 s.
    expect(run.metric("chain.finality_latency_s.p50")).toBeGreaterThan(40);
    expect(run.metric("chain.finality_latency_s.p50")).toBeLessThan(70);
    expect(run.metric("chain.nakamoto_seats")).toBe(7);
    const sds = run.chain.superDelegates();
    expect(sds).toHaveLength(7);
    expect(sds).toEqual(run.chain.activeDelegates().slice(0, 7));
  });
});

describe("liveness bound (N = 21, q = 15)", () => {
  it("6 offline delegates: the LIB keeps advancing; 7: it never leaves genesis", async () => {
    const six = await runChain({ duration: "10min", chain: { adversary: { offline: 6 } } });
    const seven = await runChain({ duration: "10min", chain: { adversary: { offline: 7 } } });
    expect(six.metric("chain.missed_slot_rate")).toBeCloseTo(6 / 21, 1);
    expect(six.metric("chain.lib_height")).toBeGreaterThan(100);
    expect(six.metric("chain.lib_stall_max_s")).toBeLessThan(90);
    // The LIB advances in every sampled minute after the first.
    const libs = six.series("chain.lib_height").map(([, v]) => v);
    for (let i = 2; i < libs.length; i++) expect(libs[i]).toBeGreaterThan(libs[i - 1]);
    expect(seven.metric("chain.blocks_produced")).toBeGreaterThan(100);
    expect(seven.metric("chain.lib_height")).toBe(0);
    expect(seven.metric("chain.lib_stall_max_s")).toBe(600);
    expect(seven.metric("chain.finality_latency_s.count")).toBe(0);
  });
});

describe("safety bound (N = 21, q = 15)", () => {
  it("honest 7 | 6 split by a partition, 8 equivocators bridging: no conflicting irreversible blocks; the halves reconverge", async () => {
    const run = await runChain(safetySplit(7, 6, 8));
    expect(run.metric("chain.conflicting_irreversible")).toBe(0);
    // The 7 + 8 side finalized during the partition; the 6 + 8 side could not, and reorganized after the heal.
    expect(run.metric("chain.reorg_depth_max")).toBeGreaterThan(50);
    const honest = run.chain.replicas.filter((r) => r.behaviour === Behaviour.Honest);
    const libs = honest.map((r) => r.libNumber);
    expect(Math.min(...libs)).toBeGreaterThan(150);
    for (const r of honest) expect(run.chain.finalIdAt(r.libNumber)).toBe(r.libId);
    // Evidence crossed after the heal and every equivocator was slashed out of the active set.
    expect(run.metric("chain.equivocations_detected")).toBeGreaterThan(0);
    expect(run.metric("chain.slashed")).toBe(8);
    expect(run.chain.equivocatorsActive()).toBe(0);
  });

  it("honest 6 | 6 split, 9 equivocators: each side reaches 6 + 9 = 15 and both finalize — conflicting irreversible blocks", async () => {
    const run = await runChain(safetySplit(6, 6, 9));
    expect(run.metric("chain.conflicting_irreversible")).toBeGreaterThan(50);
    expect(run.chain.safetyBoundHeld()).toBe(false);
    // The two halves hold different blocks at the same irreversible height, and neither can ever switch.
    const honest = run.chain.replicas.filter((r) => r.behaviour === Behaviour.Honest);
    const h = Math.min(...honest.map((r) => r.libNumber));
    const atH = new Set(honest.map((r) => r.branch[h - r.branchBase]));
    expect(atH.size).toBe(2);
  });
});

describe("double-signing without a partition", () => {
  it("is detected, committed as evidence, slashed, and the offenders are replaced by standbys", async () => {
    const slashes: SlashEvent[] = [];
    const plugin = makeChainPlugin({ params: chainParams({ adversary: { equivocators: 3 } }) });
    const scenario = scenarioFrom({ duration: "15min", population: { viewers: 100, creators: 0, masternodes: 0, delegates: 25 }, traffic: { enabled: false } });
    const setup = plugin.setup.bind(plugin);
    plugin.setup = (world) => {
      setup(world);
      plugin.chain!.onSlash((ev) => slashes.push(ev));
    };
    const res = await runScenario({ scenario, plugins: [plugin], checkMode: true });
    const chain = plugin.chain!;
    const m = (n: string) => res.metrics.find((x) => x.name === n)!.value;
    const offenders = chain.replicas.filter((r) => r.behaviour === Behaviour.Equivocator).map((r) => r.cand);
    expect(offenders).toHaveLength(3);
    expect(m("chain.equivocations_detected")).toBeGreaterThanOrEqual(3);
    expect(m("chain.slashed")).toBe(3);
    expect(new Set(slashes.map((s) => s.offender))).toEqual(new Set(offenders));
    // First slash of each offender: 10 % of its 1,000,000 POP self-stake.
    for (const o of offenders) expect(slashes.find((s) => s.offender === o)!.amountWei).toBe(100_000n * 10n ** 18n);
    expect(new Set(slashes.map((s) => s.evidenceId)).size).toBe(slashes.length);
    const round = chain.round();
    expect(round.active).toHaveLength(21);
    for (const o of offenders) expect(round.active).not.toContain(o);
    expect(m("chain.conflicting_irreversible")).toBe(0);
    expect(m("chain.reorgs")).toBeGreaterThan(0);
  });
});

describe("vote-buying cartel", () => {
  it("bribes its standby candidates into the active set, and the Nakamoto coefficient over seats falls to 1", async () => {
    const run = await runChain({
      duration: "1d",
      delegates: 30,
      viewers: 200,
      chain: {
        blockTimeS: 30,
        voting: { revotesPerDay: 0 },
        stake: { delegatePop: 10_000 },
        cartel: { stakeShare: 0.05, candidates: 8, bribedFractionPerDay: 1, bribedFractionMax: 0.8 },
      },
    });
    const seats = run.series("chain.cartel_seats");
    expect(seats[0][1]).toBeLessThan(3);
    expect(seats[seats.length - 1][1]).toBe(8);
    const nakamoto = run.series("chain.nakamoto_seats");
    expect(nakamoto[0][1]).toBeGreaterThanOrEqual(5);
    expect(nakamoto[nakamoto.length - 1][1]).toBe(1);
    expect(run.metric("chain.bribes")).toBe(160);
    expect(run.metric("chain.votes_applied")).toBe(160);
    expect(run.metric("chain.nakamoto_stake")).toBe(1);
  });
});

describe("determinism and the EVM seam", () => {
  const opts = { ...safetySplit(9, 9, 3), duration: "4min", timeline: [{ at: "30s", action: "partition", region: "us-east", regions: ["eu-west"], for: "1min" }], chain: { adversary: { equivocators: 3, region: "ap-southeast" }, voting: { revotesPerDay: 20_000 } } };

  it("same seed ⇒ same trace hash and metrics; another seed differs", async () => {
    const a = await runChain(opts);
    const b = await runChain(opts);
    const c = await runChain({ ...opts, seed: 2 });
    expect(a.metric("chain.txs_committed")).toBeGreaterThan(10);
    expect(b.result.outcome.traceHash).toBe(a.result.outcome.traceHash);
    expect(b.result.metrics).toEqual(a.result.metrics);
    expect(c.result.outcome.traceHash).not.toBe(a.result.outcome.traceHash);
  });

  it("an asynchronous executor is awaited, runs once per produced block before it is sent, and changes nothing", async () => {
    let txsSeen = 0;
    const knownAtExecution: { producer: number; knownBy: Uint8Array }[] = [];
    const executor = {
      execute(block: Block, txs: readonly Tx[]) {
        txsSeen += txs.length;
        knownAtExecution.push({ producer: block.producer, knownBy: block.knownBy.slice() });
        return Promise.resolve();
      },
    };
    const asyncRun = await runChain({ ...opts, executor });
    const syncRun = await runChain({ ...opts, executor: noopExecutor });
    expect(knownAtExecution).toHaveLength(asyncRun.metric("chain.blocks_produced"));
    expect(txsSeen).toBeGreaterThan(0);
    // Executed before it was sent: no honest replica but the producer had seen the block.
    const honest = asyncRun.chain.replicas.filter((r) => r.behaviour === Behaviour.Honest).map((r) => r.cand);
    for (const { producer, knownBy } of knownAtExecution) for (const c of honest) if (c !== producer) expect(knownBy[c]).toBe(0);
    expect(asyncRun.result.outcome.traceHash).toBe(syncRun.result.outcome.traceHash);
  });
});

describe("plugin", () => {
  it("does nothing when disabled (the default), and rejects too few delegates", async () => {
    const scenario = scenarioFrom({ duration: "1min", population: { viewers: 10, creators: 0, masternodes: 0, delegates: 5 }, traffic: { enabled: false } });
    const plugin = makeChainPlugin();
    const res = await runScenario({ scenario, plugins: [plugin] });
    expect(plugin.chain).toBeUndefined();
    expect(res.metrics.some((m) => m.name.startsWith("chain."))).toBe(false);
    await expect(runScenario({ scenario, plugins: [makeChainPlugin({ params: chainParams() })] })).rejects.toThrow(/population.delegates \(5\) must be at least/);
  });
});

describe("bounded memory", () => {
  it("prunes old blocks, moves a long-down delegate to a checkpoint, and it rejoins; checkers after every event", async () => {
    const run = await runChain({
      duration: "12min",
      chain: { blockTimeS: 0.25, blocks: { keepFinalBlocks: 100 } },
      timeline: [{ at: "20s", action: "crash", role: "delegate", count: 2, for: "6min" }],
      check: true,
    });
    const { chain } = run;
    expect(run.metric("chain.checkpoint_syncs")).toBe(2);
    expect(chain.prunedBelow).toBeGreaterThan(1500);
    let kept = 0;
    for (let id = 0; id < chain.blockCount; id++) if (chain.blockIfKept(id) !== undefined) kept++;
    expect(kept).toBeLessThan(chain.blockCount - 1500);
    expect(chain.roundAt(0)).toBeUndefined();
    // Every honest replica, the two that were down included, finalizes near the top again.
    const honest = chain.replicas.filter((r) => r.behaviour === Behaviour.Honest);
    for (const r of honest) expect(r.libNumber).toBeGreaterThan(chain.libHeight() - 40);
    expect(run.metric("chain.conflicting_irreversible")).toBe(0);
  });
});
