/**
 * The EVM executor: the final chain's transactions run in @ethereumjs/vm against popsim's real contracts.
 *
 * Purpose: make the chain's state real. Votes, stake top-ups, masternode registrations (the 50,000-POP bond) and
 * slashing evidence become calls of the Staking contract; every transaction first burns its sender's LIT; gas is
 * measured; and the supply and the consensus ledger are audited against the contracts (evmAudit.ts).
 *
 * Design decisions:
 * - **Execute at commit, not at production.** One EVM state follows the irreversible chain: `Chain.onCommit`
 *   reports each block as it becomes final at the first honest delegate, in height order along one chain, so the
 *   EVM never sees a block that later loses a fork nor either version of an equivocation, and never needs a
 *   revert (`host.snapshot/revertTo` stay unused). The cost: contract state lags the head by the finality depth
 *   (~15 blocks), and while the LIB stalls nothing executes. Receipts are final the moment they exist, which is
 *   what every consumer of on-chain state (elections, balances, the economy) wants. After a safety failure
 *   (conflicting irreversible blocks, possible only beyond the bound) the EVM follows the first-finalized chain.
 * - **One kernel event per batch.** `onCommit` runs inside whatever event finalized the block (a block message, a
 *   slot) and must stay synchronous, so it queues the block and schedules a "chain.evm_execute" event at the same
 *   simulated time; that event's handler is the only one that awaits (`host.executeBlock`-style calls, one at a
 *   time — the kernel's `runAsync` never overlaps handlers). Blocks without transactions skip the queue and only
 *   move the host's header (synchronous). Header number and timestamp are the block's (simulated time).
 * - **The Staking contract is the source of truth for stake and votes**; the consensus `Ledger` is its synchronous
 *   mirror (elections run inside a slot event and cannot await the VM). The chain is told `useExternalLedger()`:
 *   it no longer applies committed transactions itself; this executor applies to the ledger exactly the
 *   transactions whose contract call succeeded (`chain.applyTx`), and the audit compares both after every
 *   executed block in check mode (every `auditIntervalS` of simulated time otherwise): every candidate's `votesFor`,
 *   `totalStaked`, the stakes of accounts that changed, `burned` against the ledger's slashed total.
 * - **LIT fallback: refuse.** Each transaction first calls `LIT.consume(sender, costPerTx)` from the meter key.
 *   If the sender has too little LIT the consume reverts and the transaction is refused: it stays in its block
 *   (ordering is consensus's business) but has no effect — not on the contracts, not on the ledger — and is
 *   recorded as a failed transaction with the revert reason (`failures`, `chain.txs_refused_lit`). No POP is
 *   burned instead: a POP-fee fallback needs a LIT/POP price oracle (DOMAIN.md §d) that popsim does not model, and
 *   refusing keeps "users see no fees" literally true while making insufficiency visible as `chain.lit_sufficiency`.
 *   LIT consumed by a transaction whose call then reverts stays burned, as gas does on Ethereum.
 * - Evidence: the reporter (an honest delegate) pays the LIT; the slash is `Staking.slashStake(offender, amount,
 *   evidenceId)` from the consensus key (the contract's slasher), with amount = ⌊stakeOf(offender) · slashFraction⌋
 *   read from the contract, and evidenceId = the ledger's `evidenceIdOf` (sha256 of offender, slot and both block
 *   hashes: unique per equivocation). The slashed POP is burned in the EVM (sent to the dead address).
 * - Workloads (STYLE.md principle 9: wallets propose, the chain applies): stake top-ups by holders with liquid POP
 *   ("chain/evm/topups"), and the masternodes not bonded at genesis registering ("chain/evm/registrations"). A
 *   wallet tracks what it has committed; a failed transaction gives its tokens (or its registration) back.
 * Nothing here reads a clock or a random source outside the kernel; the same committed blocks in the same order
 * give the same EVM state, receipts and metrics.
 */
import type { Kernel, SimContext } from "../../sim/kernel/index.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { exponential } from "../../sim/kernel/distributions.ts";
import { DAY } from "../../sim/kernel/time.ts";
import type { Counter, Histogram, Metrics } from "../../sim/kernel/metrics.ts";
import type { AbiValue, DecodedLog } from "../evm/abi.ts";
import type { PopSystem } from "../evm/genesis.ts";
import type { AddressHex } from "../evm/hex.ts";
import type { CallResult, Contract, EvmHost } from "../evm/host.ts";
import type { Chain } from "./consensus.ts";
import { EvmAudit } from "./evmAudit.ts";
import { deployChainGenesis, type EvmAccounts } from "./evmGenesis.ts";
import { evidenceIdOf } from "./ledger.ts";
import type { ChainParams } from "./params.ts";
import type { NodeTable } from "../../sim/net/nodes.ts";
import type { Block, Tx, TxBody, Wei } from "./types.ts";

/** An opaque EVM transaction (`{ kind: "evm", data }`): a call of one of the system's contracts. */
export interface EvmCallData {
  from: AddressHex;
  /** A contract of the POP system; "tickets" is the TicketBroker (probabilistic micropayments). */
  contract: "token" | "channels" | "staking" | "lit" | "rewardPool" | "tickets";
  fn: string;
  args: readonly AbiValue[];
  /**
   * Told the outcome once the transaction has executed (its block became final): the call's result, or, when the
   * sender's LIT was short, a refusal (`refusedLit`, no effect). Runs inside the executor's awaited event and must
   * stay synchronous; it may schedule kernel events. Not called for a transaction the pool dropped (submitTx said so).
   */
  onResult?: (outcome: EvmCallOutcome) => void;
}

/** What the sender of an `evm` transaction learns when it executes. */
export interface EvmCallOutcome {
  ok: boolean;
  refusedLit: boolean;
  /** The call's result (undefined when refused for LIT). */
  result: CallResult | undefined;
  blockNumber: number;
  timestampUs: number;
}

/** Told after each executed block that carried transactions, with every log its calls emitted (in order). */
export type BlockExecutedListener = (ctx: SimContext, block: { number: number; timestampUs: number; logs: readonly DecodedLog[] }) => void;

export interface TxFailure {
  txId: number;
  kind: TxBody["kind"];
  blockNumber: number;
  /** The decoded revert, e.g. "InsufficientLit(0x…, 12, 100)" or "NotDelegate(0x…)". */
  reason: string;
  refusedLit: boolean;
}

interface QueuedBlock {
  number: number;
  timestampUs: number;
  coinbase: AddressHex | undefined;
  txs: { id: number; body: TxBody }[];
}

/** Failed transactions kept for inspection (a limit on everything); `failuresTotal` counts them all. */
const FAILURES_KEPT = 1_000;
const PPM = 1_000_000n;
const MAX_UINT256 = (1n << 256n) - 1n;
const TX_KINDS = ["vote", "stake", "masternode", "evidence", "evm"] as const;

export interface EvmWorld {
  kernel: Kernel;
  metrics: Metrics;
  nodes: NodeTable;
}

export class EvmChain {
  readonly host: EvmHost;
  readonly system: PopSystem;
  readonly accounts: EvmAccounts;
  readonly audit: EvmAudit;
  readonly genesisCalls: number;
  readonly failures: TxFailure[] = [];
  failuresTotal = 0;
  /** LIT burned by transactions (units), the executor's own count (the audit compares it with LIT.totalBurned). */
  litConsumed = 0n;
  masternodesBonded: number;
  private readonly chain: Chain;
  private readonly kernel: Kernel;
  private readonly params: ChainParams;
  private readonly checkEveryBlock: boolean;
  /** Audit supply and ledger after every executed block (check mode, or `evm.auditEveryBlock`). */
  private readonly auditEveryBlock: boolean;
  private readonly queue: QueuedBlock[] = [];
  private executePending = false;
  private readonly litCost: bigint;
  private readonly slashPpm: bigint;
  /** Top-ups: holders with liquid POP left, the wallet's view of what is left, and the amount of one top-up. */
  private readonly toppers: number[] = [];
  private readonly liquidLeftWei: Wei[];
  private readonly topUpWei: Wei[];
  private readonly unbonded: number[];
  private registerScheduled = false;
  /** By account: has approved Staking to pull its tokens (once, before its first stake or bond). */
  private readonly approved: Uint8Array;
  private readonly kinds: { execute: number; topUp: number; register: number; audit: number };
  private readonly c: Record<"blocks" | "calls" | "txs" | "refusedLit" | "reverted" | "litConsumed" | "gasUsed" | "topUps" | "registrations", Counter>;
  private readonly gasByKind: Record<(typeof TX_KINDS)[number] | "lit", Histogram>;
  private litOk = 0;
  private readonly executedListeners: BlockExecutedListener[] = [];

  private constructor(world: EvmWorld, chain: Chain, g: Awaited<ReturnType<typeof deployChainGenesis>>) {
    this.chain = chain;
    this.kernel = world.kernel;
    this.params = chain.params;
    this.host = g.host;
    this.system = g.system;
    this.accounts = g.accounts;
    this.genesisCalls = g.calls;
    this.masternodesBonded = g.accounts.bondedAtGenesis;
    this.checkEveryBlock = world.kernel.checkingEveryEvent;
    this.auditEveryBlock = this.checkEveryBlock || chain.params.evm.auditEveryBlock;
    const p = this.params;
    this.litCost = BigInt(p.evm.lit.costPerTx);
    this.slashPpm = BigInt(Math.round(p.slashFraction * 1e6));
    const topUpPpm = BigInt(Math.round(p.evm.topUpFraction * 1e6));
    this.liquidLeftWei = g.accounts.liquidWei.slice();
    this.topUpWei = g.accounts.liquidWei.map((w) => (w * topUpPpm) / PPM);
    for (let a = 0; a < this.topUpWei.length; a++) if (this.topUpWei[a] > 0n) this.toppers.push(a);
    this.unbonded = g.accounts.unbonded.slice();
    this.approved = new Uint8Array(g.accounts.address.length);
    const m = world.metrics;
    this.c = {
      blocks: m.counter("chain.evm_blocks"),
      calls: m.counter("chain.evm_calls"),
      txs: m.counter("chain.txs_executed"),
      refusedLit: m.counter("chain.txs_refused_lit"),
      reverted: m.counter("chain.txs_reverted"),
      litConsumed: m.counter("chain.lit_consumed"),
      gasUsed: m.counter("chain.gas_used"),
      topUps: m.counter("chain.stake_topups"),
      registrations: m.counter("chain.masternode_registrations"),
    };
    this.c.calls.add(g.calls);
    m.gauge("chain.lit_sufficiency", () => (this.litOk + this.c.refusedLit.value > 0 ? this.litOk / (this.litOk + this.c.refusedLit.value) : 1));
    m.gauge("chain.masternodes_bonded", () => this.masternodesBonded);
    this.gasByKind = {
      vote: m.histogram("chain.gas_vote"),
      stake: m.histogram("chain.gas_stake"),
      masternode: m.histogram("chain.gas_masternode"),
      evidence: m.histogram("chain.gas_evidence"),
      evm: m.histogram("chain.gas_evm_call"),
      lit: m.histogram("chain.gas_lit_consume"),
    };
    this.audit = new EvmAudit({
      host: g.host, system: g.system, accounts: g.accounts, ledger: chain.ledger, metrics: m,
      litConsumed: () => this.litConsumed,
      countCall: () => this.c.calls.add(1),
    });
    this.kinds = {
      execute: world.kernel.register("chain.evm_execute", (ctx) => this.drain(ctx)),
      topUp: world.kernel.register("chain.evm_topup", (ctx) => this.onTopUp(ctx)),
      register: world.kernel.register("chain.evm_register", (ctx) => this.onRegister(ctx)),
      audit: world.kernel.register("chain.evm_audit", (ctx) => this.onAudit(ctx)),
    };
    chain.useExternalLedger();
    chain.onCommit((b, txs) => this.onCommit(b, txs));
  }

  /**
   * Deploy the system with the chain's genesis ledger in it, attach to the chain (external ledger, commit hook,
   * checkers) and audit genesis. Call before `chain.start()`.
   */
  static async attach(world: EvmWorld, chain: Chain): Promise<EvmChain> {
    const g = await deployChainGenesis({
      seed: world.kernel.seed, params: chain.params, ledger: chain.ledger, nodes: world.nodes, candidateNodes: chain.candidateNodes,
      rng: (label) => world.kernel.rng(label),
    });
    const evm = new EvmChain(world, chain, g);
    evm.audit.register(world.kernel);
    await evm.audit.run(evm.checkEveryBlock);
    return evm;
  }

  /** Start the wallets' workloads. Call once, with `chain.start()`. */
  start(): void {
    const p = this.params.evm;
    const k = this.kernel;
    if (p.topUpsPerDay > 0 && this.toppers.length > 0) k.schedule(exponential(k.rng("chain/evm/topups"), DAY / p.topUpsPerDay), this.kinds.topUp);
    this.scheduleRegistration(k);
    k.schedule(this.auditIntervalUs, this.kinds.audit);
  }

  private get auditIntervalUs(): number {
    return Math.max(1, Math.round(this.params.evm.auditIntervalS * 1e6));
  }

  /** The periodic audit (an awaiting handler, like execution). */
  private async onAudit(ctx: SimContext): Promise<void> {
    ctx.schedule(this.auditIntervalUs, this.kinds.audit);
    await this.audit.run(false);
  }

  /** Execute whatever is still queued and audit the final state (full in check mode). */
  async finish(metrics: Metrics): Promise<void> {
    if (this.queue.length > 0) await this.drain(this.kernel);
    await this.audit.run(this.checkEveryBlock);
    metrics.summary("chain.evm_genesis_calls", this.genesisCalls);
    metrics.summary("chain.evm_failures", this.failuresTotal);
    metrics.summary("chain.evm_crypto_native", this.host.cryptoBackend === "native" ? 1 : 0);
    invariant(this.audit.problem === undefined, () => `chain EVM audit at the end of the run: ${this.audit.problem}`);
  }

  /** Listen to executed blocks (receivers watching for DidStartSettling, the economy's books). */
  onBlockExecuted(listener: BlockExecutedListener): void {
    this.executedListeners.push(listener);
  }

  /** Address of a ledger account. */
  addressOf(account: number): AddressHex {
    return this.accounts.address[account];
  }

  // ------------------------------------------------------------------ commit → execute

  private onCommit(b: Block, txs: readonly Tx[]): void {
    const coinbase = b.producer >= 0 ? this.accounts.candidateAddress[b.producer] : undefined;
    if (txs.length === 0 && this.queue.length === 0) {
      // Nothing to run: only the header moves (synchronous), so a later view sees this block's time.
      this.host.setBlock({ number: b.number, timestampUs: b.timestampUs, coinbase });
      return;
    }
    this.queue.push({ number: b.number, timestampUs: b.timestampUs, coinbase, txs: txs.map((t) => ({ id: t.id, body: t.body })) });
    if (!this.executePending) {
      this.executePending = true;
      this.kernel.schedule(0, this.kinds.execute);
    }
  }

  /** The "chain.evm_execute" handler: run every queued block in order (the only awaiting handler of the chain). */
  private async drain(ctx: SimContext): Promise<void> {
    this.executePending = false;
    for (let i = 0; i < this.queue.length; i++) await this.executeBlock(ctx, this.queue[i]);
    this.queue.length = 0;
  }

  private async executeBlock(ctx: SimContext, qb: QueuedBlock): Promise<void> {
    const host = this.host;
    host.setBlock({ number: qb.number, timestampUs: qb.timestampUs, coinbase: qb.coinbase });
    if (qb.txs.length === 0) return;
    let blockGas = 0n;
    const logs: DecodedLog[] = [];
    for (const { id, body } of qb.txs) {
      this.c.txs.add(1);
      const sender = this.senderOf(body);
      if (this.litCost > 0n) {
        const lit = await this.call(this.system.keys.meter.address, this.system.lit, "consume", [sender, this.litCost]);
        blockGas += lit.gasUsed;
        this.gasByKind.lit.observe(Number(lit.gasUsed));
        if (!lit.ok) {
          this.c.refusedLit.add(1);
          this.fail(id, body, qb.number, lit.revertReason ?? "LIT.consume reverted", true);
          if (body.kind === "evm") (body.data as EvmCallData).onResult?.({ ok: false, refusedLit: true, result: undefined, blockNumber: qb.number, timestampUs: qb.timestampUs });
          continue;
        }
        this.litOk++;
        this.litConsumed += this.litCost;
        this.c.litConsumed.add(Number(this.litCost));
      } else {
        this.litOk++;
      }
      const r = await this.callFor(body, sender);
      blockGas += r.gasUsed;
      this.gasByKind[body.kind].observe(Number(r.gasUsed));
      this.audit.noteLogs(r);
      for (const l of r.logs) logs.push(l);
      if (body.kind === "evm") (body.data as EvmCallData).onResult?.({ ok: r.ok, refusedLit: false, result: r, blockNumber: qb.number, timestampUs: qb.timestampUs });
      // A slash of an offender with nothing staked reverts in the contract, but the evidence still counts for
      // consensus (the offender becomes ineligible); the ledger then slashes 0 too.
      const nothingToSlash = body.kind === "evidence" && !r.ok && r.revert?.name === "NothingToSlash";
      if (!r.ok && !nothingToSlash) {
        this.c.reverted.add(1);
        this.fail(id, body, qb.number, r.revertReason ?? "reverted", false);
        continue;
      }
      this.applied(body, r);
    }
    this.c.gasUsed.add(Number(blockGas));
    this.c.blocks.add(1);
    ctx.traceMix(Number(blockGas & 0xffffffffn));
    for (const l of this.executedListeners) l(ctx, { number: qb.number, timestampUs: qb.timestampUs, logs });
    if (this.checkEveryBlock) await this.audit.run(false);
    else if (this.auditEveryBlock) await this.audit.runBlock();
  }

  /** The contract accepted the transaction: mirror it into the ledger (and the wallets' books). */
  private applied(body: TxBody, r: CallResult): void {
    const ledger = this.chain.ledger;
    if (body.kind === "evidence") {
      const before = ledger.slashedWeiTotal;
      const ok = this.chain.applyTx(body);
      invariant(ok, () => `evidence accepted by Staking but rejected by the ledger (offender ${body.offender}, slot ${body.slot})`);
      this.audit.noteStake(ledger.selfAccount[body.offender]);
      const ledgerWei = ledger.slashedWeiTotal - before;
      const contractWei = r.ok ? (r.values[0] as bigint) : 0n;
      if (ledgerWei !== contractWei) this.audit.report(`slash of candidate ${body.offender}: the contract burned ${contractWei} wei, the ledger ${ledgerWei}`);
      return;
    }
    const ok = this.chain.applyTx(body);
    invariant(ok, () => `${body.kind} transaction accepted by the contracts but rejected by the ledger`);
    if (body.kind === "stake") {
      this.audit.noteStake(body.account);
      this.c.topUps.add(1);
    } else if (body.kind === "masternode") {
      this.masternodesBonded++;
      this.c.registrations.add(1);
    }
  }

  private fail(txId: number, body: TxBody, blockNumber: number, reason: string, refusedLit: boolean): void {
    this.failuresTotal++;
    if (this.failures.length < FAILURES_KEPT) this.failures.push({ txId, kind: body.kind, blockNumber, reason, refusedLit });
    // The wallet gets back what the failed transaction would have locked.
    if (body.kind === "stake") this.refund(body.account, body.amountWei);
    else if (body.kind === "masternode") this.unregistered(body.account);
  }

  /** A top-up that will not happen (refused, reverted, or dropped by a full pool): its tokens are the wallet's again. */
  private refund(account: number, amountWei: Wei): void {
    if (this.liquidLeftWei[account] < this.topUpWei[account]) this.toppers.push(account);
    this.liquidLeftWei[account] += amountWei;
  }

  /** A registration that will not happen: the masternode tries again later. */
  private unregistered(account: number): void {
    this.unbonded.push(account);
    this.scheduleRegistration(this.kernel);
  }

  private senderOf(body: TxBody): AddressHex {
    switch (body.kind) {
      case "vote":
      case "stake":
      case "masternode":
        return this.accounts.address[body.account];
      case "evidence":
        return this.accounts.candidateAddress[body.reporter];
      case "evm":
        return (body.data as EvmCallData).from;
    }
  }

  private async callFor(body: TxBody, sender: AddressHex): Promise<CallResult> {
    const s = this.system;
    switch (body.kind) {
      case "vote":
        return this.call(sender, s.staking, "vote", [body.candidates.map((c) => this.accounts.candidateAddress[c])]);
      case "stake":
      case "masternode": {
        // A holder's first pull by Staking needs its one-time approval: the wallet sends it first, in the same
        // block; its gas is counted with the transaction it enables.
        let approveGas = 0n;
        if (!this.approved[body.account]) {
          const a = await this.call(sender, s.token, "approve", [s.staking.address, MAX_UINT256]);
          invariant(a.ok, () => `approve failed: ${a.revertReason}`);
          this.approved[body.account] = 1;
          approveGas = a.gasUsed;
        }
        const r = body.kind === "stake"
          ? await this.call(sender, s.staking, "stake", [body.amountWei])
          : await this.call(sender, s.staking, "registerMasternode", []);
        return { ...r, gasUsed: r.gasUsed + approveGas };
      }
      case "evidence": {
        const offender = this.accounts.candidateAddress[body.offender];
        this.c.calls.add(1);
        const stake = await this.host.view1<bigint>(s.staking, "stakeOf", [offender]);
        return this.call(s.keys.consensus.address, s.staking, "slashStake", [offender, (stake * this.slashPpm) / PPM, `0x${evidenceIdOf(body)}`]);
      }
      case "evm": {
        const d = body.data as EvmCallData;
        return this.call(sender, s[d.contract], d.fn, d.args);
      }
    }
  }

  private call(from: AddressHex, contract: Contract, fn: string, args: readonly AbiValue[]): Promise<CallResult> {
    this.c.calls.add(1);
    return this.host.call(from, contract, fn, args);
  }

  // ------------------------------------------------------------------ wallets

  private onTopUp(ctx: SimContext): void {
    const rng = ctx.rng("chain/evm/topups");
    if (this.toppers.length > 0) {
      const i = rng.int(this.toppers.length);
      const account = this.toppers[i];
      const amountWei = this.topUpWei[account];
      this.liquidLeftWei[account] -= amountWei;
      if (this.liquidLeftWei[account] < amountWei) {
        this.toppers[i] = this.toppers[this.toppers.length - 1];
        this.toppers.pop();
      }
      if (!this.chain.submitTx({ kind: "stake", account, amountWei }).ok) this.refund(account, amountWei);
    }
    ctx.schedule(exponential(rng, DAY / this.params.evm.topUpsPerDay), this.kinds.topUp);
  }

  private scheduleRegistration(k: SimContext): void {
    const rate = this.params.evm.registrationsPerDay;
    if (this.registerScheduled || rate <= 0 || this.unbonded.length === 0) return;
    this.registerScheduled = true;
    k.schedule(exponential(k.rng("chain/evm/registrations"), DAY / rate), this.kinds.register);
  }

  private onRegister(ctx: SimContext): void {
    this.registerScheduled = false;
    const account = this.unbonded.shift();
    // Scheduled first, so a registration put back by a full pool waits for the next draw.
    this.scheduleRegistration(ctx);
    if (account !== undefined && !this.chain.submitTx({ kind: "masternode", account }).ok) this.unregistered(account);
  }
}
