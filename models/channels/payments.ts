/**
 * Payments: viewers pay serving nodes and creators off chain, with the money in real contracts on chain.
 *
 * Purpose: the glue calls `pay(viewer → node, amount)` for every segment served (~4 M times a simulated day); this
 * module decides whether the payee accepts ("paid"), serves on credit ("credit") or stops ("refused"), and does the
 * on-chain part — ERC-20 approvals, channel opens, top-ups, claims, settlements, ticket deposits and redemptions — as
 * EVM transactions through the chain (`chain.submitTx({ kind: "evm" })`), learning each outcome when its block is
 * final (`onResult`) and watching executed blocks' logs (`evm.onBlockExecuted`) the way receivers' watchers do.
 *
 * Policies (params.ts `policy`):
 * - direct: one Unidirectional channel per (viewer, payee) pair, opened on the first payment with
 *   deposit = clamp(depositPayments × that payment); O(pairs) transactions — the POP design as written.
 * - hub: every viewer has one channel to the hub, and the hub one channel to each payee, funded from its float; the
 *   hub forwards each payment minus `feeBps`. The hub is an existing node, by default the first delegate: it is
 *   always on, and its 1 M POP stake gives it LIT for ~10^5 transactions a day (a masternode's 50 k POP would give
 *   ~7 k at the chain defaults, fewer than a hub with ~10 k payees needs). O(viewers + payees) transactions.
 * - tickets: every viewer funds one TicketBroker deposit + reserve; it owes each payee off chain and sends a ticket
 *   whenever the debt reaches one ticket EV (winProb = EV/faceValue); winning tickets are redeemed by the recipient
 *   in batches. O(viewers + winners/batch) transactions. The debt per payee lives in a small per-payer cache
 *   (TICKET_SLOTS payees, clock eviction); an evicted debt is paid with one ticket of EV = the debt (winProb scaled),
 *   so the expected value paid equals the value owed exactly. The payee's credit risk is < 1 EV.
 *
 * Design decisions:
 * - Vouchers are cumulative (Machinomy): a channel's state is (confirmed value, pending funding, owed = the latest
 *   voucher). A voucher is accepted ("paid") while owed ≤ value; above it, while a funding transaction is pending,
 *   the payee gives credit up to `creditLimitPop` (the hub's payees: `hub.creditLimitPop`); otherwise "refused".
 * - Signatures are lazy (DESIGN.md §6): a voucher's or ticket's signature is a deterministic function of (key,
 *   message), so it is computed only when needed — a claim or redemption on chain (the contract's ecrecover checks
 *   it), a sampled verification (`verifySampleRate`, drawn as geometric gaps so unsampled payments draw nothing),
 *   and every voucher or ticket of an adversarial payer. `channels.vouchers_issued / _signed / _verified` show the
 *   fidelity. Tickets count as vouchers there (and also in `channels.tickets_issued`).
 * - The ticket lottery is TicketBroker's: keccak256(recipientRand ‖ sender ‖ recipient ‖ nonce) < winProb, one
 *   keccak-f per ticket, computed for every ticket (exact, not sampled); nonces are 64-bit random (the recipient
 *   cannot predict them); a recipient rotates its rand after every win (redemption reveals it).
 * - Receivers claim when the voucher reaches `claim.fraction` of the channel's value and no top-up is pending, and
 *   when their watcher sees DidStartSettling (after `watcherLatencyS`); ticket recipients redeem `redeemDelayS` after
 *   their first pending winner (at once for a full batch, or on seeing an Unlock). A receiver that is down acts when
 *   it comes back up (faults' onChange); if that is after settle / withdraw / expiry, its vouchers are lost to the
 *   sender (`channels.funds_lost_offline_pop`). A wallet that is down when it must send a transaction waits likewise.
 * - Channels are left open at the end of a run (their escrow is `channels.capital_locked_pop`), unless
 *   `idleCloseS` > 0: a sender then starts settling a channel idle that long and settles after the period (the
 *   receiver claims in between if it is up). Ticket deposits are left locked.
 * - Budgets: a node's wallet is the liquid POP the chain's genesis gave its account (`models.chain.evm.liquidPop`),
 *   capped for viewers by `viewerBudgetPop` and for the hub by `hub.floatPop`; refunds from claims and settlements
 *   return to it, and the hub's claims on viewer channels refill its float. A wallet approves a contract once
 *   (max allowance), submitted just before its first open or funding (the chain orders them).
 * - Failures are values: a transaction refused for LIT, dropped by a full pool, or reverting for a missing allowance
 *   is retried after `retry.delayS` (at most `retry.max` times for an open or a funding; then the payee's credit is
 *   lost); a reverted claim or settle is reconciled from the contract's logs. Programmer errors are invariants.
 * - Adversaries (fractions of viewers, "channels/adversary" stream): stop-paying, stale-voucher, early-settle (tickets:
 *   early unlock) and grief (front-running honest opens with the victim's channel id, modelled as winning the
 *   ordering race — the worst case for the victim; popsim's pool is FIFO, so this stands for a colluding producer).
 *   What each gained, what it paid in LIT and locked capital, and what honest parties lost are metrics.
 * Everything random comes from "channels/*" streams; every loop runs in index or insertion order.
 */
import type { World } from "../../sim/runner/run.ts";
import type { Kernel, KindId, SimContext } from "../../sim/kernel/index.ts";
import type { Counter, Histogram, Metrics } from "../../sim/kernel/metrics.ts";
import type { Prng } from "../../sim/kernel/prng.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { SECOND } from "../../sim/kernel/time.ts";
import { sampleIndices } from "../../sim/kernel/distributions.ts";
import { ROLE_IDS, type NodeTable } from "../../sim/net/nodes.ts";
import type { Chain } from "../chain/consensus.ts";
import type { EvmCallData, EvmCallOutcome, EvmChain } from "../chain/evmExecutor.ts";
import type { AbiValue, DecodedLog } from "../evm/abi.ts";
import { type AddressHex, type Hex, bytesToBigInt, bytesToHex, hexToBytes, uint256ToBytes } from "../evm/hex.ts";
import { type KeyPair, deriveKeyPair, keccak256, signVoucher, voucherSigner } from "../evm/sign.ts";
import { ALLOCATION_CHUNK } from "../evm/genesis.ts";
import type { ChannelsParams } from "./params.ts";
import { type Ticket, TicketHasher, signTicket, ticketHash, ticketSigner, ticketTuple, winProbFor } from "./tickets.ts";

export type PayOutcome = "paid" | "credit" | "refused";

const WEI_PER_POP = 10n ** 18n;
/** Whole POP (a float from the scenario) → wei, rounded to a micro-POP. */
const popToWei = (pop: number): bigint => BigInt(Math.round(pop * 1e6)) * 10n ** 12n;
const weiToPop = (wei: bigint): number => Number(wei / 10n ** 12n) / 1e6;
const MAX_UINT256 = (1n << 256n) - 1n;
/** Pair keys: payer · 2^22 + payee (node ids < 4 M). */
const PAIR_KEY = 4_194_304;
/** Payees whose debt a ticket payer keeps at once (see the module notes). */
export const TICKET_SLOTS = 16;

/** evalLeg / pay codes. */
const PAID = 0;
const CREDIT = 1;
const CREDIT_TOPUP = 2;
const REFUSED = 3;

const St = { Opening: 0, Open: 1, Claiming: 2, Settling: 3, Closed: 4, Failed: 5 } as const;
const Kind = { Direct: 0, ViewerHub: 1, HubPayee: 2 } as const;
const Act = { Open: 0, Claim: 1, StartSettling: 2, Settle: 3, IdleCheck: 4, TkFund: 5, TkRedeem: 6, TkWithdraw: 7, TkUnlock: 8, LitWake: 9 } as const;
const Tk = { None: 0, Funding: 1, Funded: 2, Unlocking: 3, Failed: 4 } as const;
const Adv = { None: 0, StopPaying: 1, StaleVoucher: 2, EarlySettle: 3, Grief: 4 } as const;
const ADV_NAMES = ["", "stop_paying", "stale_voucher", "early_settle", "grief"] as const;
const REASONS = ["no_funds", "credit_limit", "hub_down", "hub_float", "stop_paying", "stale_voucher", "sender_leaving", "open_failed"] as const;
type Reason = (typeof REASONS)[number];
const TX_KINDS = ["approve", "open", "deposit", "claim", "start_settling", "settle", "fund", "redeem", "unlock", "withdraw"] as const;
type TxKind = (typeof TX_KINDS)[number];

/** A winning ticket waiting for its recipient's redemption. */
interface Winner {
  payer: number;
  nonce: bigint;
  faceValue: bigint;
  winProb: bigint;
  expiration: bigint;
  rand: bigint;
  randHash: Hex;
  hash: Hex | undefined;
}

export interface PaymentsWorld {
  kernel: Kernel;
  nodes: NodeTable;
  metrics: Metrics;
  faults: World["faults"];
}

export class Payments {
  readonly params: ChannelsParams;
  /** The hub node (policy "hub"), else −1. */
  readonly hub: number;
  private readonly k: Kernel;
  private readonly nodes: NodeTable;
  private readonly evm: EvmChain;
  private readonly chain: Chain;
  private readonly policy: ChannelsParams["policy"];
  private readonly channelsAddr: AddressHex;
  private readonly ticketsAddr: AddressHex;
  private readonly chainId: bigint;
  private readonly litCost: bigint;
  private readonly blockTimeUs: number;
  private readonly kinds: { act: KindId };

  // Amounts in wei.
  private readonly creditLimit: bigint;
  private readonly hubCreditLimit: bigint;
  private readonly claimPpm: bigint;
  private readonly topUpPpm: bigint;
  private readonly settlingPeriod: bigint;
  private readonly directMin: bigint;
  private readonly directMax: bigint;
  private readonly directMul: bigint;
  private readonly hubViewerDeposit: bigint;
  private readonly hubPayeeDeposit: bigint;
  private readonly feeBps: bigint;
  private readonly tkFace: bigint;
  private readonly tkFaceBytes: Uint8Array;
  private readonly tkEv: bigint;
  private readonly tkWinProb: bigint;
  private readonly tkWinProbBytes: Uint8Array;
  private readonly tkDepositWei: bigint;
  private readonly tkReserveWei: bigint;
  private readonly hasher: TicketHasher;

  // Nodes (indexed by node id; grown on arrivals).
  private cap: number;
  private keys: (KeyPair | undefined)[] = [];
  private addrBytes: (Uint8Array | undefined)[] = [];
  private readonly addrToNode = new Map<AddressHex, number>();
  private walletInit: Uint8Array;
  private walletLeft: bigint[] = [];
  /** 0 none, 1 pending, 2 done — for the channel contract and the ticket broker. */
  private approveCh: Uint8Array;
  private approveTk: Uint8Array;
  private paid: bigint[] = [];
  private received: bigint[] = [];
  private claimed: bigint[] = [];
  private lost: bigint[] = [];
  private adv: Uint8Array;
  private readonly griefers: number[] = [];
  /** Actions waiting for a node to come up: node → [action, target, action, target, …]. */
  private readonly upQueue = new Map<number, number[]>();
  /** The last channel id a sender used (stale-voucher replays). */
  private lastChannelId: (Hex | undefined)[] = [];

  // Channels (struct of arrays, by channel index).
  private readonly chSender: number[] = [];
  private readonly chReceiver: number[] = [];
  private readonly chId: Hex[] = [];
  private readonly chKind: number[] = [];
  private readonly chState: number[] = [];
  private readonly chValue: bigint[] = [];
  private readonly chPending: bigint[] = [];
  private readonly chOpenWei: bigint[] = [];
  private readonly chOwed: bigint[] = [];
  private readonly chClaimAt: bigint[] = [];
  private readonly chTopUpAt: bigint[] = [];
  private readonly chRetries: number[] = [];
  private readonly chPays: number[] = [];
  private readonly chLastPayUs: number[] = [];
  private readonly chSubmitUs: number[] = [];
  private readonly chOpenedUs: number[] = [];
  private readonly chAdv: number[] = [];
  /** 1 while the receiver's claim transaction is in flight (one claim at a time). */
  private readonly chClaimSub: number[] = [];
  private readonly idToChan = new Map<Hex, number>();
  private readonly pairs = new Map<number, number>();
  private viewerHubChan: Int32Array;
  private hubPayeeChan: Int32Array;
  private openChannels = 0;

  // Tickets (by node: as payer, and as recipient).
  private tkState: Uint8Array;
  private tkDeposit: bigint[] = [];
  private tkReserve: bigint[] = [];
  private tkPendingD: bigint[] = [];
  private tkPendingR: bigint[] = [];
  private tkOutstanding: bigint[] = [];
  private tkRetries: number[] = [];
  private tkPays: number[] = [];
  private tkUnlockUs: number[] = [];
  private slotPayee: Int32Array;
  private slotOwed: bigint[] = [];
  private slotNext: Uint8Array;
  /** Last ticket nonce (low 32 bits) sent per slot — a replay is detected against it. */
  private slotLastNonce: Float64Array;
  private rand: (Uint8Array | undefined)[] = [];
  private randHash: (Uint8Array | undefined)[] = [];
  private winners: (Winner[] | undefined)[] = [];
  private redeemScheduled: Uint8Array;

  // LIT: each wallet's own estimate of its regenerating LIT (LIT.sol's formula), so it does not send transactions
  // the chain would refuse. Resynchronised from the InsufficientLit revert when it was wrong.
  private litAvail: number[] = [];
  private litAtUs: number[] = [];
  private litPending: number[] = [];
  private readonly litCostN: number;
  private readonly litCapacity: number;
  private readonly litWindowUs: number;
  private stakeTotal = 0;
  private stakeTotalAtUs = -1;
  /** Set by `litReady` when it says "not yet": how long until the wallet has the LIT. */
  private litWaitUs = 0;
  /** Actions waiting for a wallet's LIT: node → [action, target, …], with one wake-up event per node. */
  private readonly litQueue = new Map<number, number[]>();

  // Totals.
  /** EVM calls made at genesis (fundAtGenesis), outside any transaction. */
  private genesisCalls = 0;
  private lockedWei = 0n;
  private creditWei = 0n;
  private creditLostWei = 0n;
  private lostOfflineWei = 0n;
  private claimedWei = 0n;
  private griefWeiLocked = 0n;
  private readonly attackGain: bigint[] = [0n, 0n, 0n, 0n, 0n];
  private readonly attackLoss: bigint[] = [0n, 0n, 0n, 0n, 0n];
  private readonly attackLit: bigint[] = [0n, 0n, 0n, 0n, 0n];
  private readonly attackLockedPopS: number[] = [0, 0, 0, 0, 0];
  private readonly attackAttempts: Counter[] = [];
  private readonly attackSucceeded: Counter[] = [];
  private nextSample: number;
  private readonly rngSample: Prng;
  private readonly rngIds: Prng;
  private readonly rngAdv: Prng;
  private readonly rngTickets: Prng;

  private readonly c: Record<
    | "payments" | "credit" | "refused" | "vouchersIssued" | "vouchersSigned" | "vouchersVerified" | "onchain" | "evmCalls"
    | "litFees" | "refusedLit" | "reverted" | "poolFull" | "ticketsIssued" | "ticketsWon" | "ticketsRedeemed" | "ticketsSkipped"
    | "griefVictims" | "openFailures",
    Counter
  >;
  private readonly txCounters = new Map<TxKind, Counter>();
  private readonly failures = new Map<Reason, Counter>();
  private readonly openLatency: Histogram;

  constructor(world: PaymentsWorld, params: ChannelsParams, evm: EvmChain | undefined, chain: Chain | undefined) {
    if (!params.enabled) throw new Error("Payments: models.channels.enabled is false");
    if (evm === undefined || chain === undefined) {
      throw new Error("models.channels needs the chain with its EVM: set models.chain.enabled and models.chain.evm.enabled (channels and tickets are contracts)");
    }
    this.params = params;
    this.k = world.kernel;
    this.nodes = world.nodes;
    this.evm = evm;
    this.chain = chain;
    this.policy = params.policy;
    const sys = evm.system;
    this.channelsAddr = sys.channels.address;
    this.ticketsAddr = sys.tickets.address;
    this.chainId = evm.host.chainId;
    this.litCost = BigInt(chain.params.evm.lit.costPerTx);
    this.litCostN = chain.params.evm.lit.costPerTx;
    this.litCapacity = chain.params.evm.lit.capacityPerWindow;
    this.litWindowUs = chain.params.evm.lit.windowS * SECOND;
    this.blockTimeUs = Math.round(chain.params.blockTimeS * SECOND);
    if (BigInt(params.settlingPeriodBlocks) < sys.options.minSettlingPeriodBlocks) {
      throw new Error(`models.channels.settlingPeriodBlocks ${params.settlingPeriodBlocks} is below the contract minimum ${sys.options.minSettlingPeriodBlocks}`);
    }

    this.creditLimit = popToWei(params.creditLimitPop);
    this.hubCreditLimit = popToWei(params.hub.creditLimitPop);
    this.claimPpm = BigInt(Math.round(params.claim.fraction * 1e6));
    this.topUpPpm = BigInt(Math.round(params.topUpFraction * 1e6));
    this.settlingPeriod = BigInt(params.settlingPeriodBlocks);
    this.directMin = popToWei(params.direct.depositMinPop);
    this.directMax = popToWei(params.direct.depositMaxPop);
    this.directMul = BigInt(params.direct.depositPayments);
    this.hubViewerDeposit = popToWei(params.hub.viewerDepositPop);
    this.hubPayeeDeposit = popToWei(params.hub.payeeDepositPop);
    this.feeBps = BigInt(params.hub.feeBps);
    this.tkFace = popToWei(params.tickets.faceValuePop);
    this.tkFaceBytes = uint256ToBytes(this.tkFace);
    this.tkEv = popToWei(params.tickets.ticketEvPop);
    this.tkWinProb = winProbFor(this.tkEv, this.tkFace);
    this.tkWinProbBytes = uint256ToBytes(this.tkWinProb);
    this.tkDepositWei = popToWei(params.tickets.depositPop);
    this.tkReserveWei = popToWei(params.tickets.reservePop);
    this.hasher = new TicketHasher(this.ticketsAddr, this.chainId);

    const n = Math.max(16, world.nodes.count);
    this.cap = n;
    this.walletInit = new Uint8Array(n);
    this.approveCh = new Uint8Array(n);
    this.approveTk = new Uint8Array(n);
    this.adv = new Uint8Array(n);
    this.viewerHubChan = new Int32Array(n).fill(-1);
    this.hubPayeeChan = new Int32Array(n).fill(-1);
    this.tkState = new Uint8Array(n);
    this.slotPayee = new Int32Array(n * TICKET_SLOTS).fill(-1);
    this.slotNext = new Uint8Array(n);
    this.slotLastNonce = new Float64Array(n * TICKET_SLOTS).fill(-1);
    this.redeemScheduled = new Uint8Array(n);
    this.growBigints(0, n);

    const k = this.k;
    this.rngSample = k.rng("channels/verify-sample");
    this.rngIds = k.rng("channels/ids");
    this.rngAdv = k.rng("channels/adversary");
    this.rngTickets = k.rng("channels/tickets");
    this.nextSample = this.sampleGap();

    // The hub.
    if (this.policy === "hub") {
      const ids = world.nodes.idsOfRole(ROLE_IDS[params.hub.role]);
      if (params.hub.index >= ids.length) throw new Error(`models.channels.hub: no ${params.hub.role} #${params.hub.index} (there are ${ids.length})`);
      this.hub = ids[params.hub.index];
    } else {
      this.hub = -1;
    }

    // Adversaries: disjoint sets of viewers, drawn in a fixed order.
    const viewers = world.nodes.idsOfRole(ROLE_IDS.viewer);
    const a = params.adversary;
    const pool = viewers.slice();
    const pick = (fraction: number, kind: number) => {
      const count = Math.min(pool.length, Math.round(fraction * viewers.length));
      const chosen = sampleIndices(this.rngAdv, pool.length, count).sort((x, y) => x - y);
      const picked = chosen.map((i) => pool[i]);
      for (const v of picked) this.adv[v] = kind;
      const left = new Set(chosen);
      const rest = pool.filter((_, i) => !left.has(i));
      pool.length = 0;
      pool.push(...rest);
      return picked;
    };
    pick(a.stopPaying.fraction, Adv.StopPaying);
    pick(a.staleVoucher.fraction, Adv.StaleVoucher);
    pick(a.earlySettle.fraction, Adv.EarlySettle);
    this.griefers.push(...pick(a.grief.fraction, Adv.Grief));

    // Metrics.
    const m = world.metrics;
    this.c = {
      payments: m.counter("channels.payments"),
      credit: m.counter("channels.payments_on_credit"),
      refused: m.counter("channels.payment_failures"),
      vouchersIssued: m.counter("channels.vouchers_issued"),
      vouchersSigned: m.counter("channels.vouchers_signed"),
      vouchersVerified: m.counter("channels.vouchers_verified"),
      onchain: m.counter("channels.onchain_txs"),
      evmCalls: m.counter("channels.evm_calls"),
      litFees: m.counter("channels.lit_fees"),
      refusedLit: m.counter("channels.txs_refused_lit"),
      reverted: m.counter("channels.txs_reverted"),
      poolFull: m.counter("channels.txs_pool_full"),
      ticketsIssued: m.counter("channels.tickets_issued"),
      ticketsWon: m.counter("channels.tickets_won"),
      ticketsRedeemed: m.counter("channels.tickets_redeemed"),
      ticketsSkipped: m.counter("channels.tickets_skipped"),
      griefVictims: m.counter("channels.grief_victim_retries"),
      openFailures: m.counter("channels.open_failures"),
    };
    for (const r of REASONS) this.failures.set(r, m.counter(`channels.payment_failures_${r}`));
    for (const t of TX_KINDS) this.txCounters.set(t, m.counter(`channels.onchain_txs_${t}`));
    this.openLatency = m.histogram("channels.open_latency_s");
    m.gauge("channels.payments_per_onchain_tx", () => this.c.payments.value / Math.max(1, this.c.onchain.value));
    m.gauge("channels.capital_locked_pop", () => weiToPop(this.lockedWei));
    m.gauge("channels.credit_outstanding_pop", () => weiToPop(this.creditWei));
    m.gauge("channels.credit_lost_pop", () => weiToPop(this.creditLostWei));
    m.gauge("channels.funds_lost_offline_pop", () => weiToPop(this.lostOfflineWei));
    m.gauge("channels.claimed_pop", () => weiToPop(this.claimedWei));
    m.gauge("channels.channels_open", () => this.openChannels);
    for (let b = 1; b < ADV_NAMES.length; b++) {
      const name = ADV_NAMES[b];
      this.attackAttempts[b] = m.counter(`channels.attack_${name}_attempts`);
      this.attackSucceeded[b] = m.counter(`channels.attack_${name}_succeeded`);
      m.gauge(`channels.attack_${name}_gain_pop`, () => weiToPop(this.attackGain[b]));
      m.gauge(`channels.attack_${name}_honest_loss_pop`, () => weiToPop(this.attackLoss[b]));
      m.gauge(`channels.attack_${name}_lit`, () => Number(this.attackLit[b]));
      m.gauge(`channels.attack_${name}_locked_pop_h`, () => this.attackLockedPopS[b] / 3600);
    }

    this.kinds = { act: k.register("channels.act", (ctx, target, _d, action) => this.act(ctx, action, target)) };
    evm.onBlockExecuted((ctx, block) => this.onBlock(ctx, block.logs));
    world.faults.onChange((ctx, node, up) => {
      if (up) this.onUp(ctx, node);
    });
    k.addChecker("channels.books", () => this.checkBooks());
  }

  // ================================================================== public API

  /** Viewer `payer` pays `amountWei` to node `payee` for work just received (see PayOutcome). O(1). */
  pay(ctx: SimContext, payer: number, payee: number, amountWei: bigint): PayOutcome {
    if (amountWei <= 0n || payer === payee) return "paid";
    if (payer >= this.cap || payee >= this.cap) this.grow(Math.max(payer, payee) + 1);
    this.c.payments.add(1);
    const adv = this.adv[payer];
    if (adv === Adv.StopPaying && this.rngAdv.float() < this.params.adversary.stopPaying.probability) {
      this.attackAttempts[adv].add(1);
      this.attackSucceeded[adv].add(1);
      this.attackGain[adv] += amountWei;
      this.attackLoss[adv] += amountWei;
      this.lost[payee] += amountWei;
      return this.refuse("stop_paying");
    }
    switch (this.policy) {
      case "direct":
        return this.payDirect(ctx, payer, payee, amountWei);
      case "hub":
        return this.payHub(ctx, payer, payee, amountWei);
      case "tickets":
        return this.payTickets(ctx, payer, payee, amountWei);
    }
  }

  /** A viewer came online: hub → open its channel to the hub; tickets → fund its deposit; direct → nothing. */
  prepare(ctx: SimContext, payer: number): void {
    if (payer >= this.cap) this.grow(payer + 1);
    if (this.adv[payer] === Adv.Grief) this.ensureApproved(ctx, payer, "channels");
    if (this.policy === "hub") {
      if (payer !== this.hub && !this.usable(this.viewerHubChan[payer])) {
        const c = this.newChannel(ctx, payer, this.hub, this.hubViewerDeposit, Kind.ViewerHub);
        if (c >= 0) this.viewerHubChan[payer] = c;
      }
    } else if (this.policy === "tickets") {
      if (this.tkState[payer] === Tk.None) this.tkFund(ctx, payer);
    }
  }

  /**
   * Tickets with `tickets.fundAtGenesis`: write every viewer's deposit and reserve into the TicketBroker now, before
   * the run (awaits the EVM; call once from an async setup, at t = 0). The treasury (genesis key) pays, in
   * `fundBatchFor` calls of ALLOCATION_CHUNK viewers, counted against each viewer's budget; the supply audit is told
   * which holders changed. A no-op for the other policies or when the option is off.
   */
  async fundAtGenesis(): Promise<void> {
    if (this.policy !== "tickets" || !this.params.tickets.fundAtGenesis) return;
    const host = this.evm.host;
    const sys = this.evm.system;
    const g = sys.keys.genesis.address;
    let calls = 0;
    const call = async (contract: typeof sys.token, fn: string, args: readonly AbiValue[]) => {
      const r = await host.call(g, contract, fn, args);
      invariant(r.ok, () => `channels genesis: ${contract.name}.${fn} failed: ${r.revertReason}`);
      this.evm.audit.noteLogs(r);
      calls++;
      return r;
    };
    await call(sys.token, "approve", [this.ticketsAddr, MAX_UINT256]);
    const viewers = this.nodes.idsOfRole(ROLE_IDS.viewer);
    for (let i = 0; i < viewers.length; i += ALLOCATION_CHUNK) {
      const senders: AddressHex[] = [];
      const deposits: bigint[] = [];
      const reserves: bigint[] = [];
      for (const v of viewers.slice(i, i + ALLOCATION_CHUNK)) {
        if (this.tkState[v] !== Tk.None) continue;
        const left = this.wallet(v);
        const d = this.tkDepositWei < left ? this.tkDepositWei : left;
        const rest = left - d;
        const r = this.tkReserveWei < rest ? this.tkReserveWei : rest;
        if (d <= 0n) continue;
        this.walletLeft[v] = left - d - r;
        this.tkDeposit[v] = d;
        this.tkReserve[v] = r;
        this.lockedWei += d + r;
        this.tkState[v] = Tk.Funded;
        senders.push(this.address(v));
        deposits.push(d);
        reserves.push(r);
      }
      if (senders.length > 0) await call(sys.tickets, "fundBatchFor", [senders, deposits, reserves]);
    }
    this.genesisCalls += calls;
    this.c.evmCalls.add(calls);
  }

  /** Total accepted (vouchers / ticket EV) to a payee so far, wei — the economy's revenue view. */
  receivedWei(payee: number): bigint {
    return payee < this.cap ? this.received[payee] : 0n;
  }

  paidWei(payer: number): bigint {
    return payer < this.cap ? this.paid[payer] : 0n;
  }

  /** What a payee actually received on chain (claims, redemptions), wei. */
  claimedWeiOf(payee: number): bigint {
    return payee < this.cap ? this.claimed[payee] : 0n;
  }

  /** What a payee accepted but lost (stop-payers, settled while offline, expired or unfunded tickets), wei. */
  lostWeiOf(payee: number): bigint {
    return payee < this.cap ? this.lost[payee] : 0n;
  }

  /** On-chain transactions submitted so far, and by kind. */
  get onchainTxs(): number {
    return this.c.onchain.value;
  }

  onchainTxsOf(kind: TxKind): number {
    return this.txCounters.get(kind)!.value;
  }

  /** POP locked in channels and ticket deposits (confirmed on chain), wei. */
  get capitalLockedWei(): bigint {
    return this.lockedWei;
  }

  /** The adversarial behaviour of a node (0 honest; 1 stop-paying, 2 stale-voucher, 3 early-settle, 4 grief). */
  adversaryOf(node: number): number {
    return node < this.cap ? this.adv[node] : 0;
  }

  /** Channels created so far (for tests and reports). */
  get channelCount(): number {
    return this.chSender.length;
  }

  /** A read-only view of channel c (tests, reports). */
  channelView(c: number): { sender: number; receiver: number; id: Hex; kind: "direct" | "viewer-hub" | "hub-payee"; state: "opening" | "open" | "claiming" | "settling" | "closed" | "failed"; valueWei: bigint; pendingWei: bigint; owedWei: bigint } {
    const kinds = ["direct", "viewer-hub", "hub-payee"] as const;
    const states = ["opening", "open", "claiming", "settling", "closed", "failed"] as const;
    return {
      sender: this.chSender[c], receiver: this.chReceiver[c], id: this.chId[c], kind: kinds[this.chKind[c]], state: states[this.chState[c]],
      valueWei: this.chValue[c], pendingWei: this.chPending[c], owedWei: this.chOwed[c],
    };
  }

  /** A ticket payer's confirmed deposit and reserve, wei. */
  ticketFunds(payer: number): { depositWei: bigint; reserveWei: bigint } {
    return payer < this.cap ? { depositWei: this.tkDeposit[payer], reserveWei: this.tkReserve[payer] } : { depositWei: 0n, reserveWei: 0n };
  }

  async finish(metrics: Metrics): Promise<void> {
    let pendingWinners = 0;
    for (const w of this.winners) pendingWinners += w?.length ?? 0;
    metrics.summary("channels.pending_winning_tickets", pendingWinners);
    metrics.summary("channels.channels_total", this.chSender.length);
    metrics.summary("channels.genesis_calls", this.genesisCalls);
    metrics.summary("channels.signed_per_issued", this.c.vouchersSigned.value / Math.max(1, this.c.vouchersIssued.value));
    // Audit: the model's confirmed books against the contracts' balances (the model is their only user).
    const host = this.evm.host;
    const token = this.evm.system.token;
    const escrow = await host.view1<bigint>(token, "balanceOf", [this.channelsAddr]);
    const tickets = await host.view1<bigint>(token, "balanceOf", [this.ticketsAddr]);
    let channelBooks = 0n;
    for (let c = 0; c < this.chValue.length; c++) if (this.chState[c] === St.Open || this.chState[c] === St.Claiming || this.chState[c] === St.Settling) channelBooks += this.chValue[c];
    let ticketBooks = 0n;
    for (let v = 0; v < this.cap; v++) ticketBooks += this.tkDeposit[v] + this.tkReserve[v];
    const diff = escrow - channelBooks - this.griefWeiLocked + (tickets - ticketBooks);
    metrics.summary("channels.audit_diff_wei", Number(diff));
    invariant(
      escrow === channelBooks + this.griefWeiLocked && tickets === ticketBooks && channelBooks + ticketBooks === this.lockedWei,
      () => `channels audit: Unidirectional holds ${escrow} (books ${channelBooks} + grief ${this.griefWeiLocked}), TicketBroker ${tickets} (books ${ticketBooks}), locked total ${this.lockedWei}`,
    );
  }

  // ================================================================== policies

  private payDirect(ctx: SimContext, payer: number, payee: number, amount: bigint): PayOutcome {
    const key = payer * PAIR_KEY + payee;
    let c = this.pairs.get(key);
    if (c === undefined || !this.usable(c)) {
      let want = amount * this.directMul;
      if (want < this.directMin) want = this.directMin;
      if (want > this.directMax) want = this.directMax;
      c = this.newChannel(ctx, payer, payee, want, Kind.Direct);
      if (c < 0) return this.refuse("no_funds");
      this.pairs.set(key, c);
    }
    if (this.adv[payer] === Adv.StaleVoucher && this.staleAttempt(ctx, c, amount, payee)) return this.refuse("stale_voucher");
    const e = this.evalLeg(c, amount);
    if (e === REFUSED) return this.refuseLeg(ctx, c, false);
    this.commitLeg(ctx, c, amount, e);
    this.paid[payer] += amount;
    this.received[payee] += amount;
    return this.outcome(e);
  }

  private payHub(ctx: SimContext, payer: number, payee: number, amount: bigint): PayOutcome {
    const hub = this.hub;
    if (!this.nodes.isUp(hub)) return this.refuse("hub_down");
    if (payer === hub) return "paid";
    let vc = this.viewerHubChan[payer];
    if (!this.usable(vc)) {
      vc = this.newChannel(ctx, payer, hub, this.hubViewerDeposit, Kind.ViewerHub);
      if (vc < 0) return this.refuse("no_funds");
      this.viewerHubChan[payer] = vc;
    }
    if (this.adv[payer] === Adv.StaleVoucher && this.staleAttempt(ctx, vc, amount, payee)) return this.refuse("stale_voucher");
    const e1 = this.evalLeg(vc, amount);
    if (e1 === REFUSED) return this.refuseLeg(ctx, vc, false);
    if (payee === hub) {
      this.commitLeg(ctx, vc, amount, e1);
      this.paid[payer] += amount;
      this.received[hub] += amount;
      return this.outcome(e1);
    }
    const fee = (amount * this.feeBps) / 10_000n;
    const fwd = amount - fee;
    let pc = this.hubPayeeChan[payee];
    if (!this.usable(pc)) {
      pc = this.newChannel(ctx, hub, payee, this.hubPayeeDeposit, Kind.HubPayee);
      if (pc < 0) return this.refuse("hub_float");
      this.hubPayeeChan[payee] = pc;
    }
    const e2 = this.evalLeg(pc, fwd);
    if (e2 === REFUSED) return this.refuseLeg(ctx, pc, true);
    this.commitLeg(ctx, vc, amount, e1);
    this.commitLeg(ctx, pc, fwd, e2);
    this.paid[payer] += amount;
    this.received[payee] += fwd;
    this.received[hub] += fee;
    return this.outcome(e1 > e2 ? e1 : e2);
  }

  private outcome(e: number): PayOutcome {
    if (e === PAID) return "paid";
    this.c.credit.add(1);
    return "credit";
  }

  private refuse(reason: Reason): PayOutcome {
    this.c.refused.add(1);
    this.failures.get(reason)!.add(1);
    return "refused";
  }

  /** A leg was refused: say why, and start a top-up if that is what was missing. */
  private refuseLeg(ctx: SimContext, c: number, hubLeg: boolean): PayOutcome {
    const noTopUpPossible = this.chState[c] !== St.Open || this.chPending[c] > 0n || !this.canTopUp(c);
    if (!noTopUpPossible) this.submitDeposit(ctx, c);
    if (this.chPending[c] > 0n || this.chState[c] === St.Opening) return this.refuse("credit_limit");
    return this.refuse(hubLeg ? "hub_float" : "no_funds");
  }

  // ================================================================== channel legs

  private usable(c: number): boolean {
    return c >= 0 && (this.chState[c] === St.Open || this.chState[c] === St.Opening);
  }

  /** What paying `amount` on channel c would be (no mutation). */
  private evalLeg(c: number, amount: bigint): number {
    const owed = this.chOwed[c] + amount;
    const value = this.chValue[c];
    if (owed <= value) return PAID;
    const limit = this.chKind[c] === Kind.HubPayee ? this.hubCreditLimit : this.creditLimit;
    if (owed - value > limit) return REFUSED;
    if (owed <= value + this.chPending[c]) return CREDIT;
    if (this.chState[c] === St.Open && this.chPending[c] === 0n && this.canTopUp(c)) return CREDIT_TOPUP;
    return REFUSED;
  }

  private commitLeg(ctx: SimContext, c: number, amount: bigint, e: number): void {
    const before = this.chOwed[c];
    const owed = before + amount;
    this.chOwed[c] = owed;
    const value = this.chValue[c];
    if (owed > value) this.creditWei += owed - (before > value ? before : value);
    this.c.vouchersIssued.add(1);
    this.chLastPayUs[c] = ctx.now;
    this.chPays[c]++;
    const sender = this.chSender[c];
    if (this.adv[sender] !== Adv.None) this.verifyVoucher(c, owed);
    else if (--this.nextSample <= 0) {
      this.nextSample = this.sampleGap();
      this.verifyVoucher(c, owed);
    }
    if (e === CREDIT_TOPUP) this.submitDeposit(ctx, c);
    else if (e === PAID) {
      if (this.chState[c] === St.Open && this.chPending[c] === 0n) {
        if (value - owed < this.chTopUpAt[c] && this.canTopUp(c)) this.submitDeposit(ctx, c);
        else if (owed >= this.chClaimAt[c]) this.receiverClaim(ctx, c);
      }
    }
    if (this.adv[sender] === Adv.EarlySettle && this.chPays[c] >= this.params.adversary.earlySettle.afterPayments && this.chState[c] === St.Open) {
      this.chAdv[c] = Adv.EarlySettle;
      this.attackAttempts[Adv.EarlySettle].add(1);
      this.senderStartSettling(ctx, c);
    }
  }

  /** Sign the voucher for `payment` on channel c and recover its signer, as a receiver checking it would. */
  private verifyVoucher(c: number, payment: bigint): void {
    const sig = signVoucher(this.key(this.chSender[c]).privateKey, { contract: this.channelsAddr, chainId: this.chainId, channelId: this.chId[c], payment });
    this.c.vouchersSigned.add(1);
    const who = voucherSigner({ contract: this.channelsAddr, chainId: this.chainId, channelId: this.chId[c], payment }, sig);
    this.c.vouchersVerified.add(1);
    invariant(who === this.address(this.chSender[c]), () => `voucher on channel ${c} recovers to ${who}, not its sender`);
  }

  /**
   * A stale-voucher adversary's turn on channel c: with its probability it sends, instead of a fresh voucher, the
   * previous one again (cumulative value not increased) or one signed for its previous channel. The receiver checks
   * every voucher of an adversarial payer with real recovery and refuses: the payer gained the segment just served.
   */
  private staleAttempt(ctx: SimContext, c: number, amount: bigint, servedBy: number): boolean {
    if (this.rngAdv.float() >= this.params.adversary.staleVoucher.probability) return false;
    const b = Adv.StaleVoucher;
    this.attackAttempts[b].add(1);
    const sender = this.chSender[c];
    const prevId = this.lastChannelId[sender];
    const replay = this.chOwed[c] === 0n && prevId !== undefined && prevId !== this.chId[c];
    const voucherId = replay ? prevId : this.chId[c];
    const payment = replay ? amount : this.chOwed[c];
    const sig = signVoucher(this.key(sender).privateKey, { contract: this.channelsAddr, chainId: this.chainId, channelId: voucherId, payment });
    this.c.vouchersSigned.add(1);
    const who = voucherSigner({ contract: this.channelsAddr, chainId: this.chainId, channelId: this.chId[c], payment }, sig);
    this.c.vouchersVerified.add(1);
    const valid = who === this.address(sender) && payment >= this.chOwed[c] + amount;
    invariant(!valid, () => "a stale voucher passed the receiver's check");
    this.attackSucceeded[b].add(1);
    this.attackGain[b] += amount;
    this.attackLoss[b] += amount;
    this.lost[servedBy] += amount;
    ctx.traceMix(replay ? 1 : 2);
    return true;
  }

  private canTopUp(c: number): boolean {
    return this.wallet(this.chSender[c]) > 0n && this.adv[this.chSender[c]] !== Adv.EarlySettle;
  }

  private depositSize(c: number): bigint {
    switch (this.chKind[c]) {
      case Kind.ViewerHub:
        return this.hubViewerDeposit;
      case Kind.HubPayee:
        return this.hubPayeeDeposit;
      default:
        return this.chOpenWei[c];
    }
  }

  // ================================================================== channel lifecycle (on chain)

  /** A new channel in state Opening, its open submitted; −1 if the sender's wallet is empty. */
  private newChannel(ctx: SimContext, sender: number, receiver: number, want: bigint, kind: number): number {
    const left = this.wallet(sender);
    const deposit = want < left ? want : left;
    if (deposit <= 0n) return -1;
    this.walletLeft[sender] = left - deposit;
    const c = this.chSender.length;
    this.chSender.push(sender);
    this.chReceiver.push(receiver);
    const id = this.randomId();
    this.chId.push(id);
    this.idToChan.set(id, c);
    this.chKind.push(kind);
    this.chState.push(St.Opening);
    this.chValue.push(0n);
    this.chPending.push(deposit);
    this.chOpenWei.push(deposit);
    this.chOwed.push(0n);
    this.chClaimAt.push(MAX_UINT256);
    this.chTopUpAt.push(0n);
    this.chRetries.push(0);
    this.chPays.push(0);
    this.chLastPayUs.push(ctx.now);
    this.chSubmitUs.push(ctx.now);
    this.chOpenedUs.push(-1);
    this.chAdv.push(Adv.None);
    this.chClaimSub.push(0);
    this.submitOpen(ctx, c);
    return c;
  }

  private submitOpen(ctx: SimContext, c: number): void {
    const sender = this.chSender[c];
    if (this.chState[c] !== St.Opening) return;
    if (!this.nodes.isUp(sender)) {
      this.waitUp(sender, Act.Open, c);
      return;
    }
    if (!this.litReady(sender, this.approveCh[sender] === 0 ? 2 : 1)) {
      this.deferLit(ctx, sender, Act.Open, c);
      return;
    }
    this.ensureApproved(ctx, sender, "channels");
    if (this.griefers.length > 0 && this.adv[sender] === Adv.None && this.rngAdv.float() < this.params.adversary.grief.probability) this.grief(ctx, c);
    const args: AbiValue[] = [this.chId[c], this.address(this.chReceiver[c]), this.settlingPeriod, this.chOpenWei[c]];
    const ok = this.submit("open", sender, "channels", "open", args, (o) => this.onOpen(c, o));
    if (!ok) this.retryOpen(c);
  }

  private onOpen(c: number, o: EvmCallOutcome): void {
    if (this.chState[c] !== St.Opening) return;
    if (o.ok) {
      const w = this.chOpenWei[c];
      this.chState[c] = St.Open;
      this.openChannels++;
      this.chPending[c] -= w;
      this.setValue(c, w);
      this.lockedWei += w;
      this.chOpenedUs[c] = this.k.now;
      this.openLatency.observe((this.k.now - this.chSubmitUs[c]) / SECOND);
      this.lastChannelId[this.chSender[c]] = this.chId[c];
      if (this.params.idleCloseS > 0 && this.adv[this.chSender[c]] === Adv.None) {
        this.k.schedule(Math.round(this.params.idleCloseS * SECOND), this.kinds.act, c, undefined, Act.IdleCheck);
      }
      if (this.chOwed[c] >= this.chClaimAt[c]) this.receiverClaim(this.k, c);
      return;
    }
    const reason = o.result?.revert?.name;
    if (reason === "ChannelExists") {
      // Griefed (or, with negligible probability, a random collision): a fresh id, and again.
      this.c.griefVictims.add(1);
      this.idToChan.delete(this.chId[c]);
      const id = this.randomId();
      this.chId[c] = id;
      this.idToChan.set(id, c);
      this.submitOpen(this.k, c);
      return;
    }
    if (o.refusedLit || reason === "InsufficientAllowance") {
      this.retryOpen(c);
      return;
    }
    // InsufficientBalance or anything else: the wallet cannot fund this channel.
    if (reason === "InsufficientBalance") this.walletLeft[this.chSender[c]] = 0n;
    this.failChannel(c);
  }

  private retryOpen(c: number): void {
    if (++this.chRetries[c] > this.params.retry.max) {
      this.failChannel(c);
      return;
    }
    this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.Open);
  }

  /** The open will not happen: the deposit was never pulled (back to the wallet); the payee's credit is lost. */
  private failChannel(c: number): void {
    this.c.openFailures.add(1);
    const sender = this.chSender[c];
    this.walletLeft[sender] += this.chPending[c];
    this.chPending[c] = 0n;
    const owed = this.chOwed[c];
    if (owed > 0n) {
      this.creditWei -= owed;
      this.creditLostWei += owed;
      this.lost[this.chReceiver[c]] += owed;
    }
    this.chState[c] = St.Failed;
    this.idToChan.delete(this.chId[c]);
  }

  private submitDeposit(ctx: SimContext, c: number): void {
    const sender = this.chSender[c];
    const left = this.wallet(sender);
    const want = this.depositSize(c);
    const amount = want < left ? want : left;
    if (amount <= 0n || !this.nodes.isUp(sender) || !this.litReady(sender, 1)) return;
    this.walletLeft[sender] = left - amount;
    this.chPending[c] += amount;
    const ok = this.submit("deposit", sender, "channels", "deposit", [this.chId[c], amount], (o) => this.onDeposit(c, amount, o));
    if (!ok) this.onDeposit(c, amount, undefined);
    ctx.traceMix(c);
  }

  private onDeposit(c: number, amount: bigint, o: EvmCallOutcome | undefined): void {
    this.chPending[c] -= amount;
    if (o !== undefined && o.ok) {
      this.setValue(c, this.chValue[c] + amount);
      this.lockedWei += amount;
      return;
    }
    // Refused or reverted (the channel was claimed or is settling meanwhile): the tokens stay in the wallet.
    this.walletLeft[this.chSender[c]] += amount;
  }

  /** A new confirmed value: move the credit total and the claim / top-up thresholds with it. */
  private setValue(c: number, value: bigint): void {
    const owed = this.chOwed[c];
    const old = this.chValue[c];
    const creditBefore = owed > old ? owed - old : 0n;
    const creditAfter = owed > value ? owed - value : 0n;
    this.creditWei += creditAfter - creditBefore;
    this.chValue[c] = value;
    this.chClaimAt[c] = (value * this.claimPpm) / 1_000_000n;
    this.chTopUpAt[c] = (value * this.topUpPpm) / 1_000_000n;
  }

  /** The receiver claims its highest voucher (closing the channel), now if it is up, else when it comes back. */
  private receiverClaim(ctx: SimContext, c: number): void {
    const st = this.chState[c];
    if (st !== St.Open && st !== St.Settling && st !== St.Claiming) return;
    const owed = this.chOwed[c];
    if (owed === 0n || this.chClaimSub[c] === 1) return; // nothing to claim (the sender settles), or already claiming
    const receiver = this.chReceiver[c];
    if (st === St.Open) this.chState[c] = St.Claiming;
    if (!this.nodes.isUp(receiver)) {
      this.waitUp(receiver, Act.Claim, c);
      return;
    }
    if (!this.litReady(receiver, 1)) {
      this.deferLit(ctx, receiver, Act.Claim, c);
      return;
    }
    const sender = this.chSender[c];
    const voucher = { contract: this.channelsAddr, chainId: this.chainId, channelId: this.chId[c], payment: owed };
    const sig = signVoucher(this.key(sender).privateKey, voucher);
    this.c.vouchersSigned.add(1);
    invariant(voucherSigner(voucher, sig) === this.address(sender), () => `claim voucher of channel ${c} does not recover to its sender`);
    this.c.vouchersVerified.add(1);
    this.chClaimSub[c] = 1;
    const ok = this.submit("claim", receiver, "channels", "claim", [this.chId[c], owed, sig], (o) => this.onClaim(c, o));
    if (!ok) {
      this.chClaimSub[c] = 0;
      this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.Claim);
    }
    ctx.traceMix(c);
  }

  private onClaim(c: number, o: EvmCallOutcome): void {
    this.chClaimSub[c] = 0;
    if (this.chState[c] === St.Closed) return;
    if (o.ok) {
      const log = o.result!.logs.find((l) => l.name === "DidClaim" && l.address === this.channelsAddr);
      invariant(log !== undefined, () => `claim of channel ${c} without DidClaim`);
      const toReceiver = log.args.toReceiver as bigint;
      const toSender = log.args.toSender as bigint;
      invariant(toReceiver + toSender === this.chValue[c], () => `claim of channel ${c}: ${toReceiver} + ${toSender} ≠ value ${this.chValue[c]}`);
      this.closed(c, toReceiver, toSender);
      return;
    }
    if (o.refusedLit) {
      this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.Claim);
      return;
    }
    // ChannelAbsent: the sender settled first (its DidSettle is handled in onSettle). BadSignature would be a bug.
    invariant(o.result?.revert?.name === "ChannelAbsent", () => `claim of channel ${c} reverted: ${o.result?.revertReason}`);
  }

  /** The channel is gone (claim or settle): pay the books. */
  private closed(c: number, toReceiver: bigint, toSender: bigint): void {
    const value = this.chValue[c];
    const owed = this.chOwed[c];
    const sender = this.chSender[c];
    const receiver = this.chReceiver[c];
    this.chState[c] = St.Closed;
    this.openChannels--;
    this.lockedWei -= value;
    if (owed > value) this.creditWei -= owed - value;
    this.walletLeft[sender] += toSender;
    this.claimed[receiver] += toReceiver;
    this.claimedWei += toReceiver;
    if (receiver === this.hub) this.walletLeft[receiver] = this.wallet(receiver) + toReceiver; // the hub's claims refill its float
    const unpaid = owed - toReceiver;
    if (unpaid > 0n) this.lost[receiver] += unpaid;
    const b = this.chAdv[c];
    if (b !== Adv.None) {
      this.attackLockedPopS[b] += (weiToPop(value) * (this.k.now - this.chOpenedUs[c])) / SECOND;
      if (unpaid > 0n) {
        this.attackSucceeded[b].add(1);
        this.attackGain[b] += unpaid;
        this.attackLoss[b] += unpaid;
      }
    }
    this.idToChan.delete(this.chId[c]);
  }

  /** Sender side: stop using channel c and start settling it (idle close, or the early-settle attack). */
  private senderStartSettling(ctx: SimContext, c: number): void {
    if (this.chState[c] !== St.Open) return;
    const sender = this.chSender[c];
    if (!this.nodes.isUp(sender)) {
      this.waitUp(sender, Act.StartSettling, c);
      return;
    }
    if (!this.litReady(sender, 1)) {
      this.deferLit(ctx, sender, Act.StartSettling, c);
      return;
    }
    this.chState[c] = St.Settling;
    const ok = this.submit("start_settling", sender, "channels", "startSettling", [this.chId[c]], (o) => this.onStartSettling(c, o));
    if (!ok) {
      this.chState[c] = St.Open;
      this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.StartSettling);
    }
    ctx.traceMix(c);
  }

  private onStartSettling(c: number, o: EvmCallOutcome): void {
    if (o.ok) {
      const log = o.result!.logs.find((l) => l.name === "DidStartSettling")!;
      const until = log.args.settlingUntil as bigint;
      const waitBlocks = Number(until - BigInt(o.blockNumber)) + 1;
      this.k.schedule(waitBlocks * this.blockTimeUs, this.kinds.act, c, undefined, Act.Settle);
      return;
    }
    if (this.chState[c] !== St.Settling) return;
    if (o.refusedLit) {
      this.chState[c] = St.Open;
      this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.StartSettling);
    }
    // ChannelAbsent: the receiver claimed first. ChannelSettling cannot happen (one startSettling per channel).
  }

  private senderSettle(ctx: SimContext, c: number): void {
    if (this.chState[c] === St.Closed) return;
    const sender = this.chSender[c];
    if (!this.nodes.isUp(sender)) {
      this.waitUp(sender, Act.Settle, c);
      return;
    }
    if (!this.litReady(sender, 1)) {
      this.deferLit(ctx, sender, Act.Settle, c);
      return;
    }
    const ok = this.submit("settle", sender, "channels", "settle", [this.chId[c]], (o) => this.onSettle(c, o));
    if (!ok) this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.Settle);
    ctx.traceMix(c);
  }

  private onSettle(c: number, o: EvmCallOutcome): void {
    if (this.chState[c] === St.Closed) return;
    if (o.ok) {
      const value = this.chValue[c];
      const owed = this.chOwed[c];
      const lostWei = owed < value ? owed : value;
      if (lostWei > 0n) this.lostOfflineWei += lostWei;
      this.closed(c, 0n, value);
      return;
    }
    const reason = o.result?.revert?.name;
    if (o.refusedLit || reason === "SettlingNotOver") this.k.schedule(this.retryUs, this.kinds.act, c, undefined, Act.Settle);
    // ChannelAbsent: claimed meanwhile (onClaim closed it).
  }

  private idleCheck(ctx: SimContext, c: number): void {
    if (this.chState[c] !== St.Open) return;
    const idleUs = Math.round(this.params.idleCloseS * SECOND);
    const due = this.chLastPayUs[c] + idleUs;
    if (ctx.now >= due) this.senderStartSettling(ctx, c);
    else ctx.scheduleAt(due, this.kinds.act, c, undefined, Act.IdleCheck);
  }

  /** A griefer front-runs channel c's open with the same id (1 wei, to the same receiver). */
  private grief(ctx: SimContext, c: number): void {
    const g = this.griefers[this.rngAdv.int(this.griefers.length)];
    if (!this.nodes.isUp(g) || this.wallet(g) <= 0n || !this.litReady(g, this.approveCh[g] === 0 ? 2 : 1)) return;
    const b = Adv.Grief;
    this.attackAttempts[b].add(1);
    this.ensureApproved(ctx, g, "channels");
    this.walletLeft[g] -= 1n;
    const ok = this.submit("open", g, "channels", "open", [this.chId[c], this.address(this.chReceiver[c]), this.settlingPeriod, 1n], (o) => {
      if (o.ok) {
        this.attackSucceeded[b].add(1);
        this.griefWeiLocked += 1n;
      } else {
        this.walletLeft[g] += 1n;
      }
    });
    if (!ok) this.walletLeft[g] += 1n;
  }

  // ================================================================== tickets

  private payTickets(ctx: SimContext, payer: number, payee: number, amount: bigint): PayOutcome {
    let st = this.tkState[payer];
    if (st === Tk.Unlocking) return this.refuse("sender_leaving");
    if (st === Tk.None) {
      this.tkFund(ctx, payer);
      st = this.tkState[payer];
      if (st === Tk.None) return this.refuse("no_funds");
    }
    if (st === Tk.Failed) return this.refuse("open_failed");
    const funded = st === Tk.Funded;
    const s = this.slotOf(payer, payee, funded);
    if (s < 0) return this.refuse("credit_limit");
    let e = PAID;
    if (!funded || this.tkFloat(payer) < this.tkFace) {
      // The payee accepts tickets only from a sender that can cover a win; until then (opening, topping up) it
      // gives credit, up to the limit across this payer's debts.
      if (funded && this.tkPendingD[payer] === 0n) this.tkTopUp(ctx, payer);
      if (!funded || this.tkPendingD[payer] > 0n) {
        if (this.payerDebt(payer) + amount > this.creditLimit) return this.refuse("credit_limit");
        e = CREDIT;
      } else {
        return this.refuse("no_funds");
      }
    }
    if (this.adv[payer] === Adv.StaleVoucher && this.rngAdv.float() < this.params.adversary.staleVoucher.probability && this.slotLastNonce[s] >= 0) {
      // A replay of the last ticket sent to this payee: same nonce, same hash — the payee holds it already.
      const b = Adv.StaleVoucher;
      this.attackAttempts[b].add(1);
      this.attackSucceeded[b].add(1);
      this.attackGain[b] += amount;
      this.attackLoss[b] += amount;
      this.lost[payee] += amount;
      this.c.vouchersVerified.add(1);
      return this.refuse("stale_voucher");
    }
    this.slotOwed[s] += amount;
    this.creditWei += amount;
    this.paid[payer] += amount;
    this.received[payee] += amount;
    if (funded && e === PAID) {
      while (this.slotOwed[s] >= this.tkEv) {
        this.issueTicket(ctx, payer, payee, s, this.tkWinProb, this.tkWinProbBytes);
        this.slotOwed[s] -= this.tkEv;
        this.creditWei -= this.tkEv;
      }
      this.tkPays[payer]++;
      if (this.tkPendingD[payer] === 0n && this.tkFloat(payer) < this.tkTopUpAt()) this.tkTopUp(ctx, payer);
      if (this.adv[payer] === Adv.EarlySettle && this.tkPays[payer] >= this.params.adversary.earlySettle.afterPayments) this.tkUnlock(ctx, payer);
    }
    return this.outcome(e);
  }

  /** Deposit left that is not promised to pending winners (what a recipient checks a sender can cover). */
  private tkFloat(payer: number): bigint {
    return this.tkDeposit[payer] - this.tkOutstanding[payer];
  }

  private tkTopUpAt(): bigint {
    const at = (this.tkDepositWei * this.topUpPpm) / 1_000_000n;
    return at > this.tkFace ? at : this.tkFace;
  }

  private payerDebt(payer: number): bigint {
    let sum = 0n;
    const base = payer * TICKET_SLOTS;
    for (let i = 0; i < TICKET_SLOTS; i++) sum += this.slotOwed[base + i];
    return sum;
  }

  /** The payer's cache slot for `payee`, evicting one (paid with a scaled ticket) if needed; −1 if it cannot. */
  private slotOf(payer: number, payee: number, funded: boolean): number {
    const base = payer * TICKET_SLOTS;
    for (let i = 0; i < TICKET_SLOTS; i++) if (this.slotPayee[base + i] === payee) return base + i;
    for (let tries = 0; tries < TICKET_SLOTS; tries++) {
      const i = this.slotNext[payer];
      this.slotNext[payer] = (i + 1) % TICKET_SLOTS;
      const s = base + i;
      const owed = this.slotOwed[s];
      if (owed > 0n) {
        if (!funded) continue; // a debt on credit cannot be paid yet
        const wp = winProbFor(owed, this.tkFace);
        this.issueTicket(this.k, payer, this.slotPayee[s], s, wp, uint256ToBytes(wp));
        this.slotOwed[s] = 0n;
        this.creditWei -= owed;
      }
      this.slotPayee[s] = payee;
      this.slotLastNonce[s] = -1;
      return s;
    }
    return -1;
  }

  /** One ticket from payer to payee: draw the lottery; a winner waits for the payee's redemption. */
  private issueTicket(ctx: SimContext, payer: number, payee: number, slot: number, winProb: bigint, winProbBytes: Uint8Array): void {
    if (this.rand[payee] === undefined) this.rotateRand(payee);
    const hi = this.rngTickets.u32();
    const lo = this.rngTickets.u32();
    this.slotLastNonce[slot] = lo;
    this.c.ticketsIssued.add(1);
    this.c.vouchersIssued.add(1);
    const rand = this.rand[payee]!;
    const won = this.hasher.wins(rand, this.addrOf(payer), this.addrOf(payee), hi, lo, winProbBytes);
    const sampled = this.adv[payer] !== Adv.None || --this.nextSample <= 0;
    if (!won && !sampled) return;
    const w: Winner = {
      payer,
      nonce: BigInt(hi) * 4_294_967_296n + BigInt(lo),
      faceValue: this.tkFace,
      winProb,
      expiration: this.evm.host.blockNumber + BigInt(this.params.tickets.validityBlocks),
      rand: bytesToBigInt(rand),
      randHash: bytesToHex(this.randHash[payee]!),
      hash: undefined,
    };
    if (sampled) {
      if (this.adv[payer] === Adv.None) this.nextSample = this.sampleGap();
      this.signAndVerify(payee, w);
    }
    if (!won) return;
    ctx.traceMix(lo);
    this.c.ticketsWon.add(1);
    this.tkOutstanding[payer] += this.tkFace;
    let list = this.winners[payee];
    if (list === undefined) {
      list = [];
      this.winners[payee] = list;
    }
    list.push(w);
    this.rotateRand(payee);
    if (list.length >= this.params.tickets.redeemBatchMax) this.tkRedeem(ctx, payee);
    else if (this.redeemScheduled[payee] === 0) {
      this.redeemScheduled[payee] = 1;
      ctx.schedule(Math.round(this.params.tickets.redeemDelayS * SECOND), this.kinds.act, payee, undefined, Act.TkRedeem);
    }
  }

  private ticketOf(payee: number, w: Winner): Ticket {
    return {
      recipient: this.address(payee),
      sender: this.address(w.payer),
      faceValue: w.faceValue,
      winProb: w.winProb,
      senderNonce: w.nonce,
      recipientRandHash: w.randHash,
      expirationBlock: w.expiration,
    };
  }

  /** Sign a ticket (the sender) and recover it (the recipient). */
  private signAndVerify(payee: number, w: Winner): Uint8Array {
    const h = ticketHash(this.ticketsAddr, this.chainId, this.ticketOf(payee, w));
    w.hash = bytesToHex(h);
    const sig = signTicket(this.key(w.payer).privateKey, h);
    this.c.vouchersSigned.add(1);
    invariant(ticketSigner(h, sig) === this.address(w.payer), () => `ticket from ${w.payer} does not recover to its sender`);
    this.c.vouchersVerified.add(1);
    return sig;
  }

  /** A fresh committed rand for a recipient (after every win: redeeming reveals the old one). */
  private rotateRand(payee: number): void {
    const r = new Uint8Array(32);
    for (let i = 0; i < 32; i += 4) {
      const x = this.rngTickets.u32();
      r[i] = x >>> 24;
      r[i + 1] = (x >>> 16) & 0xff;
      r[i + 2] = (x >>> 8) & 0xff;
      r[i + 3] = x & 0xff;
    }
    this.rand[payee] = r;
    this.randHash[payee] = keccak256(r);
  }

  private tkFund(ctx: SimContext, payer: number): void {
    const left = this.wallet(payer);
    const d = this.tkDepositWei < left ? this.tkDepositWei : left;
    const rest = left - d;
    const r = this.tkReserveWei < rest ? this.tkReserveWei : rest;
    if (d <= 0n) return;
    if (!this.nodes.isUp(payer)) return;
    this.walletLeft[payer] = left - d - r;
    this.tkPendingD[payer] = d;
    this.tkPendingR[payer] = r;
    this.tkState[payer] = Tk.Funding;
    this.submitFund(ctx, payer);
  }

  private submitFund(ctx: SimContext, payer: number): void {
    if (!this.nodes.isUp(payer)) {
      this.waitUp(payer, Act.TkFund, payer);
      return;
    }
    if (!this.litReady(payer, this.approveTk[payer] === 0 ? 2 : 1)) {
      this.deferLit(ctx, payer, Act.TkFund, payer);
      return;
    }
    this.ensureApproved(ctx, payer, "tickets");
    const d = this.tkPendingD[payer];
    const r = this.tkPendingR[payer];
    const ok = this.submit("fund", payer, "tickets", "fundDepositAndReserve", [d, r], (o) => this.onFund(payer, o));
    if (!ok) this.retryFund(payer);
  }

  private onFund(payer: number, o: EvmCallOutcome): void {
    const d = this.tkPendingD[payer];
    const r = this.tkPendingR[payer];
    if (o.ok) {
      this.tkPendingD[payer] = 0n;
      this.tkPendingR[payer] = 0n;
      this.tkRetries[payer] = 0;
      this.tkDeposit[payer] += d;
      this.tkReserve[payer] += r;
      this.lockedWei += d + r;
      this.tkState[payer] = Tk.Funded; // funding also cancels an unlock in progress
      this.tkPays[payer] = 0;
      return;
    }
    const reason = o.result?.revert?.name;
    if (o.refusedLit || reason === "InsufficientAllowance") {
      this.retryFund(payer);
      return;
    }
    if (reason === "InsufficientBalance") this.walletLeft[payer] = 0n;
    this.fundFailed(payer);
  }

  private retryFund(payer: number): void {
    if (++this.tkRetries[payer] > this.params.retry.max) {
      this.fundFailed(payer);
      return;
    }
    this.k.schedule(this.retryUs, this.kinds.act, payer, undefined, Act.TkFund);
  }

  /** A funding that will not happen: back to the wallet; a first funding leaves the payer unable to pay. */
  private fundFailed(payer: number): void {
    this.c.openFailures.add(1);
    this.walletLeft[payer] += this.tkPendingD[payer] + this.tkPendingR[payer];
    this.tkPendingD[payer] = 0n;
    this.tkPendingR[payer] = 0n;
    this.tkRetries[payer] = 0;
    if (this.tkState[payer] === Tk.Funding) {
      this.tkState[payer] = Tk.Failed;
      const lostWei = this.payerDebt(payer);
      if (lostWei > 0n) {
        const base = payer * TICKET_SLOTS;
        for (let i = 0; i < TICKET_SLOTS; i++) {
          const owed = this.slotOwed[base + i];
          if (owed > 0n) this.lost[this.slotPayee[base + i]] += owed;
          this.slotOwed[base + i] = 0n;
        }
        this.creditWei -= lostWei;
        this.creditLostWei += lostWei;
      }
    }
  }

  /** Add a deposit-sized top-up (a funded payer whose float ran low). */
  private tkTopUp(ctx: SimContext, payer: number): void {
    if (this.tkState[payer] !== Tk.Funded || this.tkPendingD[payer] > 0n || this.adv[payer] === Adv.EarlySettle) return;
    const left = this.wallet(payer);
    const d = this.tkDepositWei < left ? this.tkDepositWei : left;
    if (d <= 0n || !this.nodes.isUp(payer) || !this.litReady(payer, 1)) return;
    this.walletLeft[payer] = left - d;
    this.tkPendingD[payer] = d;
    this.tkPendingR[payer] = 0n;
    const ok = this.submit("fund", payer, "tickets", "fundDeposit", [d], (o) => this.onFund(payer, o));
    if (!ok) this.fundFailed(payer);
    ctx.traceMix(payer);
  }

  /** The recipient redeems up to a batch of its winning tickets. */
  private tkRedeem(ctx: SimContext, payee: number): void {
    this.redeemScheduled[payee] = 0;
    const list = this.winners[payee];
    if (list === undefined || list.length === 0) return;
    if (!this.nodes.isUp(payee)) {
      this.waitUp(payee, Act.TkRedeem, payee);
      return;
    }
    if (!this.litReady(payee, 1)) {
      this.redeemScheduled[payee] = 1;
      this.deferLit(ctx, payee, Act.TkRedeem, payee);
      return;
    }
    const batch = list.splice(0, this.params.tickets.redeemBatchMax);
    const tickets: AbiValue[] = [];
    const sigs: Uint8Array[] = [];
    const rands: bigint[] = [];
    for (const w of batch) {
      tickets.push(ticketTuple(this.ticketOf(payee, w)));
      sigs.push(this.signAndVerify(payee, w));
      rands.push(w.rand);
    }
    const ok = this.submit("redeem", payee, "tickets", "batchRedeemWinningTickets", [tickets, sigs, rands], (o) => this.onRedeem(payee, batch, o));
    if (!ok) this.putBack(payee, batch);
    if (list.length > 0) ctx.schedule(0, this.kinds.act, payee, undefined, Act.TkRedeem);
    ctx.traceMix(payee);
  }

  private putBack(payee: number, batch: Winner[]): void {
    this.winners[payee]!.unshift(...batch);
    if (this.redeemScheduled[payee] === 0) {
      this.redeemScheduled[payee] = 1;
      this.k.schedule(this.retryUs, this.kinds.act, payee, undefined, Act.TkRedeem);
    }
  }

  private onRedeem(payee: number, batch: Winner[], o: EvmCallOutcome): void {
    if (!o.ok) {
      invariant(o.refusedLit, () => `batchRedeemWinningTickets reverted: ${o.result?.revertReason}`);
      this.putBack(payee, batch);
      return;
    }
    const byHash = new Map<string, Winner>();
    for (const w of batch) byHash.set(w.hash!, w);
    for (const l of o.result!.logs) {
      if (l.address !== this.ticketsAddr) continue;
      if (l.name === "WinningTicketRedeemed") {
        const w = byHash.get(l.args.ticketHash as string)!;
        invariant(w !== undefined, () => "a redeemed ticket the recipient did not send");
        const fromDeposit = l.args.fromDeposit as bigint;
        const fromReserve = l.args.fromReserve as bigint;
        const paidWei = fromDeposit + fromReserve;
        this.c.ticketsRedeemed.add(1);
        this.tkDeposit[w.payer] -= fromDeposit;
        this.tkReserve[w.payer] -= fromReserve;
        this.tkOutstanding[w.payer] -= w.faceValue;
        this.lockedWei -= paidWei;
        this.claimed[payee] += paidWei;
        this.claimedWei += paidWei;
        if (paidWei < w.faceValue) this.unpaidWinner(payee, w, w.faceValue - paidWei, false);
      } else if (l.name === "TicketSkipped") {
        const w = byHash.get(l.args.ticketHash as string)!;
        invariant(w !== undefined, () => "a skipped ticket the recipient did not send");
        this.c.ticketsSkipped.add(1);
        this.tkOutstanding[w.payer] -= w.faceValue;
        this.unpaidWinner(payee, w, w.faceValue, l.args.reason === this.expiredSelector());
      }
    }
  }

  private expiredSel: string | undefined;
  private expiredSelector(): string {
    this.expiredSel ??= [...this.evm.system.tickets.abi.errors.values()].find((e) => e.name === "TicketExpired")!.selector;
    return this.expiredSel;
  }

  /** A winning ticket not (fully) paid: expired while the recipient was away, or the sender left or ran dry. */
  private unpaidWinner(payee: number, w: Winner, unpaid: bigint, expired: boolean): void {
    this.lost[payee] += unpaid;
    if (expired) this.lostOfflineWei += unpaid;
    const b = this.adv[w.payer];
    if (b === Adv.EarlySettle) {
      this.attackSucceeded[b].add(1);
      this.attackGain[b] += unpaid;
      this.attackLoss[b] += unpaid;
    }
  }

  /** The early-unlock attack: unlock right after being served, withdraw as soon as allowed. */
  private tkUnlock(ctx: SimContext, payer: number): void {
    if (this.tkState[payer] !== Tk.Funded) return;
    if (!this.nodes.isUp(payer)) {
      this.waitUp(payer, Act.TkUnlock, payer);
      return;
    }
    if (!this.litReady(payer, 1)) {
      this.deferLit(ctx, payer, Act.TkUnlock, payer);
      return;
    }
    this.attackAttempts[Adv.EarlySettle].add(1);
    this.tkState[payer] = Tk.Unlocking;
    this.tkUnlockUs[payer] = ctx.now;
    const ok = this.submit("unlock", payer, "tickets", "unlock", [], (o) => {
      if (o.ok) {
        const log = o.result!.logs.find((l) => l.name === "Unlock")!;
        const waitBlocks = Number((log.args.withdrawBlock as bigint) - BigInt(o.blockNumber)) + 1;
        this.k.schedule(waitBlocks * this.blockTimeUs, this.kinds.act, payer, undefined, Act.TkWithdraw);
      } else if (this.tkState[payer] === Tk.Unlocking) {
        this.tkState[payer] = Tk.Funded;
      }
    });
    if (!ok) this.tkState[payer] = Tk.Funded;
  }

  private tkWithdraw(ctx: SimContext, payer: number): void {
    if (this.tkState[payer] !== Tk.Unlocking) return;
    if (!this.nodes.isUp(payer)) {
      this.waitUp(payer, Act.TkWithdraw, payer);
      return;
    }
    if (!this.litReady(payer, 1)) {
      this.deferLit(ctx, payer, Act.TkWithdraw, payer);
      return;
    }
    const ok = this.submit("withdraw", payer, "tickets", "withdraw", [], (o) => {
      if (o.ok) {
        const log = o.result!.logs.find((l) => l.name === "Withdrawal")!;
        const d = log.args.deposit as bigint;
        const r = log.args.reserve as bigint;
        invariant(d === this.tkDeposit[payer] && r === this.tkReserve[payer], () => `withdrawal of ${payer}: contract ${d}+${r}, books ${this.tkDeposit[payer]}+${this.tkReserve[payer]}`);
        const b = Adv.EarlySettle;
        this.attackLockedPopS[b] += (weiToPop(d + r) * (this.k.now - this.tkUnlockUs[payer])) / SECOND;
        this.tkDeposit[payer] = 0n;
        this.tkReserve[payer] = 0n;
        this.lockedWei -= d + r;
        this.walletLeft[payer] += d + r;
        this.tkState[payer] = Tk.None;
        this.tkPays[payer] = 0;
      } else if (o.refusedLit || o.result?.revert?.name === "UnlockNotOver") {
        this.k.schedule(this.retryUs, this.kinds.act, payer, undefined, Act.TkWithdraw);
      }
    });
    if (!ok) this.k.schedule(this.retryUs, this.kinds.act, payer, undefined, Act.TkWithdraw);
    ctx.traceMix(payer);
  }

  // ================================================================== events, watchers, wallets

  private act(ctx: SimContext, action: number, target: number): void {
    switch (action) {
      case Act.Open:
        return this.submitOpen(ctx, target);
      case Act.Claim:
        return this.receiverClaim(ctx, target);
      case Act.StartSettling:
        return this.senderStartSettling(ctx, target);
      case Act.Settle:
        return this.senderSettle(ctx, target);
      case Act.IdleCheck:
        return this.idleCheck(ctx, target);
      case Act.TkFund:
        if (this.tkPendingD[target] > 0n || this.tkPendingR[target] > 0n) this.submitFund(ctx, target);
        return;
      case Act.TkRedeem:
        return this.tkRedeem(ctx, target);
      case Act.TkWithdraw:
        return this.tkWithdraw(ctx, target);
      case Act.TkUnlock:
        return this.tkUnlock(ctx, target);
      case Act.LitWake: {
        const q = this.litQueue.get(target);
        this.litQueue.delete(target);
        if (q === undefined) return;
        for (let i = 0; i < q.length; i += 2) {
          const again = this.litQueue.get(target);
          // Once one action had to wait again, the rest wait behind it, in order (no re-check per item).
          if (again !== undefined) again.push(q[i], q[i + 1]);
          else this.act(ctx, q[i], q[i + 1]);
        }
        return;
      }
    }
  }

  /** Receivers' watchers: DidStartSettling → claim; Unlock → redeem that sender's winning tickets. */
  private onBlock(ctx: SimContext, logs: readonly DecodedLog[]): void {
    const latency = Math.round(this.params.claim.watcherLatencyS * SECOND);
    for (const l of logs) {
      if (l.name === "DidStartSettling" && l.address === this.channelsAddr) {
        const c = this.idToChan.get(l.args.channelId as Hex);
        if (c !== undefined && this.chOwed[c] > 0n) ctx.schedule(latency, this.kinds.act, c, undefined, Act.Claim);
      } else if (l.name === "Unlock" && l.address === this.ticketsAddr) {
        const sender = this.addrToNode.get(l.args.sender as AddressHex);
        if (sender === undefined) continue;
        for (let p = 0; p < this.winners.length; p++) {
          const list = this.winners[p];
          if (list !== undefined && list.some((w) => w.payer === sender)) ctx.schedule(latency, this.kinds.act, p, undefined, Act.TkRedeem);
        }
      }
    }
  }

  private waitUp(node: number, action: number, target: number): void {
    let q = this.upQueue.get(node);
    if (q === undefined) {
      q = [];
      this.upQueue.set(node, q);
    }
    for (let i = 0; i < q.length; i += 2) if (q[i] === action && q[i + 1] === target) return;
    q.push(action, target);
  }

  private onUp(ctx: SimContext, node: number): void {
    if (node >= this.cap) this.grow(node + 1);
    const q = this.upQueue.get(node);
    if (q === undefined) return;
    this.upQueue.delete(node);
    for (let i = 0; i < q.length; i += 2) this.act(ctx, q[i], q[i + 1]);
  }

  /** Submit an EVM transaction of this model, counting it; false if the pool refused it. */
  private submit(kind: TxKind, from: number, contract: EvmCallData["contract"], fn: string, args: readonly AbiValue[], then: (o: EvmCallOutcome) => void): boolean {
    const adv = this.adv[from];
    const data: EvmCallData = {
      from: this.address(from),
      contract,
      fn,
      args,
      onResult: (o) => {
        this.litExecuted(from, o);
        this.c.evmCalls.add(o.refusedLit || this.litCost === 0n ? 1 : 2);
        if (o.refusedLit) this.c.refusedLit.add(1);
        else {
          this.c.litFees.add(Number(this.litCost));
          if (adv !== Adv.None) this.attackLit[adv] += this.litCost;
          if (!o.ok) this.c.reverted.add(1);
        }
        then(o);
      },
    };
    const r = this.chain.submitTx({ kind: "evm", data });
    if (!r.ok) {
      this.c.poolFull.add(1);
      return false;
    }
    this.c.onchain.add(1);
    this.txCounters.get(kind)!.add(1);
    this.litPending[from] += this.litCostN;
    return true;
  }

  /**
   * Whether `node` has the LIT for `txs` more transactions now (its estimate: LIT.sol's linear regeneration of
   * cap = stake·C/ΣS per window from empty at genesis, minus what its own transactions burned and what its pending
   * ones will). If not, `litWaitUs` says how long until it has; a wallet whose capacity can never cover them tries
   * again after `retry.delayS` (and learns its true balance from the refusal).
   */
  private litReady(node: number, txs: number): boolean {
    if (this.litCostN === 0) return true;
    const cap = this.litCapOf(node);
    const need = txs * this.litCostN + this.litPending[node];
    const now = this.k.now;
    const avail = cap > 0 ? Math.min(cap, this.litAvail[node] + (cap * (now - this.litAtUs[node])) / this.litWindowUs) : 0;
    if (avail >= need) return true;
    this.litWaitUs = need > cap ? this.retryUs : Math.ceil(((need - avail) * this.litWindowUs) / cap) + SECOND;
    return false;
  }

  /**
   * Park an action until `node` has the LIT (`litWaitUs` from the last `litReady`): one queue and one wake-up event
   * per wallet, so a busy wallet (the hub opening thousands of channels) waits in FIFO order, not in a storm of
   * individually re-scheduled attempts.
   */
  private deferLit(ctx: SimContext, node: number, action: number, target: number): void {
    let q = this.litQueue.get(node);
    if (q === undefined) {
      q = [];
      this.litQueue.set(node, q);
      ctx.schedule(this.litWaitUs, this.kinds.act, node, undefined, Act.LitWake);
    }
    for (let i = 0; i < q.length; i += 2) if (q[i] === action && q[i + 1] === target) return;
    q.push(action, target);
  }

  /** LIT capacity of a node's account per window (stake share of C), with ΣS cached for a simulated minute. */
  private litCapOf(node: number): number {
    const account = this.evm.accounts.accountOf.get(this.address(node));
    if (account === undefined) return 0;
    const ledger = this.chain.ledger;
    if (this.stakeTotalAtUs < 0 || this.k.now - this.stakeTotalAtUs >= 60 * SECOND) {
      this.stakeTotal = Number(ledger.totalStakeWei());
      this.stakeTotalAtUs = this.k.now;
    }
    return this.stakeTotal > 0 ? (Number(ledger.stakeWei[account]) * this.litCapacity) / this.stakeTotal : 0;
  }

  /** A transaction of `node` executed (or was refused): update its LIT estimate. */
  private litExecuted(node: number, o: EvmCallOutcome): void {
    if (this.litCostN === 0) return;
    this.litPending[node] -= this.litCostN;
    if (o.refusedLit) {
      // The refusal carries the truth: InsufficientLit(account, available, needed) — but the revert is not in the
      // outcome (refused transactions have no result), so assume empty at the block's time.
      this.litAvail[node] = 0;
      this.litAtUs[node] = o.timestampUs;
      return;
    }
    const cap = this.litCapOf(node);
    const dt = o.timestampUs - this.litAtUs[node];
    const avail = Math.min(cap, this.litAvail[node] + (cap * (dt > 0 ? dt : 0)) / this.litWindowUs);
    this.litAvail[node] = Math.max(0, avail - this.litCostN);
    if (dt > 0) this.litAtUs[node] = o.timestampUs;
  }

  /** A wallet approves a contract once (max allowance), just before its first open or funding. */
  private ensureApproved(_ctx: SimContext, node: number, which: "channels" | "tickets"): void {
    const flags = which === "channels" ? this.approveCh : this.approveTk;
    if (flags[node] !== 0) return;
    flags[node] = 1;
    const spender = which === "channels" ? this.channelsAddr : this.ticketsAddr;
    const ok = this.submit("approve", node, "token", "approve", [spender, MAX_UINT256], (o) => {
      flags[node] = o.ok ? 2 : 0;
    });
    if (!ok) flags[node] = 0;
  }

  /** What a node's wallet may still lock (lazily initialised from its genesis liquid POP). */
  private wallet(node: number): bigint {
    if (this.walletInit[node] === 0) {
      this.walletInit[node] = 1;
      const account = this.evm.accounts.accountOf.get(this.address(node));
      let budget = account === undefined ? 0n : this.evm.accounts.liquidWei[account];
      if (node === this.hub) {
        const f = popToWei(this.params.hub.floatPop);
        if (f < budget) budget = f;
      } else if (this.params.viewerBudgetPop > 0 && this.nodes.role[node] === ROLE_IDS.viewer) {
        const cap = popToWei(this.params.viewerBudgetPop);
        if (cap < budget) budget = cap;
      }
      this.walletLeft[node] = budget;
    }
    return this.walletLeft[node];
  }

  private key(node: number): KeyPair {
    let kp = this.keys[node];
    if (kp === undefined) {
      kp = deriveKeyPair(this.k.seed, `node/${node}`);
      this.keys[node] = kp;
      this.addrBytes[node] = hexToBytes(kp.address);
      this.addrToNode.set(kp.address, node);
    }
    return kp;
  }

  private address(node: number): AddressHex {
    return this.key(node).address;
  }

  private addrOf(node: number): Uint8Array {
    const b = this.addrBytes[node];
    if (b !== undefined) return b;
    this.key(node);
    return this.addrBytes[node]!;
  }

  private randomId(): Hex {
    let s = "0x";
    for (let i = 0; i < 8; i++) s += this.rngIds.u32().toString(16).padStart(8, "0");
    return s as Hex;
  }

  /** Payments until the next sampled verification: geometric with mean 1/rate (∞ when the rate is 0). */
  private sampleGap(): number {
    const r = this.params.verifySampleRate;
    if (r <= 0) return Number.MAX_SAFE_INTEGER;
    if (r >= 1) return 1;
    return 1 + Math.floor(Math.log(this.rngSample.floatOpen()) / Math.log(1 - r));
  }

  private get retryUs(): number {
    return Math.round(this.params.retry.delayS * SECOND);
  }

  private checkBooks(): string | undefined {
    if (this.lockedWei < 0n) return `capital locked is negative (${this.lockedWei})`;
    if (this.creditWei < 0n) return `credit outstanding is negative (${this.creditWei})`;
    if (this.openChannels < 0) return `open channel count is negative`;
    return undefined;
  }

  private growBigints(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      this.walletLeft.push(0n);
      this.paid.push(0n);
      this.received.push(0n);
      this.claimed.push(0n);
      this.lost.push(0n);
      this.tkDeposit.push(0n);
      this.tkReserve.push(0n);
      this.tkPendingD.push(0n);
      this.tkPendingR.push(0n);
      this.tkOutstanding.push(0n);
      this.tkRetries.push(0);
      this.tkPays.push(0);
      this.tkUnlockUs.push(0);
      this.litAvail.push(0);
      this.litAtUs.push(0);
      this.litPending.push(0);
      for (let s = 0; s < TICKET_SLOTS; s++) this.slotOwed.push(0n);
    }
  }

  /** Room for node ids < n (arrivals after t = 0). */
  private grow(n: number): void {
    let cap = this.cap;
    while (cap < n) cap *= 2;
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array, per = 1) => {
      const b = new Int32Array(cap * per).fill(-1);
      b.set(a);
      return b;
    };
    this.walletInit = u8(this.walletInit);
    this.approveCh = u8(this.approveCh);
    this.approveTk = u8(this.approveTk);
    this.adv = u8(this.adv);
    this.tkState = u8(this.tkState);
    this.slotNext = u8(this.slotNext);
    this.redeemScheduled = u8(this.redeemScheduled);
    this.viewerHubChan = i32(this.viewerHubChan);
    this.hubPayeeChan = i32(this.hubPayeeChan);
    this.slotPayee = i32(this.slotPayee, TICKET_SLOTS);
    const f = new Float64Array(cap * TICKET_SLOTS).fill(-1);
    f.set(this.slotLastNonce);
    this.slotLastNonce = f;
    this.growBigints(this.cap, cap);
    this.cap = cap;
  }
}
