/**
 * The chain's EVM invariants, audited against the contracts' own state (STYLE.md principle 5).
 *
 * Purpose: two checkers for a chain that runs real contracts, observed from outside the executor:
 * - chain.evm_supply — POP is conserved and fully accounted for (DOMAIN.md §d, §f):
 *     POPToken.totalSupply() == 1.6e9 × 1e18, and
 *     liquid + staked + channel escrow + ticket deposits + reward pool + burned == totalSupply, exactly (bigint),
 *     where liquid = Σ balanceOf over every other holder (accounts, the treasury and system keys, any address a
 *     Transfer ever named), staked = balanceOf(Staking), escrow = balanceOf(Unidirectional), ticket deposits =
 *     balanceOf(TicketBroker) (senders' deposits and reserves), reward pool = balanceOf(RewardPool), burned =
 *     balanceOf(dead address); and the contracts' books agree with their
 *     balances: balanceOf(Staking) == totalStaked + totalUnbonding + totalBonded, burned == Staking.burned().
 * - chain.evm_ledger — the consensus ledger mirrors the Staking contract (its source of truth): every candidate's
 *   `votesFor` equals the ledger's approval stake, `totalStaked` equals the ledger's total, the stakes of accounts
 *   that changed equal the ledger's, `Staking.burned` equals the ledger's slashed total, and `LIT.totalBurned`
 *   equals the LIT the executor consumed.
 *
 * Method: checkers are synchronous and the contracts can only be read by awaiting the VM, so the audit runs inside
 * the executor's awaited events (after every executed block in check mode, every `auditIntervalS` of simulated
 * time, at genesis and at the end) and records the first problem; the registered checkers report it, so the run dies with
 * the kernel's usual invariant message. Reading every holder at every audit would cost thousands of calls, so
 * holders' balances are cached and re-read only when a Transfer log of an executed transaction names them (the
 * token emits Transfer for every balance change); a full audit (genesis and end, in check mode) re-reads every
 * holder and every account's stake. The last audit's figures are gauges (`chain.*_pop`, stale by up to
 * `auditIntervalS` outside check mode).
 */
import type { Kernel } from "../../sim/kernel/index.ts";
import type { Counter, Metrics } from "../../sim/kernel/metrics.ts";
import { TOTAL_SUPPLY_WEI, type PopSystem } from "../evm/genesis.ts";
import type { AddressHex } from "../evm/hex.ts";
import type { CallResult, Contract, EvmHost } from "../evm/host.ts";
import type { EvmAccounts } from "./evmGenesis.ts";
import type { Ledger } from "./ledger.ts";
import { weiToPop, type Wei } from "./types.ts";

/** Staking.BURN_ADDRESS, where slashed POP goes (POPToken has no burn). */
export const BURN_ADDRESS = "0x000000000000000000000000000000000000dead" as AddressHex;

export interface EvmAuditInput {
  host: EvmHost;
  system: PopSystem;
  accounts: EvmAccounts;
  ledger: Ledger;
  metrics: Metrics;
  /** LIT units the executor consumed so far. */
  litConsumed: () => bigint;
  /** Count one EVM call (a view). */
  countCall: () => void;
}

export interface SupplyBreakdown {
  supply: Wei;
  liquid: Wei;
  staked: Wei;
  unbonding: Wei;
  bonded: Wei;
  escrow: Wei;
  /** TicketBroker's balance: probabilistic-micropayment deposits and reserves. */
  ticketDeposits: Wei;
  rewardPool: Wei;
  burned: Wei;
}

export class EvmAudit {
  /** The first supply problem found (sticky: the run is invalid from then on). */
  supplyProblem: string | undefined;
  /** The first ledger/contract disagreement found. */
  ledgerProblem: string | undefined;
  readonly last: SupplyBreakdown = { supply: 0n, liquid: 0n, staked: 0n, unbonding: 0n, bonded: 0n, escrow: 0n, ticketDeposits: 0n, rewardPool: 0n, burned: 0n };
  private readonly in: EvmAuditInput;
  /** Token balances of holders outside the category contracts (and the dead address), as of their last re-read. */
  private readonly balances = new Map<AddressHex, Wei>();
  private readonly touched = new Set<AddressHex>();
  private readonly stakeTouched = new Set<number>();
  private readonly categories: Set<string>;
  /** Category contracts a Transfer named since the last audit (their balances changed). */
  private readonly categoriesTouched = new Set<string>();
  private audited = false;
  private stakingBalanceLast = 0n;
  private readonly audits: Counter;

  constructor(input: EvmAuditInput) {
    this.in = input;
    const { system, accounts } = input;
    this.categories = new Set([system.staking.address, system.channels.address, system.tickets.address, system.rewardPool.address, BURN_ADDRESS]);
    // Genesis balances are known: each account holds its liquid allocation, plus the bond if it registers later.
    const registersLater = new Set(accounts.unbonded);
    const bond = system.options.masternodeBondWei;
    accounts.address.forEach((a, i) => this.balances.set(a, accounts.liquidWei[i] + (registersLater.has(i) ? bond : 0n)));
    for (const k of Object.values(system.keys)) this.touch(k.address);
    const m = input.metrics;
    this.audits = m.counter("chain.evm_audits");
    m.gauge("chain.supply_pop", () => weiToPop(this.last.supply));
    m.gauge("chain.liquid_pop", () => weiToPop(this.last.liquid));
    m.gauge("chain.staked_pop", () => weiToPop(this.last.staked));
    m.gauge("chain.bonded_pop", () => weiToPop(this.last.bonded));
    m.gauge("chain.escrow_pop", () => weiToPop(this.last.escrow));
    m.gauge("chain.ticket_deposits_pop", () => weiToPop(this.last.ticketDeposits));
    m.gauge("chain.reward_pool_pop", () => weiToPop(this.last.rewardPool));
    m.gauge("chain.burned_pop", () => weiToPop(this.last.burned));
  }

  get problem(): string | undefined {
    return this.supplyProblem ?? this.ledgerProblem;
  }

  register(kernel: Kernel): void {
    kernel.addChecker("chain.evm_supply", () => this.supplyProblem);
    kernel.addChecker("chain.evm_ledger", () => this.ledgerProblem);
  }

  /** Remember the holders an executed call's Transfer logs name (their balances changed). */
  noteLogs(r: CallResult): void {
    const token = this.in.system.token.address;
    for (const log of r.logs) {
      if (log.name !== "Transfer" || log.address !== token) continue;
      this.touch(log.args.from as AddressHex);
      this.touch(log.args.to as AddressHex);
    }
  }

  /** An account whose stake changed (its `stakeOf` is compared with the ledger at the next audit). */
  noteStake(account: number): void {
    this.stakeTouched.add(account);
  }

  /** A disagreement the executor found while applying a transaction. */
  report(problem: string): void {
    this.ledgerProblem ??= problem;
  }

  private touch(address: AddressHex): void {
    if (!this.categories.has(address)) this.touched.add(address);
    else this.categoriesTouched.add(address);
  }

  /**
   * The per-block audit (`evm.auditEveryBlock`): the same supply identity, re-reading only what the block's Transfer
   * logs touched — holders and category contracts — and reusing every other figure from the last audit, which is
   * exact because a balance changes only with a Transfer naming it. A block that touched Staking (stake, bonds,
   * slashes) or any stake gets the ordinary audit, ledger included. Costs one view per touched address.
   */
  async runBlock(): Promise<void> {
    if (!this.audited || this.stakeTouched.size > 0 || this.categoriesTouched.has(this.in.system.staking.address) || this.categoriesTouched.has(BURN_ADDRESS)) {
      await this.run(false);
      return;
    }
    this.audits.add(1);
    const { system, host } = this.in;
    const balance = async (a: AddressHex): Promise<bigint> => {
      this.in.countCall();
      return host.view1<bigint>(system.token, "balanceOf", [a]);
    };
    const holders = [...this.touched];
    this.touched.clear();
    for (const a of holders) {
      const before = this.balances.get(a) ?? 0n;
      const now = await balance(a);
      this.balances.set(a, now);
      this.last.liquid += now - before;
    }
    const cats = this.categoriesTouched;
    if (cats.has(system.channels.address)) this.last.escrow = await balance(system.channels.address);
    if (cats.has(system.tickets.address)) this.last.ticketDeposits = await balance(system.tickets.address);
    if (cats.has(system.rewardPool.address)) this.last.rewardPool = await balance(system.rewardPool.address);
    cats.clear();
    const s = this.last;
    const sum = s.liquid + this.stakingBalanceLast + s.escrow + s.ticketDeposits + s.rewardPool + s.burned;
    if (sum !== s.supply) {
      this.supplyProblem ??= `at EVM block ${host.blockNumber}: liquid ${s.liquid} + staked ${this.stakingBalanceLast} + escrow ${s.escrow} + ticket deposits ${s.ticketDeposits} + reward pool ${s.rewardPool} + burned ${s.burned} = ${sum} ≠ supply ${s.supply} (off by ${sum - s.supply} wei)`;
    }
  }

  /** Audit now; `full` re-reads every holder and every account's stake. */
  async run(full: boolean): Promise<void> {
    this.audited = true;
    this.categoriesTouched.clear();
    this.audits.add(1);
    const { system, ledger, host } = this.in;
    const view = async (c: Contract, fn: string, args: readonly (string | bigint)[] = []): Promise<bigint> => {
      this.in.countCall();
      return host.view1<bigint>(c, fn, args);
    };
    const balance = (a: AddressHex) => view(system.token, "balanceOf", [a]);

    // Supply.
    const holders = full ? [...this.balances.keys(), ...this.touched] : [...this.touched];
    this.touched.clear();
    for (const a of holders) this.balances.set(a, await balance(a));
    let liquid = 0n;
    for (const v of this.balances.values()) liquid += v;
    const s: SupplyBreakdown = {
      supply: await view(system.token, "totalSupply"),
      liquid,
      staked: await view(system.staking, "totalStaked"),
      unbonding: await view(system.staking, "totalUnbonding"),
      bonded: await view(system.staking, "totalBonded"),
      escrow: await balance(system.channels.address),
      ticketDeposits: await balance(system.tickets.address),
      rewardPool: await balance(system.rewardPool.address),
      burned: await balance(BURN_ADDRESS),
    };
    const stakingBalance = await balance(system.staking.address);
    const burnedBook = await view(system.staking, "burned");
    this.stakingBalanceLast = stakingBalance;
    Object.assign(this.last, s);
    const supplyProblems: string[] = [];
    if (s.supply !== TOTAL_SUPPLY_WEI) supplyProblems.push(`totalSupply is ${s.supply}, not ${TOTAL_SUPPLY_WEI}`);
    const locked = s.staked + s.unbonding + s.bonded;
    if (stakingBalance !== locked) supplyProblems.push(`Staking holds ${stakingBalance} wei but its books say ${locked} (staked + unbonding + bonded)`);
    if (s.burned !== burnedBook) supplyProblems.push(`the dead address holds ${s.burned} wei but Staking.burned is ${burnedBook}`);
    const sum = s.liquid + stakingBalance + s.escrow + s.ticketDeposits + s.rewardPool + s.burned;
    if (sum !== s.supply) {
      supplyProblems.push(`liquid ${s.liquid} + staked ${stakingBalance} + escrow ${s.escrow} + ticket deposits ${s.ticketDeposits} + reward pool ${s.rewardPool} + burned ${s.burned} = ${sum} ≠ supply ${s.supply} (off by ${sum - s.supply} wei)`);
    }
    if (supplyProblems.length > 0) this.supplyProblem ??= `at EVM block ${host.blockNumber}: ${supplyProblems.join("; ")}`;

    // Ledger mirror.
    const ledgerProblems: string[] = [];
    this.in.countCall();
    const [list, votes] = (await host.view(system.staking, "delegateVotes")) as [AddressHex[], bigint[]];
    const candidateAddress = this.in.accounts.candidateAddress;
    if (list.length !== candidateAddress.length) ledgerProblems.push(`Staking lists ${list.length} delegates, the ledger ${candidateAddress.length}`);
    const votesOf = new Map<string, bigint>();
    list.forEach((a, i) => votesOf.set(a, votes[i]));
    for (let c = 0; c < candidateAddress.length; c++) {
      const v = votesOf.get(candidateAddress[c]);
      if (v !== ledger.approvalWei[c]) ledgerProblems.push(`candidate ${c}: votesFor ${v} ≠ ledger approval stake ${ledger.approvalWei[c]}`);
      if (ledgerProblems.length >= 3) break;
    }
    const ledgerTotal = ledger.totalStakeWei();
    if (s.staked !== ledgerTotal) ledgerProblems.push(`totalStaked ${s.staked} ≠ ledger total stake ${ledgerTotal}`);
    const accounts = full ? [...ledger.stakeWei.keys()] : [...this.stakeTouched];
    this.stakeTouched.clear();
    for (const a of accounts) {
      const onChain = await view(system.staking, "stakeOf", [this.in.accounts.address[a]]);
      if (onChain !== ledger.stakeWei[a]) {
        ledgerProblems.push(`account ${a}: stakeOf ${onChain} ≠ ledger stake ${ledger.stakeWei[a]}`);
        break;
      }
    }
    if (burnedBook !== ledger.slashedWeiTotal) ledgerProblems.push(`Staking.burned ${burnedBook} ≠ ledger slashed total ${ledger.slashedWeiTotal}`);
    const litBurned = await view(system.lit, "totalBurned");
    if (litBurned !== this.in.litConsumed()) ledgerProblems.push(`LIT.totalBurned ${litBurned} ≠ LIT consumed by the executor ${this.in.litConsumed()}`);
    if (ledgerProblems.length > 0) this.ledgerProblem ??= `at EVM block ${host.blockNumber}: ${ledgerProblems.join("; ")}`;
  }
}
