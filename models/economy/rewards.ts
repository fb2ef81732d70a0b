/**
 * Rewards: the reward operator that drives the RewardPool contract, the members' claims, and the economy's books —
 * operator P&L, creator revenue, staking ratio, velocity, and the sybil-receipt attack.
 *
 * Purpose: answer the researchers' questions of DESIGN.md §1 ("how many masternodes stay profitable, does the pool
 * last, does revenue reach the long tail?") from the real reward contract and the real flows of a run.
 *
 * Method (every `rewards.intervalS`, one "economy.interval" event):
 * 1. Accrue: each masternode's storage credit (an audit passed, or an interval up without a failed audit), sybil
 *    fake bytes and their cost, and its P&L for the interval — revenue = serving payments + reward earned (claimed +
 *    pending, from the mirror), valued at the interval's POP/USD; cost = bandwidth per GB served + storage per
 *    GB-month + fixed per day + capital cost of the bond (+ the sybil costs of an attacker).
 * 2. Post shares, per role every `postEvery.<role>` intervals (a role's share = its work since its last posting):
 *    masternode = bytes served from viewer-signed receipts + storageCreditBytes × credits; delegate = blocks produced
 *    and made irreversible; staker = staked wei (the Staking contract's, through the ledger mirror); ephemeral =
 *    bytes served as a peer. Only shares that changed (beyond `shareChangeMin`) are posted, in
 *    `RewardPool.setSharesBatch` calls of ≤ `batchMax` entries, from the operator key, as chain transactions.
 * 3. Claims: a member (any node that ever had a share) whose pending reward reaches `claim.thresholdPop`, whose last
 *    claim is `claim.minGapS` old and which is up, sends `RewardPool.claim()` from its own address.
 * 4. Step the price path.
 * The first postings (stakers by stake, bonded up masternodes by one storage credit, active delegates by 1) are made
 * at `start()`, so the pool's emission has takers from the first executed block.
 *
 * Design decisions:
 * - **The mirror is the pending oracle** (poolMirror.ts): every setSharesBatch and claim is applied to an exact
 *   bigint mirror of the contract in its `onResult`, at its block's timestamp, so the mirror equals the contract to
 *   the wei; pending rewards for claim decisions and P&L cost no EVM call. Every claim checks the contract's paid
 *   amount against the mirror; at the end the contract's totals are read and compared. EVM calls per simulated day
 *   are therefore O(changed shares / batchMax + claims), never O(payments) or O(members × intervals).
 * - **Books from logs.** Executed blocks' logs (EvmChain.onBlockExecuted) give Claimed (reward POP received per node,
 *   exact), Transfer (on-chain volume for velocity; the balances of the treasury, Staking, the channels contract,
 *   the pool and the burn address, for circulating supply and the staking ratio, exact after a genesis read) and
 *   MasternodeRegistered/MasternodeUnbonding (who is bonded, so only bonded masternodes earn masternode shares).
 * - **The operator's LIT.** Every transaction burns LIT from its sender and LIT comes from stake; the chain's
 *   `system/economy` key has none. With `operator: "auto"` (default) the operator role is handed, by one
 *   genesis-time call `RewardPool.setOperator` (at t = 0, before any block executes, straight to the host like the
 *   chain genesis's own calls), to the self-account of the delegate with the most stake — the foundation's delegate,
 *   whose ~1 M POP regenerate far more LIT than posting needs — unless the economy key has LIT capacity of its own
 *   (then it stays the operator). Staking treasury POP for the economy key here instead would break the chain's
 *   ledger/Staking audit (the ledger has no account for it); see the report to the lead.
 * - **Pacing by LIT.** Batches wait in an outbox and are sent as the operator's LIT pays for them, estimated locally
 *   by LIT.sol's rule (linear regeneration up to the capacity) from its capacity and balance read at genesis: at
 *   t = 0 every holder's LIT is empty, and the ~60 batches of the first staker posting would otherwise be refused
 *   and wait a whole staker period. A refusal (someone else spent the operator's LIT) requeues the batch.
 * - **Without an EVM** (chain off, or chain without contracts) the mirror *is* the pool: shares and claims apply to it
 *   directly at the current time, so the economics run at no EVM cost (with the genesis defaults' pool and schedule).
 * - **Sybil receipts**: attackers' fake bytes are added to their masternode share; a shadow mirror receives the same
 *   postings at the same timestamps with the honest shares, so the gain (earned − shadow earned over attackers) is
 *   exact. The cost is modelled, not executed: content payments for the fake bytes, and the capital cost of channel
 *   deposits and of the stake whose LIT pays the sybils' channel transactions (stake = LIT needed per window ×
 *   ΣS / C, LIT.sol's capacity formula).
 * - Hot paths (`noteServed`, `notePayment`, per delivered segment) are O(1): typed-array and bigint-array adds by
 *   node id, no allocation beyond the bigint sum (~80 ns per delivery of one receipt and two payments).
 * - Timing: a role's share for a period is posted at the period's end and executes at finality (~45 s later), so the
 *   pool pays each period's work during the next period (the MasterChef accumulator can only pay forward); emission
 *   while a role has no shares yet (peers before their first posting) stays in the pool as `unallocated`.
 *
 * Metrics (`economy.*`): counters share_txs (setSharesBatch calls sent), share_entries (+ _masternode/_delegate/_staker/
 * _ephemeral), claim_txs, claims_paid, txs_refused_lit, txs_failed; gauges pop_usd, reward_pool_pop (pool − claimed),
 * rewards_emitted_pop (by the schedule, now), rewards_allocated_pop, rewards_unallocated_pop, rewards_claimed_pop (+
 * by role), members, operators_profitable_share, operator_revenue_usd, operator_cost_usd (totals over masternodes), and
 * on chain circulating_pop, staking_ratio, transfer_volume_pop; summaries at the end: operators,
 * operator_profit_usd.{p10,p50,p90,mean}, operator_reward_pop.mean, creator_revenue_pop, creator_revenue_gini,
 * creator_revenue_hhi, creator_long_tail_share, creator_lorenz_p10…p90, viewer_paid_pop, viewer_hours,
 * viewer_hours_watched (1 when the glue reports watch time), viewer_cost_per_hour_pop, rewards_received_pop,
 * evm_direct_calls, share_batches_unsent (still waiting for the operator's LIT), velocity_per_day (on chain) and, with the attack on, sybil_masternodes, sybil_fake_gb,
 * sybil_gain_pop, sybil_cost_pop, sybil_net_pop, sybil_lit_stake_pop. Checker: "economy.reward_books".
 */
import type { World } from "../../sim/runner/run.ts";
import type { KindId, SimContext } from "../../sim/kernel/index.ts";
import type { Counter, Metrics } from "../../sim/kernel/metrics.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { sampleIndices } from "../../sim/kernel/distributions.ts";
import { DAY, HOUR } from "../../sim/kernel/time.ts";
import { NodeStatus, ROLE_IDS } from "../../sim/net/nodes.ts";
import type { Chain } from "../chain/consensus.ts";
import type { EvmCallOutcome, EvmChain } from "../chain/evmExecutor.ts";
import { popToWei, weiToPop } from "../chain/types.ts";
import type { DecodedLog } from "../evm/abi.ts";
import { genesisDefaults, RewardSchedule, REWARD_ROLES_DEFAULT, TOTAL_SUPPLY_WEI, type PopSystem } from "../evm/genesis.ts";
import type { AddressHex } from "../evm/hex.ts";
import type { Contract } from "../evm/host.ts";
import { EmissionSchedule, type RewardPoolParams, type ScheduleKind } from "../evm/rewardPoolModel.ts";
import { deriveKeyPair } from "../evm/sign.ts";
import type { EconomyParams } from "./params.ts";
import { PoolMirror } from "./poolMirror.ts";
import { PricePath } from "./price.ts";
import { gini, hhi, longTailShare, lorenzPoints, quantile } from "./stats.ts";

/** RewardPool role ids (REWARD_ROLES_DEFAULT order). */
export const ROLE = { masternode: 0, delegate: 1, staker: 2, ephemeral: 3 } as const;
export const ROLE_NAMES = ["masternode", "delegate", "staker", "ephemeral"] as const;
const ROLES = 4;

/** The storage model's per-node facts the reward operator can use (StorageModel implements `auditFailuresOf`). */
export interface StorageView {
  auditFailuresOf(node: number): number;
  /** Audits passed so far by a node; when present, storage credit = audits passed. */
  auditsPassedOf?(node: number): number;
  /** Bytes of shards a node holds now; when present, replaces `costs.storedGbPerMasternode`. */
  storedBytesOf?(node: number): number;
}

/** A setSharesBatch waiting in (or sent from) the operator's outbox; `honest` is for the sybil shadow pool. */
interface ShareBatch {
  role: number;
  nodes: number[];
  shares: bigint[];
  honest: bigint[];
}

/** One node's books (accessor for reports and tests). */
export interface NodeBook {
  servedBytes: number;
  servedPeerBytes: number;
  fakeBytes: number;
  servingRevenueWei: bigint;
  contentRevenueWei: bigint;
  paidWei: bigint;
  /** Reward POP claimed (the mirror's count, equal to the Claimed logs'). */
  rewardClaimedWei: bigint;
  /** Reward POP received per the Claimed logs (on chain) or the mirror (off chain). */
  rewardReceivedWei: bigint;
  /** Claimed + pending now. */
  rewardEarnedWei: bigint;
  revenueUsd: number;
  costUsd: number;
  attacker: boolean;
}

export interface EconomyDistributions {
  /** Content revenue of every creator, POP. */
  creatorRevenuePop: number[];
  /** Profit of every masternode that existed during the run, USD. */
  operatorProfitUsd: number[];
  operatorRevenueUsd: number[];
  operatorCostUsd: number[];
  /** Reward earned (claimed + pending) per masternode, POP. */
  operatorRewardPop: number[];
}

const YEAR_US = 365.25 * DAY;
const MONTH_US = 30 * DAY;
const PPM = 1_000_000n;
const BURN_ADDRESS = "0x000000000000000000000000000000000000dead" as AddressHex;
const NEVER = -Number.MAX_SAFE_INTEGER;

function poolParamsOf(o: PopSystem["options"]): RewardPoolParams {
  return {
    pool: o.rewardPoolWei,
    schedule: RewardSchedule[o.rewardSchedule.kind] as ScheduleKind,
    periodSeconds: o.rewardSchedule.periodS,
    decayPerPeriodWad: o.rewardSchedule.decayPerPeriodWad ?? 0n,
    roleBps: o.rewardRoleBps.map((b) => BigInt(b)),
  };
}

const growF64 = (a: Float64Array, cap: number, fill = 0): Float64Array<ArrayBuffer> => {
  const b = new Float64Array(cap);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
};
const growU8 = (a: Uint8Array, cap: number): Uint8Array<ArrayBuffer> => {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
};
const growBig = (a: bigint[], cap: number): void => {
  for (let i = a.length; i < cap; i++) a.push(0n);
};

export class Rewards {
  readonly p: EconomyParams;
  /** Exact mirror of the RewardPool (the pool itself when there is no EVM). */
  readonly mirror: PoolMirror;
  /** The same postings without sybil bytes (only with the sybil attack on). */
  readonly shadow: PoolMirror | undefined;
  readonly onChain: boolean;
  readonly price: PricePath;
  /** The key posting shares (set at genesis). */
  operatorAddress: AddressHex | undefined;
  /** EVM calls made directly (genesis-time reads and setOperator, end-of-run checks), outside the chain's transactions. */
  directCalls = 0;
  /** Masternode node ids (in node order, late arrivals appended). */
  readonly masternodes: number[] = [];
  /** Nodes that ever served as peers, in first-serve order. */
  readonly peers: number[] = [];
  /** Nodes that ever had a share, in first-posting order. */
  readonly members: number[] = [];
  /** Claimed POP by role (wei). */
  readonly claimedByRoleWei: bigint[] = [0n, 0n, 0n, 0n];
  /** On-chain transfer volume (every Transfer log), wei. */
  transferVolumeWei = 0n;

  private readonly world: World;
  private readonly evm: EvmChain | undefined;
  private readonly chain: Chain | undefined;
  private storage: StorageView | undefined;
  private readonly emission: EmissionSchedule;
  private readonly t0S: bigint;
  private readonly intervalUs: number;
  private readonly thresholdWei: bigint;
  private readonly changePpm: bigint;
  private readonly stakerMinWei: bigint;
  private readonly bondPop: number;
  private cap = 0;
  private scanned = 0;
  private started = false;
  private genesisDone = false;
  private initialPosted = false;
  private tick = 0;
  private lastTickUs = 0;
  private problemText: string | undefined;
  // Per node: cumulative work and money.
  private mnBytes = new Float64Array(0);
  private peerBytes = new Float64Array(0);
  private fakeBytes = new Float64Array(0);
  private credits = new Float64Array(0);
  private blocks = new Float64Array(0);
  private readonly servingWei: bigint[] = [];
  private readonly contentWei: bigint[] = [];
  private readonly paidWei: bigint[] = [];
  private readonly claimedWei: bigint[] = [];
  /** By role, by node: reward claimed in that role (the mirror's split of each claim). */
  private readonly claimedRoleWei: bigint[][] = [[], [], [], []];
  private readonly receivedWei: bigint[] = [];
  // Per node: snapshots at the last posting of its role / the last interval.
  private snapMn = new Float64Array(0);
  private snapFake = new Float64Array(0);
  private snapCredits = new Float64Array(0);
  private snapPeer = new Float64Array(0);
  private snapBlocks = new Float64Array(0);
  private snapCostBytes = new Float64Array(0);
  private snapAudit = new Float64Array(0);
  private readonly snapServingWei: bigint[] = [];
  private readonly snapEarnedWei: bigint[] = [];
  // Per node: P&L, flags, claims.
  private revenueUsd = new Float64Array(0);
  private costUsd = new Float64Array(0);
  private sybilCostPop = new Float64Array(0);
  private lastClaimUs = new Float64Array(0);
  private attacker = new Uint8Array(0);
  private bonded = new Uint8Array(0);
  private member = new Uint8Array(0);
  private peerSeen = new Uint8Array(0);
  private claimInFlight = new Uint8Array(0);
  private existed = new Uint8Array(0);
  /** By role, by node: the share last submitted, and the share the contract holds. */
  private readonly posted: bigint[][] = [[], [], [], []];
  private readonly confirmed: bigint[][] = [[], [], [], []];
  private readonly keys: string[] = [];
  // Addresses.
  private readonly addressOfNode: (AddressHex | undefined)[] = [];
  private readonly nodeOfAddress = new Map<string, number>();
  // Books from logs.
  private readonly tracked = new Map<string, bigint>();
  private claimedLogWei = 0n;
  private circulatingPopUs = 0;
  private viewerOnlineUs = 0;
  private viewerWatchedUs = 0;
  // Sybil.
  private sybilLitStakePop = 0;
  private sybilContentPop = 0;
  private sybilCapitalPop = 0;
  private readonly kinds: { interval: KindId; genesis: KindId; flush: KindId };
  // The operator's outbox and LIT estimate (units; floats are exact enough for a pacing decision).
  private readonly outbox: ShareBatch[] = [];
  /** Time of the scheduled "economy.flush" event, or −1. */
  private flushPendingUs = -1;
  private litCap = 0;
  private litAvail = 0;
  private litAtUs = 0;
  private litCost = 0;
  private litWindowUs = 1;
  private readonly c: Record<"shareTxs" | "shareEntries" | "claimTxs" | "claimsPaid" | "refusedLit" | "failed", Counter>;
  /** Share entries posted, by role. */
  private readonly entriesByRole: Counter[];

  /**
   * `poolParams` (no EVM only) replaces the genesis defaults' pool, schedule and role split of the off-chain pool, for
   * tests and what-if runs; with an EVM the deployed RewardPool's parameters always apply.
   */
  constructor(world: World, params: EconomyParams, evm: EvmChain | undefined, chain: Chain | undefined, poolParams?: RewardPoolParams) {
    this.world = world;
    this.p = params;
    this.evm = evm;
    this.chain = chain;
    this.onChain = evm !== undefined && chain !== undefined;
    const k = world.kernel;
    const pp = evm !== undefined ? poolParamsOf(evm.system.options) : (poolParams ?? poolParamsOf(genesisDefaults(k.seed)));
    invariant(pp.roleBps.length >= ROLES, () => `economy: the RewardPool has ${pp.roleBps.length} roles; the economy needs ${REWARD_ROLES_DEFAULT.map((r) => r.name).join(", ")}`);
    this.mirror = new PoolMirror(pp);
    const sy = params.sybil;
    this.shadow = sy.masternodeFraction > 0 && sy.sybilsPerMasternode > 0 && sy.fakeGbPerSybilPerHour > 0 ? new PoolMirror(pp) : undefined;
    this.emission = new EmissionSchedule(pp);
    this.t0S = evm?.host.genesisTimestampS ?? 0n;
    this.intervalUs = Math.max(1, Math.round(params.rewards.intervalS * 1e6));
    this.thresholdWei = popToWei(params.rewards.claim.thresholdPop);
    this.changePpm = BigInt(Math.round(params.rewards.shareChangeMin * 1e6));
    this.stakerMinWei = popToWei(params.rewards.staker.minStakePop);
    this.bondPop = chain?.params.evm.masternodeBondPop ?? 50_000;
    this.price = new PricePath(params.price, k.rng("economy/price"));
    this.grow(Math.max(16, world.nodes.count));
    this.scanNodes();

    // Attackers.
    if (this.shadow !== undefined) {
      const picked = sampleIndices(k.rng("economy/sybil"), this.masternodes.length, Math.round(sy.masternodeFraction * this.masternodes.length));
      for (const i of picked) this.attacker[this.masternodes[i]] = 1;
    }

    // Addresses (the chain genesis's: one ledger account per node).
    if (this.onChain) {
      const ledger = chain!.ledger;
      for (let a = 0; a < ledger.accountCount; a++) {
        const node = ledger.accountNode[a];
        this.addressOfNode[node] = evm!.accounts.address[a];
        this.nodeOfAddress.set(evm!.accounts.address[a], node);
      }
    }

    chain?.onCommit((b) => {
      if (b.producerNode < 0) return;
      if (b.producerNode >= this.cap) this.grow(b.producerNode);
      this.blocks[b.producerNode]++;
    });
    evm?.onBlockExecuted((_ctx, b) => this.onBlockExecuted(b.logs));

    const m = world.metrics;
    this.c = {
      shareTxs: m.counter("economy.share_txs"),
      shareEntries: m.counter("economy.share_entries"),
      claimTxs: m.counter("economy.claim_txs"),
      claimsPaid: m.counter("economy.claims_paid"),
      refusedLit: m.counter("economy.txs_refused_lit"),
      failed: m.counter("economy.txs_failed"),
    };
    this.entriesByRole = ROLE_NAMES.map((name) => m.counter(`economy.share_entries_${name}`));
    m.gauge("economy.pop_usd", () => this.price.usd);
    m.gauge("economy.reward_pool_pop", () => weiToPop(this.mirror.params.pool - this.mirror.totalClaimed));
    m.gauge("economy.rewards_emitted_pop", () => weiToPop(this.emittedByScheduleWei()));
    m.gauge("economy.rewards_allocated_pop", () => weiToPop(this.mirror.totalEmitted - this.mirror.unallocated));
    m.gauge("economy.rewards_unallocated_pop", () => weiToPop(this.mirror.unallocated));
    m.gauge("economy.rewards_claimed_pop", () => weiToPop(this.mirror.totalClaimed));
    ROLE_NAMES.forEach((name, r) => m.gauge(`economy.rewards_claimed_${name}_pop`, () => weiToPop(this.claimedByRoleWei[r])));
    m.gauge("economy.members", () => this.members.length);
    m.gauge("economy.operators_profitable_share", () => this.profitableShare());
    m.gauge("economy.operator_revenue_usd", () => this.sumOverMasternodes(this.revenueUsd));
    m.gauge("economy.operator_cost_usd", () => this.sumOverMasternodes(this.costUsd));
    if (this.onChain) {
      m.gauge("economy.circulating_pop", () => weiToPop(this.circulatingWei()));
      m.gauge("economy.staking_ratio", () => this.stakingRatio());
      m.gauge("economy.transfer_volume_pop", () => weiToPop(this.transferVolumeWei));
    }
    k.addChecker("economy.reward_books", () => this.problem());

    this.kinds = {
      interval: k.register("economy.interval", (ctx) => this.onInterval(ctx)),
      genesis: k.register("economy.genesis", () => this.onGenesis()),
      flush: k.register("economy.flush", (ctx) => {
        this.flushPendingUs = -1;
        this.flush(ctx);
      }),
    };
    if (this.onChain) k.schedule(0, this.kinds.genesis);
    else {
      this.mirror.start(this.t0S);
      this.shadow?.start(this.t0S);
      this.genesisDone = true;
    }
  }

  // ------------------------------------------------------------------ inputs (hot paths)

  /** A viewer-signed receipt: `source` delivered `bytes` (peer = ephemeral masternode). */
  noteServed(source: number, bytes: number, fromPeer: boolean): void {
    if (source >= this.cap) this.grow(source);
    if (fromPeer) {
      if (this.peerSeen[source] === 0) {
        this.peerSeen[source] = 1;
        this.peers.push(source);
      }
      this.peerBytes[source] += bytes;
    } else {
      this.mnBytes[source] += bytes;
    }
  }

  /** Payment accounting for P&L / Gini: viewer paid creator / node. */
  notePayment(payer: number, payee: number, amountWei: bigint, kind: "content" | "serving"): void {
    if (payer >= this.cap || payee >= this.cap) this.grow(Math.max(payer, payee));
    this.paidWei[payer] += amountWei;
    if (kind === "content") this.contentWei[payee] += amountWei;
    else this.servingWei[payee] += amountWei;
  }

  /** Optional: a viewer watched `playedUs` of video (for the cost per watched hour; else per online hour). */
  noteWatched(_viewer: number, playedUs: number): void {
    this.viewerWatchedUs += playedUs;
  }

  /** Optional: the storage model's per-node audits and stored bytes (storage credit and storage cost). */
  useStorage(view: StorageView): void {
    this.storage = view;
  }

  /** Start the reward clock (call once, at t = 0 of the run). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.lastTickUs = this.world.kernel.now;
    this.price.advanceTo(this.world.kernel.now);
    this.world.kernel.schedule(this.intervalUs, this.kinds.interval);
    if (this.genesisDone) this.postInitial();
  }

  // ------------------------------------------------------------------ genesis (on chain)

  /** t = 0, before any block executes: read the pool's start and the tracked balances; choose the operator key. */
  private async onGenesis(): Promise<void> {
    const evm = this.evm!;
    const chain = this.chain!;
    const { host, system } = evm;
    const view = async <T>(contract: Contract, fn: string, args: readonly (string | bigint)[] = []): Promise<T> => {
      this.directCalls++;
      return host.view1(contract, fn, args) as Promise<T>;
    };
    const startTime = await view<bigint>(system.rewardPool, "startTime");
    invariant(startTime === this.t0S, () => `economy: RewardPool started at ${startTime}, expected the chain's genesis time ${this.t0S}`);
    this.mirror.start(startTime);
    this.shadow?.start(startTime);
    // Books: the balances Transfer logs will move from here on.
    for (const a of [system.keys.genesis.address, system.staking.address, system.channels.address, system.rewardPool.address, BURN_ADDRESS]) {
      this.tracked.set(a, await view<bigint>(system.token, "balanceOf", [a]));
    }
    invariant(this.tracked.get(system.rewardPool.address) === this.mirror.params.pool, "economy: the RewardPool does not hold its pool at genesis");
    this.directCalls++;
    const active = (await host.view(system.staking, "activeMasternodes"))[0] as AddressHex[];
    for (const a of active) {
      const node = this.nodeOfAddress.get(a);
      if (node !== undefined) this.bonded[node] = 1;
    }
    // The operator key.
    const litCost = BigInt(chain.params.evm.lit.costPerTx);
    const economyKey = system.keys.economy.address;
    let useDelegate = this.p.rewards.operator === "top-delegate";
    if (this.p.rewards.operator === "auto" && litCost > 0n) useDelegate = (await view<bigint>(system.lit, "capacityOf", [economyKey])) === 0n;
    if (useDelegate && chain.candidateNodes.length > 0) {
      const ledger = chain.ledger;
      let best = 0;
      for (let c = 1; c < chain.candidateNodes.length; c++) {
        if (ledger.stakeWei[ledger.selfAccount[c]] > ledger.stakeWei[ledger.selfAccount[best]]) best = c;
      }
      const operator = evm.accounts.candidateAddress[best];
      this.directCalls++;
      const r = await host.call(economyKey, system.rewardPool, "setOperator", [operator]);
      invariant(r.ok, () => `economy: RewardPool.setOperator failed: ${r.revertReason}`);
      this.operatorAddress = operator;
    } else {
      this.operatorAddress = economyKey;
    }
    // The operator's LIT: capacity and balance now (it then regenerates linearly; LIT.sol).
    this.litCost = Number(litCost);
    this.litWindowUs = chain.params.evm.lit.windowS * 1e6;
    this.litCap = Number(await view<bigint>(system.lit, "capacityOf", [this.operatorAddress]));
    this.litAvail = Number(await view<bigint>(system.lit, "balanceOf", [this.operatorAddress]));
    this.litAtUs = this.world.kernel.now;
    // Sybils' LIT: the stake whose capacity (LIT.sol: stake·C/ΣS per window) covers their channel transactions.
    const sy = this.p.sybil;
    const lit = chain.params.evm.lit;
    const litPerWindow = sy.sybilsPerMasternode * sy.channelTxsPerSybilPerDay * (lit.windowS / 86_400) * lit.costPerTx;
    this.sybilLitStakePop = (litPerWindow * weiToPop(chain.ledger.totalStakeWei())) / lit.capacityPerWindow;
    this.genesisDone = true;
    if (this.started) this.postInitial();
  }

  // ------------------------------------------------------------------ the interval

  private onInterval(ctx: SimContext): void {
    const now = ctx.now;
    this.tick++;
    this.scanNodes();
    this.accrue(now, now - this.lastTickUs);
    this.lastTickUs = now;
    const every = this.p.rewards.postEvery;
    if (this.genesisDone) {
      if (!this.initialPosted) this.postInitial();
      if (this.tick % every.masternode === 0) this.post(ROLE.masternode, false);
      if (this.tick % every.delegate === 0) this.post(ROLE.delegate, false);
      if (this.tick % every.staker === 0) this.post(ROLE.staker, false);
      if (this.tick % every.ephemeral === 0) this.post(ROLE.ephemeral, false);
      this.claims(now);
    }
    this.price.advanceTo(now);
    ctx.schedule(this.intervalUs, this.kinds.interval);
  }

  /** Credits, sybil costs, P&L and averages for the `dtUs` that just ended (valued at the price during it). */
  private accrue(now: number, dtUs: number): void {
    invariant(dtUs >= 0, "economy: accrual over negative time");
    const { nodes } = this.world;
    const usd = this.price.usd;
    const costs = this.p.costs;
    const sy = this.p.sybil;
    const acc = this.genesisDone ? this.mirror.project(this.tsOf(now)) : undefined;
    const years = dtUs / YEAR_US;
    const fakePerHour = sy.sybilsPerMasternode * sy.fakeGbPerSybilPerHour * 1e9;
    const sybilCapitalPop = (sy.sybilsPerMasternode * sy.depositPopPerSybil + this.sybilLitStakePop) * costs.capitalCostPerYear * years;
    const storage = this.storage;
    for (const node of this.masternodes) {
      const status = nodes.status[node];
      if (status === NodeStatus.Dormant) continue;
      const up = nodes.isUp(node);
      // Storage credit.
      if (storage?.auditsPassedOf !== undefined) {
        const passed = storage.auditsPassedOf(node);
        this.credits[node] += passed - this.snapAudit[node];
        this.snapAudit[node] = passed;
      } else if (storage !== undefined) {
        const fails = storage.auditFailuresOf(node);
        if (up && fails === this.snapAudit[node]) this.credits[node] += 1;
        this.snapAudit[node] = fails;
      } else if (up) {
        this.credits[node] += 1;
      }
      if (status === NodeStatus.Departed && this.existed[node] === 0) continue;
      this.existed[node] = 1;
      // Sybil fake bytes and their cost.
      let sybilPop = 0;
      if (this.attacker[node] === 1 && up) {
        const fake = (fakePerHour * dtUs) / HOUR;
        this.fakeBytes[node] += fake;
        const content = (fake / 1e9) * sy.contentPopPerGb;
        this.sybilContentPop += content;
        this.sybilCapitalPop += sybilCapitalPop;
        sybilPop = content + sybilCapitalPop;
        this.sybilCostPop[node] += sybilPop;
      }
      // P&L: revenue = serving payments + reward earned; costs while the masternode exists.
      let revenueWei = this.servingWei[node] - this.snapServingWei[node];
      this.snapServingWei[node] = this.servingWei[node];
      if (acc !== undefined) {
        const earned = this.claimedWei[node] + this.mirror.pendingAt(acc, this.keyOf(node));
        if (earned > this.snapEarnedWei[node]) revenueWei += earned - this.snapEarnedWei[node];
        this.snapEarnedWei[node] = earned;
      }
      this.revenueUsd[node] += (Number(revenueWei) / 1e18) * usd;
      if (status === NodeStatus.Departed) continue;
      const served = this.mnBytes[node] + this.peerBytes[node];
      const storedGb = storage?.storedBytesOf !== undefined ? storage.storedBytesOf(node) / 1e9 : costs.storedGbPerMasternode;
      this.costUsd[node] +=
        ((served - this.snapCostBytes[node]) / 1e9) * costs.bandwidthUsdPerGb +
        (storedGb * costs.storageUsdPerGbMonth * dtUs) / MONTH_US +
        (costs.fixedUsdPerDay * dtUs) / DAY +
        this.bondPop * costs.capitalCostPerYear * years * usd +
        sybilPop * usd;
      this.snapCostBytes[node] = served;
    }
    this.viewerOnlineUs += nodes.countUp(ROLE_IDS.viewer) * dtUs;
    if (this.onChain && this.genesisDone) this.circulatingPopUs += weiToPop(this.circulatingWei()) * dtUs;
  }

  // ------------------------------------------------------------------ shares

  /** The first postings: stakers by stake, bonded up masternodes one storage credit, active delegates 1. */
  private postInitial(): void {
    if (this.initialPosted || !this.started) return;
    this.initialPosted = true;
    this.post(ROLE.staker, true);
    this.post(ROLE.masternode, true);
    this.post(ROLE.delegate, true);
  }

  private post(role: number, initial: boolean): void {
    const nodesOut: number[] = [];
    const sharesOut: bigint[] = [];
    const honestOut: bigint[] = [];
    const posted = this.posted[role];
    const consider = (node: number, share: bigint, honest: bigint): void => {
      if (!this.changed(posted[node], share)) return;
      nodesOut.push(node);
      sharesOut.push(share);
      honestOut.push(honest);
    };
    const { nodes } = this.world;
    const rp = this.p.rewards;
    switch (role) {
      case ROLE.masternode: {
        const creditBytes = rp.masternode.storageCreditBytes;
        for (const node of this.masternodes) {
          const status = nodes.status[node];
          const eligible = status !== NodeStatus.Dormant && status !== NodeStatus.Departed && (!rp.masternode.requireBond || !this.onChain || this.bonded[node] === 1);
          let honest = 0;
          let fake = 0;
          if (initial) {
            honest = eligible && nodes.isUp(node) ? creditBytes : 0;
          } else {
            honest = this.mnBytes[node] - this.snapMn[node] + (this.credits[node] - this.snapCredits[node]) * creditBytes;
            fake = this.fakeBytes[node] - this.snapFake[node];
            this.snapMn[node] = this.mnBytes[node];
            this.snapCredits[node] = this.credits[node];
            this.snapFake[node] = this.fakeBytes[node];
          }
          const h = eligible ? BigInt(Math.round(honest)) : 0n;
          consider(node, eligible ? BigInt(Math.round(honest + fake)) : 0n, h);
        }
        break;
      }
      case ROLE.delegate: {
        const chain = this.chain;
        if (chain === undefined) break;
        const active = initial ? new Set(chain.activeDelegates()) : undefined;
        for (const node of chain.candidateNodes) {
          let share = 0n;
          if (active !== undefined) share = active.has(node) ? 1n : 0n;
          else {
            share = BigInt(this.blocks[node] - this.snapBlocks[node]);
            this.snapBlocks[node] = this.blocks[node];
          }
          consider(node, share, share);
        }
        break;
      }
      case ROLE.staker: {
        const ledger = this.chain?.ledger;
        if (ledger === undefined) break;
        for (let a = 0; a < ledger.accountCount; a++) {
          const node = ledger.accountNode[a];
          if (node >= this.cap) this.grow(node);
          const stake = ledger.stakeWei[a];
          const share = stake > 0n && stake >= this.stakerMinWei ? stake : 0n;
          consider(node, share, share);
        }
        break;
      }
      case ROLE.ephemeral: {
        const minBytes = rp.ephemeral.minBytes;
        for (const node of this.peers) {
          const period = this.peerBytes[node] - this.snapPeer[node];
          this.snapPeer[node] = this.peerBytes[node];
          const share = period > 0 && period >= minBytes ? BigInt(Math.round(period)) : 0n;
          consider(node, share, share);
        }
        break;
      }
    }
    this.world.kernel.traceMix(role * 1_000_003 + nodesOut.length);
    this.submitShares(role, nodesOut, sharesOut, honestOut);
  }

  /** Whether `next` differs enough from the share last posted to be worth a call. */
  private changed(prev: bigint, next: bigint): boolean {
    if (prev === next) return false;
    if (prev === 0n || next === 0n || this.changePpm === 0n) return true;
    const d = next > prev ? next - prev : prev - next;
    return d * PPM > prev * this.changePpm;
  }

  /** Split a posting into batches of ≤ batchMax and queue them (off chain: apply them now). */
  private submitShares(role: number, nodeList: number[], shares: bigint[], honest: bigint[]): void {
    const batchMax = this.p.rewards.batchMax;
    for (let i = 0; i < nodeList.length; i += batchMax) {
      const b: ShareBatch = { role, nodes: nodeList.slice(i, i + batchMax), shares: shares.slice(i, i + batchMax), honest: honest.slice(i, i + batchMax) };
      for (let j = 0; j < b.nodes.length; j++) {
        this.posted[role][b.nodes[j]] = b.shares[j];
        if (b.shares[j] !== 0n && this.member[b.nodes[j]] === 0) {
          this.member[b.nodes[j]] = 1;
          this.members.push(b.nodes[j]);
        }
      }
      this.c.shareEntries.add(b.nodes.length);
      this.entriesByRole[role].add(b.nodes.length);
      if (!this.onChain) {
        this.c.shareTxs.add(1);
        this.applyShares(b, this.tsOf(this.world.kernel.now));
      } else {
        this.outbox.push(b);
      }
    }
    if (this.onChain) this.flush(this.world.kernel);
  }

  /**
   * Send queued batches while the operator's LIT (estimated locally) pays for them; schedule the next try when it has
   * regenerated enough. Submitting into a refusal would burn a call for nothing and delay the shares by a period.
   */
  private flush(ctx: SimContext): void {
    while (this.outbox.length > 0) {
      if (this.litCost > 0 && this.litCap > 0 && this.litAvailable(ctx.now) < this.litCost) {
        if (this.flushPendingUs < 0) {
          const waitUs = Math.ceil(((this.litCost - this.litAvail) * this.litWindowUs) / this.litCap) + 1;
          this.flushPendingUs = ctx.now + waitUs;
          ctx.schedule(waitUs, this.kinds.flush);
        }
        return;
      }
      const b = this.outbox.shift()!;
      // Entries a later posting has superseded are dropped (their newer share is queued or sent after this one).
      const keep: number[] = [];
      for (let j = 0; j < b.nodes.length; j++) if (this.posted[b.role][b.nodes[j]] === b.shares[j]) keep.push(j);
      if (keep.length === 0) continue;
      const batch: ShareBatch = keep.length === b.nodes.length ? b : { role: b.role, nodes: keep.map((j) => b.nodes[j]), shares: keep.map((j) => b.shares[j]), honest: keep.map((j) => b.honest[j]) };
      this.litAvail -= this.litCost;
      this.c.shareTxs.add(1);
      const r = this.chain!.submitTx(
        {
          kind: "evm",
          data: {
            from: this.operatorAddress!,
            contract: "rewardPool",
            fn: "setSharesBatch",
            args: [BigInt(batch.role), batch.nodes.map((n) => this.addressOf(n)), batch.shares],
            onResult: (o: EvmCallOutcome) => {
              if (o.ok) this.applyShares(batch, this.tsOfUs(o.timestampUs));
              else this.sharesFailed(batch, o.refusedLit);
            },
          },
        },
        100 + 64 * batch.nodes.length,
      );
      if (!r.ok) this.sharesFailed(batch, false);
    }
  }

  /** The operator's LIT now, by LIT.sol's rule (linear regeneration up to the capacity), less what it has sent. */
  private litAvailable(now: number): number {
    this.litAvail = Math.min(this.litCap, this.litAvail + (this.litCap * (now - this.litAtUs)) / this.litWindowUs);
    this.litAtUs = now;
    return this.litAvail;
  }

  private applyShares(b: ShareBatch, tS: bigint): void {
    for (let j = 0; j < b.nodes.length; j++) {
      const key = this.keyOf(b.nodes[j]);
      this.mirror.setShares(tS, b.role, key, b.shares[j]);
      this.shadow?.setShares(tS, b.role, key, b.honest[j]);
      this.confirmed[b.role][b.nodes[j]] = b.shares[j];
    }
  }

  /**
   * A batch that did not execute. Refused for LIT while the operator has LIT capacity (the estimate was optimistic:
   * someone else spent the operator's LIT): queue it again at the front and wait for LIT. Otherwise (no capacity at
   * all, pool full, reverted): its accounts' posted shares are the contract's again, so the role's next posting
   * retries them.
   */
  private sharesFailed(b: ShareBatch, refusedLit: boolean): void {
    (refusedLit ? this.c.refusedLit : this.c.failed).add(1);
    if (refusedLit && this.litCap > 0) {
      this.litAvail = 0;
      this.litAtUs = this.world.kernel.now;
      this.outbox.unshift(b);
      this.flush(this.world.kernel);
      return;
    }
    for (let j = 0; j < b.nodes.length; j++) if (this.posted[b.role][b.nodes[j]] === b.shares[j]) this.posted[b.role][b.nodes[j]] = this.confirmed[b.role][b.nodes[j]];
  }

  // ------------------------------------------------------------------ claims

  private claims(now: number): void {
    const { nodes } = this.world;
    const gapUs = this.p.rewards.claim.minGapS * 1e6;
    const tS = this.tsOf(now);
    const acc = this.mirror.project(tS);
    for (const node of this.members) {
      if (this.claimInFlight[node] === 1 || now - this.lastClaimUs[node] < gapUs || !nodes.isUp(node)) continue;
      const pending = this.mirror.pendingAt(acc, this.keyOf(node));
      if (pending === 0n || pending < this.thresholdWei) continue;
      this.lastClaimUs[node] = now;
      this.c.claimTxs.add(1);
      if (!this.onChain) {
        const paid = this.applyClaim(node, tS);
        this.receivedWei[node] += paid;
        continue;
      }
      this.claimInFlight[node] = 1;
      const r = this.chain!.submitTx({
        kind: "evm",
        data: { from: this.addressOf(node), contract: "rewardPool", fn: "claim", args: [], onResult: (o: EvmCallOutcome) => this.onClaimResult(o, node) },
      });
      if (!r.ok) {
        this.claimInFlight[node] = 0;
        this.c.failed.add(1);
      }
    }
  }

  private onClaimResult(o: EvmCallOutcome, node: number): void {
    this.claimInFlight[node] = 0;
    if (!o.ok) {
      (o.refusedLit ? this.c.refusedLit : this.c.failed).add(1);
      return;
    }
    const amount = o.result!.values[0] as bigint;
    const paid = this.applyClaim(node, this.tsOfUs(o.timestampUs));
    if (paid !== amount) this.problemText ??= `RewardPool paid node ${node} ${amount} wei on a claim; the mirror says ${paid}`;
  }

  private readonly byRole: bigint[] = [0n, 0n, 0n, 0n];

  private applyClaim(node: number, tS: bigint): bigint {
    const paid = this.mirror.claim(tS, this.keyOf(node), this.byRole);
    this.shadow?.update(tS);
    this.claimedWei[node] += paid;
    for (let r = 0; r < ROLES; r++) {
      this.claimedByRoleWei[r] += this.byRole[r];
      this.claimedRoleWei[r][node] += this.byRole[r];
    }
    if (paid > 0n) this.c.claimsPaid.add(1);
    return paid;
  }

  // ------------------------------------------------------------------ books from logs

  private onBlockExecuted(logs: readonly DecodedLog[]): void {
    const s = this.evm!.system;
    for (const log of logs) {
      if (log.address === s.token.address) {
        if (log.name !== "Transfer") continue;
        const v = log.args.value as bigint;
        this.transferVolumeWei += v;
        const from = log.args.from as string;
        const to = log.args.to as string;
        const bf = this.tracked.get(from);
        if (bf !== undefined) this.tracked.set(from, bf - v);
        const bt = this.tracked.get(to);
        if (bt !== undefined) this.tracked.set(to, bt + v);
      } else if (log.address === s.rewardPool.address) {
        if (log.name !== "Claimed") continue;
        const amount = log.args.amount as bigint;
        this.claimedLogWei += amount;
        const node = this.nodeOfAddress.get(log.args.account as string);
        if (node !== undefined) this.receivedWei[node] += amount;
        else this.problemText ??= `Claimed by ${String(log.args.account)}, which is no node's address`;
      } else if (log.address === s.staking.address) {
        if (log.name === "MasternodeRegistered" || log.name === "MasternodeUnbonding") {
          const node = this.nodeOfAddress.get(log.args.node as string);
          if (node !== undefined) this.bonded[node] = log.name === "MasternodeRegistered" ? 1 : 0;
        }
      }
    }
  }

  // ------------------------------------------------------------------ invariants

  /** The economy's own books: the mirror's (emitted ≤ pool, claimed ≤ emitted) and, on chain, logs = mirror. */
  problem(): string | undefined {
    if (this.problemText !== undefined) return this.problemText;
    const m = this.mirror.problem();
    if (m !== undefined) return `reward pool mirror: ${m}`;
    if (this.onChain && this.genesisDone) {
      if (this.claimedLogWei !== this.mirror.totalClaimed) return `Claimed logs total ${this.claimedLogWei} wei, the mirror ${this.mirror.totalClaimed}`;
      const balance = this.tracked.get(this.evm!.system.rewardPool.address)!;
      const expected = this.mirror.params.pool - this.mirror.totalClaimed;
      if (balance !== expected) return `RewardPool holds ${balance} wei, pool − claimed is ${expected}`;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ finish

  async finish(metrics: Metrics): Promise<void> {
    const now = this.world.kernel.now;
    this.scanNodes();
    if (this.started) {
      this.accrue(now, now - this.lastTickUs);
      this.lastTickUs = now;
    }
    if (this.onChain && this.genesisDone) await this.auditContract();
    invariant(this.problem() === undefined, () => `economy books at the end of the run: ${this.problem()}`);

    const d = this.distributions();
    const profits = d.operatorProfitUsd;
    metrics.summary("economy.operators", profits.length);
    if (profits.length > 0) {
      metrics.summary("economy.operator_profit_usd.p10", quantile(profits, 0.1));
      metrics.summary("economy.operator_profit_usd.p50", quantile(profits, 0.5));
      metrics.summary("economy.operator_profit_usd.p90", quantile(profits, 0.9));
      let sum = 0;
      for (const x of profits) sum += x;
      metrics.summary("economy.operator_profit_usd.mean", sum / profits.length);
      let rewards = 0;
      for (const x of d.operatorRewardPop) rewards += x;
      metrics.summary("economy.operator_reward_pop.mean", rewards / profits.length);
    }
    const creators = d.creatorRevenuePop;
    let creatorTotal = 0;
    for (const x of creators) creatorTotal += x;
    metrics.summary("economy.creator_revenue_pop", creatorTotal);
    metrics.summary("economy.creator_revenue_gini", gini(creators));
    metrics.summary("economy.creator_revenue_hhi", hhi(creators));
    metrics.summary("economy.creator_long_tail_share", longTailShare(creators, 0.2));
    const lorenz = lorenzPoints(creators, 10);
    for (let i = 1; i < 10; i++) metrics.summary(`economy.creator_lorenz_p${i * 10}`, lorenz.share[i]);

    // Viewers: what an hour of watching costs (per online hour when the glue does not report watch time).
    let viewerPaid = 0n;
    const { nodes } = this.world;
    for (let id = 0; id < Math.min(nodes.count, this.cap); id++) if (nodes.role[id] === ROLE_IDS.viewer) viewerPaid += this.paidWei[id];
    const watched = this.viewerWatchedUs > 0;
    const hours = (watched ? this.viewerWatchedUs : this.viewerOnlineUs) / HOUR;
    metrics.summary("economy.viewer_paid_pop", weiToPop(viewerPaid));
    metrics.summary("economy.viewer_hours", hours);
    metrics.summary("economy.viewer_hours_watched", watched ? 1 : 0);
    metrics.summary("economy.viewer_cost_per_hour_pop", hours > 0 ? weiToPop(viewerPaid) / hours : 0);

    let received = 0n;
    for (const x of this.receivedWei) received += x;
    metrics.summary("economy.rewards_received_pop", weiToPop(received));
    metrics.summary("economy.evm_direct_calls", this.directCalls);
    metrics.summary("economy.share_batches_unsent", this.outbox.length);
    if (this.onChain) {
      const elapsedUs = now;
      const avgCirculating = elapsedUs > 0 ? this.circulatingPopUs / elapsedUs : 0;
      metrics.summary("economy.velocity_per_day", avgCirculating > 0 && elapsedUs > 0 ? weiToPop(this.transferVolumeWei) / (elapsedUs / DAY) / avgCirculating : 0);
    }
    if (this.shadow !== undefined) {
      const s = this.sybil();
      metrics.summary("economy.sybil_masternodes", s.attackers);
      metrics.summary("economy.sybil_fake_gb", s.fakeGb);
      metrics.summary("economy.sybil_gain_pop", s.gainPop);
      metrics.summary("economy.sybil_cost_pop", s.costPop);
      metrics.summary("economy.sybil_net_pop", s.gainPop - s.costPop);
      metrics.summary("economy.sybil_lit_stake_pop", this.sybilLitStakePop);
    }
  }

  /** The contract's totals against the mirror's (a few views; the mirror must agree to the wei). */
  private async auditContract(): Promise<void> {
    const { host, system } = this.evm!;
    const pool = system.rewardPool;
    const v = async (fn: string, args: readonly bigint[] = []) => {
      this.directCalls++;
      return host.view(pool, fn, args);
    };
    const emitted = (await v("totalEmitted"))[0] as bigint;
    const claimed = (await v("totalClaimed"))[0] as bigint;
    const unallocated = (await v("unallocated"))[0] as bigint;
    const problems: string[] = [];
    if (emitted !== this.mirror.totalEmitted) problems.push(`totalEmitted ${emitted} ≠ mirror ${this.mirror.totalEmitted}`);
    if (claimed !== this.mirror.totalClaimed) problems.push(`totalClaimed ${claimed} ≠ mirror ${this.mirror.totalClaimed}`);
    if (unallocated !== this.mirror.unallocated) problems.push(`unallocated ${unallocated} ≠ mirror ${this.mirror.unallocated}`);
    for (let r = 0; r < ROLES; r++) {
      const [totalShares, , roleEmitted] = (await v("roles", [BigInt(r)])) as bigint[];
      if (totalShares !== this.mirror.roleTotalShares(r)) problems.push(`role ${r} totalShares ${totalShares} ≠ mirror ${this.mirror.roleTotalShares(r)}`);
      if (roleEmitted !== this.mirror.roleEmitted(r)) problems.push(`role ${r} emitted ${roleEmitted} ≠ mirror ${this.mirror.roleEmitted(r)}`);
    }
    if (problems.length > 0) this.problemText ??= `RewardPool vs mirror at the end: ${problems.join("; ")}`;
  }

  // ------------------------------------------------------------------ accessors

  /** Timestamp (s, the EVM's) of simulated time `us`. */
  tsOfUs(us: number): bigint {
    return this.t0S + BigInt(Math.floor(us / 1e6));
  }

  private tsOf(now: number): bigint {
    return this.tsOfUs(now);
  }

  /** Emission by the schedule up to now (the contract books it lazily, at its next update). */
  emittedByScheduleWei(): bigint {
    if (!this.mirror.started) return 0n;
    return this.emission.cumulative(this.tsOf(this.world.kernel.now) - this.mirror.startTimeS);
  }

  /** A node's address (the chain genesis's; derived for nodes that joined later). */
  addressOf(node: number): AddressHex {
    let a = this.addressOfNode[node];
    if (a === undefined) {
      a = deriveKeyPair(this.world.kernel.seed, `node/${node}`).address;
      this.addressOfNode[node] = a;
      this.nodeOfAddress.set(a, node);
    }
    return a;
  }

  /** Reward a node earned in one role: claimed in that role + pending in it now (or at EVM time `atS`), wei. */
  earnedInRoleWei(node: number, role: number, atS?: bigint): bigint {
    if (node >= this.cap) this.grow(node);
    if (!this.mirror.started) return 0n;
    const acc = this.mirror.project(atS ?? this.tsOf(this.world.kernel.now));
    return this.claimedRoleWei[role][node] + this.mirror.pendingByRoleAt(acc, role, this.keyOf(node));
  }

  /** Whether a node is a sybil attacker. */
  isAttacker(node: number): boolean {
    return node < this.cap && this.attacker[node] === 1;
  }

  /** One node's books now. */
  book(node: number): NodeBook {
    if (node >= this.cap) this.grow(node);
    const acc = this.mirror.started ? this.mirror.project(this.tsOf(this.world.kernel.now)) : undefined;
    const pending = acc !== undefined ? this.mirror.pendingAt(acc, this.keyOf(node)) : 0n;
    return {
      servedBytes: this.mnBytes[node],
      servedPeerBytes: this.peerBytes[node],
      fakeBytes: this.fakeBytes[node],
      servingRevenueWei: this.servingWei[node],
      contentRevenueWei: this.contentWei[node],
      paidWei: this.paidWei[node],
      rewardClaimedWei: this.claimedWei[node],
      rewardReceivedWei: this.receivedWei[node],
      rewardEarnedWei: this.claimedWei[node] + pending,
      revenueUsd: this.revenueUsd[node],
      costUsd: this.costUsd[node],
      attacker: this.attacker[node] === 1,
    };
  }

  /** Per-creator revenue and per-masternode P&L arrays (node order), for the store and the report. */
  distributions(): EconomyDistributions {
    const { nodes } = this.world;
    const creatorRevenuePop: number[] = [];
    for (let id = 0; id < nodes.count; id++) if (nodes.role[id] === ROLE_IDS.creator) creatorRevenuePop.push(id < this.cap ? weiToPop(this.contentWei[id]) : 0);
    const operatorProfitUsd: number[] = [];
    const operatorRevenueUsd: number[] = [];
    const operatorCostUsd: number[] = [];
    const operatorRewardPop: number[] = [];
    const acc = this.mirror.started ? this.mirror.project(this.tsOf(this.world.kernel.now)) : undefined;
    for (const node of this.masternodes) {
      if (this.existed[node] === 0) continue;
      operatorProfitUsd.push(this.revenueUsd[node] - this.costUsd[node]);
      operatorRevenueUsd.push(this.revenueUsd[node]);
      operatorCostUsd.push(this.costUsd[node]);
      const pending = acc !== undefined ? this.mirror.pendingAt(acc, this.keyOf(node)) : 0n;
      operatorRewardPop.push(weiToPop(this.claimedWei[node] + pending));
    }
    return { creatorRevenuePop, operatorProfitUsd, operatorRevenueUsd, operatorCostUsd, operatorRewardPop };
  }

  /** The sybil attack's outcome so far: gain = attackers' earned − what the shadow pool (no fake bytes) gave them. */
  sybil(): { attackers: number; fakeGb: number; gainPop: number; costPop: number; contentPop: number; capitalPop: number } {
    let attackers = 0;
    let fake = 0;
    let gainWei = 0n;
    const shadow = this.shadow;
    if (shadow !== undefined && this.mirror.started) {
      const tS = this.tsOf(this.world.kernel.now);
      const acc = this.mirror.project(tS);
      const accShadow = shadow.project(tS);
      for (const node of this.masternodes) {
        if (this.attacker[node] === 0) continue;
        attackers++;
        fake += this.fakeBytes[node];
        const key = this.keyOf(node);
        gainWei += this.claimedWei[node] + this.mirror.pendingAt(acc, key) - shadow.pendingAt(accShadow, key);
      }
    }
    const gainPop = gainWei >= 0n ? weiToPop(gainWei) : -weiToPop(-gainWei);
    return { attackers, fakeGb: fake / 1e9, gainPop, costPop: this.sybilContentPop + this.sybilCapitalPop, contentPop: this.sybilContentPop, capitalPop: this.sybilCapitalPop };
  }

  /** Circulating POP (wei): supply − reward pool − burned − treasury (from the Transfer-log books). */
  circulatingWei(): bigint {
    const s = this.evm!.system;
    const t = this.tracked;
    return TOTAL_SUPPLY_WEI - (t.get(s.rewardPool.address) ?? 0n) - (t.get(BURN_ADDRESS) ?? 0n) - (t.get(s.keys.genesis.address) ?? 0n);
  }

  /** Staked (stake, bonds, unbonding: the Staking contract's balance) / circulating. */
  stakingRatio(): number {
    const circulating = this.circulatingWei();
    if (circulating <= 0n) return 0;
    return weiToPop(this.tracked.get(this.evm!.system.staking.address) ?? 0n) / weiToPop(circulating);
  }

  private profitableShare(): number {
    let n = 0;
    let profitable = 0;
    for (const node of this.masternodes) {
      if (this.existed[node] === 0) continue;
      n++;
      if (this.revenueUsd[node] > this.costUsd[node]) profitable++;
    }
    return n > 0 ? profitable / n : 0;
  }

  private sumOverMasternodes(a: Float64Array): number {
    let s = 0;
    for (const node of this.masternodes) s += a[node];
    return s;
  }

  // ------------------------------------------------------------------ node arrays

  private keyOf(node: number): string {
    let k = this.keys[node];
    if (k === undefined) {
      k = String(node);
      this.keys[node] = k;
    }
    return k;
  }

  /** Append masternodes that joined the table since the last scan. */
  private scanNodes(): void {
    const { nodes } = this.world;
    if (nodes.count > this.cap) this.grow(nodes.count - 1);
    for (let id = this.scanned; id < nodes.count; id++) if (nodes.role[id] === ROLE_IDS.masternode) this.masternodes.push(id);
    this.scanned = nodes.count;
  }

  private grow(node: number): void {
    let cap = Math.max(16, this.cap);
    while (cap <= node) cap *= 2;
    if (cap === this.cap) return;
    this.mnBytes = growF64(this.mnBytes, cap);
    this.peerBytes = growF64(this.peerBytes, cap);
    this.fakeBytes = growF64(this.fakeBytes, cap);
    this.credits = growF64(this.credits, cap);
    this.blocks = growF64(this.blocks, cap);
    this.snapMn = growF64(this.snapMn, cap);
    this.snapFake = growF64(this.snapFake, cap);
    this.snapCredits = growF64(this.snapCredits, cap);
    this.snapPeer = growF64(this.snapPeer, cap);
    this.snapBlocks = growF64(this.snapBlocks, cap);
    this.snapCostBytes = growF64(this.snapCostBytes, cap);
    this.snapAudit = growF64(this.snapAudit, cap);
    this.revenueUsd = growF64(this.revenueUsd, cap);
    this.costUsd = growF64(this.costUsd, cap);
    this.sybilCostPop = growF64(this.sybilCostPop, cap);
    this.lastClaimUs = growF64(this.lastClaimUs, cap, NEVER);
    this.attacker = growU8(this.attacker, cap);
    this.bonded = growU8(this.bonded, cap);
    this.member = growU8(this.member, cap);
    this.peerSeen = growU8(this.peerSeen, cap);
    this.claimInFlight = growU8(this.claimInFlight, cap);
    this.existed = growU8(this.existed, cap);
    for (const a of [this.servingWei, this.contentWei, this.paidWei, this.claimedWei, this.receivedWei, this.snapServingWei, this.snapEarnedWei]) growBig(a, cap);
    for (let r = 0; r < ROLES; r++) {
      growBig(this.posted[r], cap);
      growBig(this.confirmed[r], cap);
      growBig(this.claimedRoleWei[r], cap);
    }
    this.cap = cap;
  }
}
