/**
 * The chain with real contracts (evmExecutor.ts): transactions of final blocks run in the EVM, the Staking contract
 * is the source of truth for stake and votes and the consensus ledger its mirror, LIT pays for every transaction,
 * and the supply is conserved at every block. Runs use check mode (every checker after every event, an audit of
 * the contracts after every executed block) unless said otherwise.
 */
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../scenarios/load.ts";
import { runScenario } from "../../sim/runner/run.ts";
import { TOTAL_SUPPLY_WEI } from "../evm/genesis.ts";
import type { AddressHex } from "../evm/hex.ts";
import { BURN_ADDRESS } from "./evmAudit.ts";
import type { EvmChain } from "./evmExecutor.ts";
import { electDelegates } from "./election.ts";
import { Behaviour } from "./genesis.ts";
import { chainPlugin } from "./plugin.ts";
import { runChain, safetySplit } from "./testkit.ts";
import { WEI_PER_POP, type Wei } from "./types.ts";

/** Plenty of LIT: a 1,000-POP voter regenerates a transaction's worth within seconds of genesis. */
const LIT_PLENTY = { capacityPerWindow: 100_000_000_000, windowS: 86_400, costPerTx: 100 };

/** The Staking contract's approval totals, by candidate index. */
async function contractVotes(evm: EvmChain): Promise<Wei[]> {
  const [list, votes] = (await evm.host.view(evm.system.staking, "delegateVotes")) as [AddressHex[], bigint[]];
  const byAddress = new Map(list.map((a, i) => [a, votes[i]]));
  return evm.accounts.candidateAddress.map((a) => byAddress.get(a)!);
}

const stakeOf = (evm: EvmChain, a: AddressHex) => evm.host.view1<bigint>(evm.system.staking, "stakeOf", [a]);

describe("votes through the Staking contract", () => {
  it("200 voters switch to a standby candidate: the contract's tally elects it, and the ledger mirrors the contract", async () => {
    let standby = -1;
    let voters = 0;
    const run = await runChain({
      duration: "6min",
      delegates: 30,
      viewers: 200,
      check: true,
      chain: { voting: { revotesPerDay: 0 }, evm: { enabled: true, lit: LIT_PLENTY, topUpsPerDay: 0 } },
      before(chain) {
        standby = chain.round().standby[0];
        for (let a = 0; a < chain.ledger.accountCount; a++) {
          if (chain.candidateNodes.includes(chain.ledger.accountNode[a])) continue;
          expect(chain.submitTx({ kind: "vote", account: a, candidates: [standby] }).ok).toBe(true);
          voters++;
        }
      },
    });
    const { chain, evm } = run;
    expect(voters).toBe(200);
    expect(run.result.outcome.status).toBe("completed");
    expect(run.metric("chain.votes_applied")).toBe(200);
    expect(run.metric("chain.txs_refused_lit")).toBe(0);
    const votes = await contractVotes(evm!);
    // Self-stake 1,000,000 POP plus the whole stake of the 200 voters, 1,000 POP each.
    expect(votes[standby]).toBe(1_200_000n * WEI_PER_POP);
    expect(votes).toEqual(chain.ledger.approvalWei);
    // The elected set is the contract's ranking (sorted here: delegateVotes() lists in registration order).
    const fromContract = electDelegates(votes, chain.ledger.eligible(), 21).active;
    expect(chain.round().active).toEqual(fromContract);
    expect(fromContract[0]).toBe(standby);
    expect(run.metric("chain.evm_audits")).toBeGreaterThanOrEqual(run.metric("chain.evm_blocks"));
  });
});

describe("slashing in the EVM", () => {
  it("3 equivocators: evidence commits, Staking.slashStake burns their stake, the ledger agrees to the wei", async () => {
    const run = await runChain({ duration: "15min", delegates: 25, check: true, chain: { adversary: { equivocators: 3 }, evm: { enabled: true, lit: LIT_PLENTY } } });
    const { chain, evm } = run;
    const e = evm!;
    expect(run.metric("chain.slashed")).toBe(3);
    const burned = await e.host.view1<bigint>(e.system.staking, "burned");
    expect(burned).toBeGreaterThan(0n);
    expect(burned).toBe(chain.ledger.slashedWeiTotal);
    expect(await e.host.tokenBalance(e.system.token, BURN_ADDRESS)).toBe(burned);
    const offenders = chain.replicas.filter((r) => r.behaviour === Behaviour.Equivocator).map((r) => r.cand);
    for (const o of offenders) {
      const stake = await stakeOf(e, e.accounts.candidateAddress[o]);
      // At least one 10 % slash of 1,000,000 POP, and exactly what the ledger holds.
      expect(stake).toBeLessThanOrEqual(900_000n * WEI_PER_POP);
      expect(stake).toBe(chain.ledger.stakeWei[chain.ledger.selfAccount[o]]);
      expect(chain.round().active).not.toContain(o);
    }
    expect(await e.host.view1<bigint>(e.system.token, "totalSupply")).toBe(TOTAL_SUPPLY_WEI);
    expect(run.metric("chain.burned_pop")).toBeCloseTo(Number(burned / 10n ** 12n) / 1e6, 3);
  });
});

describe("the audits can fail (negative space)", () => {
  it("a ledger that drifts from the Staking contract stops the run at the next executed block", async () => {
    const run = runChain({
      duration: "5min",
      check: true,
      chain: { voting: { revotesPerDay: 5_000 }, evm: { enabled: true, lit: LIT_PLENTY } },
      before(chain) {
        chain.ledger.addStake(0, 1n);
      },
    });
    await expect(run).rejects.toThrow(/invariant "chain\.evm_ledger" violated: at EVM block \d+: .*totalStaked \d+ ≠ ledger total stake/);
  });

  it("POP moved behind the executor's back breaks the supply identity in the full audit at the end", async () => {
    const run = runChain({
      duration: "2min",
      check: true,
      chain: { evm: { enabled: true } },
      async before(_chain, evm) {
        const stray = "0x00000000000000000000000000000000000000aa" as AddressHex;
        expect((await evm!.host.call(evm!.system.keys.genesis.address, evm!.system.token, "transfer", [stray, 1n])).ok).toBe(true);
      },
    });
    await expect(run).rejects.toThrow(/chain EVM audit at the end of the run: .* ≠ supply \d+ \(off by -1 wei\)/);
  });
});

describe("fees in LIT", () => {
  it("a sender without enough LIT is refused: no effect on the contracts or the ledger, recorded with its reason", async () => {
    let genesisApprovals: Wei[] = [];
    const run = await runChain({
      duration: "5min",
      check: true,
      chain: { voting: { revotesPerDay: 5_000 }, evm: { enabled: true, topUpsPerDay: 0, lit: { capacityPerWindow: 1_000_000, windowS: 86_400, costPerTx: 1_000_000 } } },
      before(chain) {
        genesisApprovals = chain.ledger.approvalWei.slice();
      },
    });
    const { chain, evm } = run;
    const executed = run.metric("chain.txs_executed");
    expect(executed).toBeGreaterThan(5);
    expect(run.metric("chain.txs_refused_lit")).toBe(executed);
    expect(run.metric("chain.lit_sufficiency")).toBe(0);
    expect(run.metric("chain.lit_consumed")).toBe(0);
    expect(run.metric("chain.votes_applied")).toBe(0);
    expect(chain.ledger.approvalWei).toEqual(genesisApprovals);
    expect(await contractVotes(evm!)).toEqual(genesisApprovals);
    expect(evm!.failures).toHaveLength(executed);
    for (const f of evm!.failures) {
      expect(f.refusedLit).toBe(true);
      expect(f.kind).toBe("vote");
      expect(f.reason).toMatch(/^InsufficientLit\(0x[0-9a-f]{40}, \d+, 1000000\)$/);
    }
  });

  it("holders start with no LIT and regenerate it: early transactions are refused, later ones pass", async () => {
    const run = await runChain({ duration: "20min", chain: { voting: { revotesPerDay: 3_000 }, evm: { enabled: true, topUpsPerDay: 0 } } });
    const refused = run.evm!.failures.filter((f) => f.refusedLit);
    expect(refused.length).toBeGreaterThan(0);
    const sufficiency = run.metric("chain.lit_sufficiency");
    expect(sufficiency).toBeGreaterThan(0.3);
    expect(sufficiency).toBeLessThan(1);
    expect(run.metric("chain.lit_consumed")).toBe(100 * (run.metric("chain.txs_executed") - refused.length));
    // Refusals cluster early: the median refused block is below the median height.
    const heights = refused.map((f) => f.blockNumber).sort((a, b) => a - b);
    expect(heights[Math.floor(heights.length / 2)]).toBeLessThan(run.metric("chain.lib_height") / 2);
  });
});

describe("quorum bounds with the EVM executor on", () => {
  it("honest 7 | 6 split, 8 equivocators: no conflicting irreversible blocks; all 8 slashed in the EVM", async () => {
    const base = safetySplit(7, 6, 8);
    const run = await runChain({ ...base, chain: { ...base.chain, evm: { enabled: true, lit: LIT_PLENTY } } });
    expect(run.metric("chain.conflicting_irreversible")).toBe(0);
    expect(run.metric("chain.slashed")).toBe(8);
    const e = run.evm!;
    expect(await e.host.view1<bigint>(e.system.staking, "burned")).toBe(run.chain.ledger.slashedWeiTotal);
    expect(run.chain.equivocatorsActive()).toBe(0);
  });

  it("7 offline: the LIB never leaves genesis, so nothing commits and the EVM runs no block", async () => {
    const run = await runChain({ duration: "5min", chain: { adversary: { offline: 7 }, voting: { revotesPerDay: 5_000 }, evm: { enabled: true } } });
    expect(run.metric("chain.lib_height")).toBe(0);
    expect(run.metric("chain.txs_submitted")).toBeGreaterThan(0);
    expect(run.metric("chain.evm_blocks")).toBe(0);
    expect(run.metric("chain.txs_executed")).toBe(0);
  });
});

describe("determinism with the EVM", () => {
  it("same seed ⇒ same trace hash, metrics and EVM state digest; another seed differs", async () => {
    const opts = { duration: "4min", masternodes: 20, chain: { voting: { revotesPerDay: 20_000 }, evm: { enabled: true, lit: LIT_PLENTY, topUpsPerDay: 5_000, registrationsPerDay: 5_000 } } };
    const a = await runChain(opts);
    const b = await runChain(opts);
    const c = await runChain({ ...opts, seed: 2 });
    expect(a.metric("chain.txs_executed")).toBeGreaterThan(20);
    expect(a.metric("chain.stake_topups")).toBeGreaterThan(0);
    expect(a.metric("chain.masternode_registrations")).toBeGreaterThan(0);
    expect(b.result.outcome.traceHash).toBe(a.result.outcome.traceHash);
    expect(b.result.metrics).toEqual(a.result.metrics);
    expect(b.evm!.host.stateDigest()).toBe(a.evm!.host.stateDigest());
    expect(c.result.outcome.traceHash).not.toBe(a.result.outcome.traceHash);
    expect(c.evm!.host.stateDigest()).not.toBe(a.evm!.host.stateDigest());
  });
});

describe("the chain scenario", () => {
  it("runs end to end from scenarios/chain.json with real contracts, every checker after every event", async () => {
    const { scenario } = loadScenario("chain", ["duration=8min"]);
    const res = await runScenario({ scenario, checkMode: true });
    expect(res.outcome.status).toBe("completed");
    const m = new Map(res.metrics.map((x) => [x.name, x.value]));
    expect(m.get("chain.txs_executed")).toBeGreaterThan(10);
    expect(m.get("chain.votes_applied")).toBeGreaterThan(0);
    expect(m.get("chain.stake_topups")).toBeGreaterThan(0);
    expect(m.get("chain.gas_used")).toBeGreaterThan(0);
    expect(m.get("chain.supply_pop")).toBe(1_600_000_000);
    expect(m.get("chain.conflicting_irreversible")).toBe(0);
    const evm = chainPlugin.evm!;
    expect(evm.audit.problem).toBeUndefined();
    // Genesis wrote the ledger into the contract: bonds for 80 % of the 50 masternodes, stake for every holder.
    expect(m.get("chain.masternodes_bonded")).toBeGreaterThanOrEqual(40);
    const last = evm.audit.last;
    expect(last.liquid + last.staked + last.unbonding + last.bonded + last.escrow + last.ticketDeposits + last.rewardPool + last.burned).toBe(TOTAL_SUPPLY_WEI);
  });
});
