/**
 * SDPoS consensus: the state machine every delegate runs, the same whether the network is healthy, partitioned
 * or attacked (DESIGN.md §4 "Consensus").
 *
 * Purpose: elect delegates from committed votes, schedule them in rounds, produce and propagate blocks through
 * the network model, choose forks, finalize blocks EOS-style, detect double-signing and slash — and measure all
 * of it (`chain.*` metrics).
 *
 * Method, per part:
 * - Replicas: each world `delegate` node (candidate c) runs one replica with its own head, LIB and branch (block
 *   ids by height from just below its LIB up to its head). Blocks are shared immutable records (types.ts); what a
 *   replica knows of a block is `block.knownBy[c]` (unseen / seen-but-unconnected / adopted / rejected).
 * - Slots and rounds: one kernel event per slot (schedule.ts). When a round ends, the next is elected from the
 *   committed ledger (election.ts) and shuffled from the committed LIB hash. The schedule is thus a function of
 *   irreversible state, which honest nodes agree on (the checker asserts it), so it is computed once, here,
 *   rather than 21 times; a replica that lags is assumed to learn it with the round's first block.
 * - Production: the slot's producer, if it runs and is up, builds on its head with pending transactions, hands
 *   the block to the `BlockExecutor` (the EVM seam, the only call that may return a promise), then sends it to
 *   every other delegate; honest delegates gossip blocks they adopt to `relayFanout` random peers. A block's size
 *   is header + transactions.
 * - Validation and adoption: a header is valid if its producer owns its slot in the schedule and its timestamp
 *   is the slot's time and not in the future. A block whose parent is unknown waits in a bounded orphan buffer
 *   and triggers a sync request to its sender (chunked, from the replica's LIB height up). A block is adopted only if
 *   its branch contains the replica's LIB; otherwise it, and everything built on it, is rejected.
 * - Fork choice: the highest block number wins; ties keep the block seen first. Switching branches is a reorg,
 *   whose depth is measured.
 * - Finality: a block carries its branch's LIB (finality.ts). A replica's LIB is the max of its own and its
 *   head's; it never decreases and never leaves the branch. Each height finalized by an honest replica is
 *   compared with the first honest finalization of that height: a different block is a conflicting irreversible
 *   block (a safety failure). The first chain finalized by any honest replica feeds the ledger, in height order —
 *   directly, or, with the EVM on (evmExecutor.ts), through the contracts: the executor runs the committed
 *   transactions in the EVM and applies to the ledger exactly those the contracts accepted (`applyTx`).
 * - Double-signing: an honest replica that sees two valid headers of one producer for one slot submits evidence
 *   as a transaction; once committed the offender is slashed and is ineligible from the next election on.
 * - Adversary: `offline` delegates never run. `equivocators` form a coalition with a private channel: it keeps
 *   the head of each half of the honest delegates (sorted by region, then node id) — the highest block any member
 *   received from an honest sender of that half — and, in each slot one of its members owns, builds one version
 *   on each half's head and sends each version to that half only. Coalition members never relay. A vote-buying cartel (genesis.ts) bribes voters over time into approving its candidates.
 * - Transactions are submitted to one pool (transaction gossip is not simulated: a submission is visible to
 *   every delegate at once; block propagation is). A block includes pending transactions not yet included on
 *   its branch; a transaction leaves the pool when its block is committed.
 * All state is in arrays indexed by dense ids or Maps filled in event order; nothing reads a clock or a random
 * source outside the kernel.
 */
import type { Kernel, SimContext } from "../../sim/kernel/index.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { exponential, sampleIndices } from "../../sim/kernel/distributions.ts";
import { DAY, SECOND, seconds } from "../../sim/kernel/time.ts";
import type { Counter, Histogram, Metrics } from "../../sim/kernel/metrics.ts";
import { ROLE_IDS, type NodeTable } from "../../sim/net/nodes.ts";
import type { Network } from "../../sim/net/network.ts";
import type { Faults } from "../../sim/faults/faults.ts";
import { blockHashOf, genesisHashOf } from "./block.ts";
import { nakamotoCoefficient, sharesByEntity, gini } from "./decentralization.ts";
import { electDelegates, pickSuperDelegates } from "./election.ts";
import type { BlockExecutor } from "./executor.ts";
import { libFromLastProduced, quorumOf, safetyFaultsMax } from "./finality.ts";
import { Behaviour, drawApprovals, makeGenesis } from "./genesis.ts";
import type { Ledger } from "./ledger.ts";
import type { ChainParams } from "./params.ts";
import { shuffleProducers, slotTimeUs } from "./schedule.ts";
import { IdWindow } from "./window.ts";
import { Known, type Block, type Round, type SlashEvent, type Tx, type TxBody, weiToPop } from "./types.ts";

/** What the chain needs of the world (a subset of the runner's `World`). */
export interface ChainWorld {
  kernel: Kernel;
  nodes: NodeTable;
  net: Network;
  faults: Faults;
  metrics: Metrics;
  regionNames: readonly string[];
}

interface OrphanRef {
  id: number;
  from: number;
}

export interface Replica {
  cand: number;
  node: number;
  behaviour: Behaviour;
  headId: number;
  libId: number;
  libNumber: number;
  /** Block ids of this replica's branch by height, from `branchBase` (≤ LIB) to the head. */
  branch: number[];
  branchBase: number;
  /** Blocks seen whose parent is not yet known, by parent id. */
  orphans: Map<number, OrphanRef[]>;
  orphanCount: number;
  syncBusyUntilUs: number;
}

interface SyncRequest {
  want: number;
  fromHeight: number;
}

interface SyncResponse {
  want: number;
  ids: number[];
  truncated: boolean;
}

export type SubmitResult = { ok: true; id: number } | { ok: false; reason: string };

const SYNC_REQUEST_BYTES = 64;
/** A block may carry a timestamp at most this far ahead of the receiver's clock. */
const CLOCK_TOLERANCE_US = 500_000;
/** Trim a replica's branch array once it holds this many heights below the LIB. */
const BRANCH_TRIM_AT = 2048;
/** Prune in batches of this many heights (or keepFinalBlocks if smaller): one scan of the retained blocks each. */
const PRUNE_BATCH = 1024;
/** Entity ids for the Nakamoto coefficient: the cartel and the equivocating coalition each count as one. */
const CARTEL_ENTITY = -1;
const COALITION_ENTITY = -2;

export class Chain {
  readonly params: ChainParams;
  readonly blockTimeUs: number;
  readonly candidateNodes: readonly number[];
  readonly replicas: Replica[] = [];
  /** Blocks by id; pruned ones are undefined (see `prune`). */
  private readonly store = new IdWindow<Block>();
  /** Genesis, kept outside the store: never pruned (offline replicas never leave it). */
  private readonly genesis: Block;
  /** Transactions by id; committed ones are freed when their block is pruned. */
  private readonly txStore = new IdWindow<Tx>();
  private txCursor = 0;
  /** Rounds from index `roundBase` on (older ones are pruned with their blocks). */
  private readonly rounds: Round[] = [];
  private roundBase = 0;
  /** Every block below this height, except genesis, has been pruned. */
  prunedBelow = 0;
  private pruneCursor = 1;
  readonly ledger: Ledger;
  readonly behaviour: Uint8Array;
  readonly cartel: readonly number[];
  /** First block id finalized by an honest replica, by height. */
  private readonly finalAt = new IdWindow<number>();
  /** Heights at which two honest replicas hold different irreversible blocks. */
  readonly conflictHeights: number[] = [];
  private readonly world: ChainWorld;
  private readonly kernel: Kernel;
  private readonly executor: BlockExecutor;
  private readonly candidateOfNode = new Map<number, number>();
  private readonly halfOf: Int8Array;
  /** By candidate: moved to a checkpoint during its current outage (counted once per outage). */
  private readonly checkpointed: Uint8Array;
  private readonly coalitionHead: [number, number] = [0, 0];
  private readonly cartelControlled: Uint8Array;
  private readonly popularity: Float64Array;
  private readonly voterAccounts: number[];
  private readonly unbribed: number[];
  private bribedCount = 0;
  private pool: number[] = [];
  private poolCommitted = 0;
  private readonly blocksBySlot = new Map<number, number[]>();
  private readonly blockCountAtHeight = new IdWindow<number>();
  private readonly conflictSeen = new Set<number>();
  private readonly evidenceKeys = new Set<string>();
  private readonly commitListeners: ((block: Block, txs: readonly Tx[]) => void)[] = [];
  private readonly slashListeners: ((ev: SlashEvent) => void)[] = [];
  private readonly slashPpm: bigint;
  private readonly observerMajority: number;
  private externalLedger = false;
  private started = false;
  private libAdvancedAtUs = -1;
  private libStallMaxUs = 0;
  private reorgDepthMax = 0;
  private safetyBoundHeldSoFar = true;
  private slashedCandidates = 0;
  private stakeCache = { version: -1, bribed: -1, nakamoto: 0, gini: 0 };
  private readonly kinds: { slot: number; revote: number; bribe: number };
  private readonly msg: { block: number; syncReq: number; syncResp: number };
  private readonly c: Record<
    | "slots" | "produced" | "missed" | "forks" | "reorgs" | "rejected" | "equivocations" | "evidenceCommitted"
    | "slashed" | "txsSubmitted" | "txsCommitted" | "txsDropped" | "votesApplied" | "syncRequests" | "orphansDropped"
    | "bribes" | "rounds" | "checkpoints",
    Counter
  >;
  private readonly finalityLatency: Histogram;

  constructor(world: ChainWorld, params: ChainParams, executor: BlockExecutor) {
    this.world = world;
    this.kernel = world.kernel;
    this.params = params;
    this.executor = executor;
    this.blockTimeUs = seconds(params.blockTimeS);
    invariant(this.blockTimeUs >= 1, "chain: block time below 1 µs");
    const { nodes, kernel, net, metrics } = world;
    this.candidateNodes = nodes.idsOfRole(ROLE_IDS.delegate);
    const C = this.candidateNodes.length;
    if (C < params.activeDelegates) {
      throw new Error(`models.chain: population.delegates (${C}) must be at least models.chain.activeDelegates (${params.activeDelegates})`);
    }
    this.candidateNodes.forEach((node, c) => this.candidateOfNode.set(node, c));
    let adversaryRegion = -1;
    if (params.adversary.region !== "") {
      adversaryRegion = world.regionNames.indexOf(params.adversary.region);
      if (adversaryRegion < 0) throw new Error(`models.chain.adversary.region: "${params.adversary.region}" is not one of the scenario's regions (${world.regionNames.join(", ")})`);
    }
    const genesisHash = genesisHashOf(kernel.seed);
    const g = makeGenesis({ p: params, nodes, candidateNodes: this.candidateNodes, adversaryRegion, genesisHash, rng: (l) => kernel.rng(l) });
    this.ledger = g.ledger;
    this.behaviour = g.behaviour;
    this.cartel = g.cartel;
    this.cartelControlled = g.cartelControlled;
    this.popularity = g.popularity;
    this.voterAccounts = g.voterAccounts;
    this.unbribed = g.voterAccounts.slice();
    this.slashPpm = BigInt(Math.round(params.slashFraction * 1e6));

    // Genesis block: known to all, irreversible by definition.
    this.finalAt.push(0);
    this.blockCountAtHeight.push(1);
    this.genesis = {
      id: 0, hash: genesisHash, parentId: -1, number: 0, slot: 0, round: -1, producer: -1, producerNode: -1, timestampUs: 0, extra: 0,
      txIds: [], bytes: params.blocks.headerBytes, lastProduced: new Int32Array(C).fill(-1), branchLib: 0,
      knownBy: new Uint8Array(C).fill(Known.Adopted), finalCount: 0,
    };
    this.store.push(this.genesis);
    for (let c = 0; c < C; c++) {
      this.replicas.push({
        cand: c, node: this.candidateNodes[c], behaviour: this.behaviour[c] as Behaviour, headId: 0, libId: 0, libNumber: 0,
        branch: [0], branchBase: 0, orphans: new Map(), orphanCount: 0, syncBusyUntilUs: 0,
      });
    }
    // Halves of the honest delegates, by (region, node id): the equivocators' two audiences.
    this.halfOf = new Int8Array(C).fill(-1);
    this.checkpointed = new Uint8Array(C);
    const honest = this.replicas.filter((r) => r.behaviour !== Behaviour.Equivocator).map((r) => r.cand);
    honest.sort((a, b) => nodes.region[this.candidateNodes[a]] - nodes.region[this.candidateNodes[b]] || this.candidateNodes[a] - this.candidateNodes[b]);
    honest.forEach((c, i) => (this.halfOf[c] = i < Math.ceil(honest.length / 2) ? 0 : 1));
    const observers = this.replicas.filter((r) => r.behaviour === Behaviour.Honest).length;
    this.observerMajority = Math.floor(observers / 2) + 1;

    this.kinds = {
      slot: kernel.register("chain.slot", (ctx, _t, _d, slot) => this.onSlot(ctx, slot)),
      revote: kernel.register("chain.revote", (ctx) => this.onRevote(ctx)),
      bribe: kernel.register("chain.bribe", (ctx) => this.onBribe(ctx)),
    };
    this.msg = {
      block: net.on<number>("chain.block", (_ctx, to, from, id) => this.onBlockMessage(to, from, id)),
      syncReq: net.on<SyncRequest>("chain.sync_request", (_ctx, to, from, req) => this.onSyncRequest(to, from, req)),
      syncResp: net.on<SyncResponse>("chain.sync_response", (_ctx, to, from, resp) => this.onSyncResponse(to, from, resp)),
    };
    this.c = {
      slots: metrics.counter("chain.slots"),
      produced: metrics.counter("chain.blocks_produced"),
      missed: metrics.counter("chain.missed_slots"),
      forks: metrics.counter("chain.forks_observed"),
      reorgs: metrics.counter("chain.reorgs"),
      rejected: metrics.counter("chain.blocks_rejected"),
      equivocations: metrics.counter("chain.equivocations_detected"),
      evidenceCommitted: metrics.counter("chain.evidence_committed"),
      slashed: metrics.counter("chain.slashed"),
      txsSubmitted: metrics.counter("chain.txs_submitted"),
      txsCommitted: metrics.counter("chain.txs_committed"),
      txsDropped: metrics.counter("chain.txs_dropped"),
      votesApplied: metrics.counter("chain.votes_applied"),
      syncRequests: metrics.counter("chain.sync_requests"),
      orphansDropped: metrics.counter("chain.orphans_dropped"),
      bribes: metrics.counter("chain.bribes"),
      rounds: metrics.counter("chain.rounds"),
      checkpoints: metrics.counter("chain.checkpoint_syncs"),
    };
    metrics.gauge("chain.missed_slot_rate", () => (this.c.slots.value > 0 ? this.c.missed.value / this.c.slots.value : 0));
    metrics.gauge("chain.lib_height", () => this.libHeight());
    metrics.gauge("chain.head_height", () => this.headHeight());
    metrics.gauge("chain.reorg_depth_max", () => this.reorgDepthMax);
    metrics.gauge("chain.conflicting_irreversible", () => this.conflictHeights.length);
    metrics.gauge("chain.lib_stall_max_s", () => this.libStallMaxS());
    metrics.gauge("chain.active_delegates", () => this.round().active.length);
    metrics.gauge("chain.quorum", () => this.round().quorum);
    metrics.gauge("chain.cartel_seats", () => this.cartelSeats());
    metrics.gauge("chain.nakamoto_seats", () => this.nakamotoSeats());
    metrics.gauge("chain.nakamoto_stake", () => this.stakeStats().nakamoto);
    metrics.gauge("chain.stake_gini", () => this.stakeStats().gini);
    metrics.gauge("chain.pool_txs", () => this.pool.length - this.poolCommitted);
    metrics.gauge("chain.slashed_pop", () => weiToPop(this.ledger.slashedWeiTotal));
    this.finalityLatency = metrics.histogram("chain.finality_latency_s");

    world.faults.onChange((_ctx, node, up) => {
      const c = this.candidateOfNode.get(node);
      if (up && c !== undefined) this.onReplicaUp(this.replicas[c]);
    });
    this.startRound(1);
  }

  /** Schedule the first slot and the voters' processes. Call once, before the run. */
  start(): void {
    invariant(!this.started, "chain started twice");
    this.started = true;
    const k = this.kernel;
    k.schedule(slotTimeUs(1, this.blockTimeUs), this.kinds.slot, 0, undefined, 1);
    if (this.params.voting.revotesPerDay > 0 && this.voterAccounts.length > 0) {
      k.schedule(exponential(k.rng("chain/revotes"), DAY / this.params.voting.revotesPerDay), this.kinds.revote);
    }
    if (this.bribeRatePerDay() > 0) k.schedule(exponential(k.rng("chain/bribes"), DAY / this.bribeRatePerDay()), this.kinds.bribe);
  }

  // ------------------------------------------------------------------ public queries and hooks

  /** The current round (the last one started). */
  round(): Round {
    return this.rounds[this.rounds.length - 1];
  }

  /** Round by index, if not pruned. */
  roundAt(index: number): Round | undefined {
    return this.rounds[index - this.roundBase];
  }

  /** A block that must exist (not pruned): a broken invariant otherwise. */
  block(id: number): Block {
    const b = this.blockIfKept(id);
    invariant(b !== undefined, () => `block ${id} was pruned (below height ${this.prunedBelow}) but is still referenced`);
    return b;
  }

  /** The block with this id, or undefined if it was pruned. */
  blockIfKept(id: number): Block | undefined {
    return id === 0 ? this.genesis : this.store.get(id);
  }

  /** Number of blocks ever created (ids are 0 … blockCount − 1). */
  get blockCount(): number {
    return this.store.end;
  }

  /** The first block an honest replica finalized at height h (undefined above the LIB or below the pruned bound). */
  finalIdAt(h: number): number | undefined {
    return this.finalAt.get(h);
  }

  private tx(id: number): Tx {
    const t = this.txStore.get(id);
    invariant(t !== undefined, () => `transaction ${id} was freed but is still referenced`);
    return t;
  }

  /** World node ids of the current round's SuperDelegates, by rank. */
  superDelegates(): number[] {
    return this.round().superDelegates.map((c) => this.candidateNodes[c]);
  }

  /** World node ids of the current round's active delegates, by rank. */
  activeDelegates(): number[] {
    return this.round().active.map((c) => this.candidateNodes[c]);
  }

  /** Highest height any honest replica holds as irreversible. */
  libHeight(): number {
    return this.finalAt.end - 1;
  }

  headHeight(): number {
    let h = 0;
    for (const r of this.replicas) if (r.behaviour !== Behaviour.Equivocator) h = Math.max(h, this.block(r.headId).number);
    return h;
  }

  libStallMaxS(): number {
    const now = this.kernel.now;
    const current = this.libAdvancedAtUs < 0 ? now : now - this.libAdvancedAtUs;
    return Math.max(this.libStallMaxUs, current) / SECOND;
  }

  /** Equivocators in the current active set (the f of the safety bound). */
  equivocatorsActive(): number {
    let f = 0;
    for (const c of this.round().active) if (this.behaviour[c] === Behaviour.Equivocator) f++;
    return f;
  }

  /**
   * True if, in every round so far, the active equivocators were within the safety bound (f < 2q − N), so that
   * conflicting irreversible blocks are impossible. Once exceeded it stays false: conflicts finalized then remain.
   */
  safetyBoundHeld(): boolean {
    return this.safetyBoundHeldSoFar;
  }

  /** Called when a block becomes irreversible at the first honest replica, in height order along one chain. */
  onCommit(listener: (block: Block, txs: readonly Tx[]) => void): void {
    this.commitListeners.push(listener);
  }

  /** Called when committed evidence slashes a delegate: the EVM Staking contract's `slash` goes here. */
  onSlash(listener: (ev: SlashEvent) => void): void {
    this.slashListeners.push(listener);
  }

  /** Submit a transaction to the pending pool. Votes are checked now (expected rejections are values). */
  submitTx(body: TxBody, bytes = this.params.blocks.txBytes): SubmitResult {
    if (body.kind === "vote") {
      const check = this.ledger.checkVote(body.account, body.candidates);
      if (!check.ok) return check;
    }
    if (this.pool.length - this.poolCommitted >= this.params.blocks.poolTxsMax) {
      this.c.txsDropped.add(1);
      return { ok: false, reason: "pool-full" };
    }
    const id = this.txStore.push({ id: this.txStore.end, body, bytes, submittedAtUs: this.kernel.now, inclusions: [], committed: false });
    this.pool.push(id);
    this.c.txsSubmitted.add(1);
    return { ok: true, id };
  }

  // ------------------------------------------------------------------ rounds and slots

  private startRound(startSlot: number): Round {
    const p = this.params;
    const { active, standby } = electDelegates(this.ledger.approvalWei, this.ledger.eligible(), p.activeDelegates);
    const index = this.roundBase + this.rounds.length;
    const round: Round = {
      index, startSlot, active, standby,
      producers: shuffleProducers(active, this.ledger.tipHash, index),
      superDelegates: pickSuperDelegates(active, p.superDelegates),
      quorum: quorumOf(active.length),
      seedHash: this.ledger.tipHash,
    };
    this.rounds.push(round);
    this.c.rounds.add(1);
    if (this.equivocatorsActive() > safetyFaultsMax(round.active.length, round.quorum)) this.safetyBoundHeldSoFar = false;
    this.prune();
    return round;
  }

  /**
   * Bounded memory (a limit on everything): blocks more than `keepFinalBlocks` below the lowest LIB of the running
   * honest replicas are dropped, with their committed transactions and the rounds that scheduled them. No running
   * replica can need them: a block below its LIB is rejected by number alone, and sync starts at its LIB. A
   * replica that is down and behind the bound is moved to a checkpoint — the first-finalized block at that lowest
   * LIB — as a node restarting after a long outage would state-sync from a trusted recent checkpoint (weak
   * subjectivity, DOMAIN.md §c); `chain.checkpoint_syncs` counts it once per outage. Once a safety failure has been seen there is
   * no single final chain to checkpoint to, so nothing more is pruned.
   */
  private prune(): void {
    if (this.conflictHeights.length > 0) return;
    let minLib = Infinity;
    for (const r of this.replicas) if (r.behaviour === Behaviour.Honest && this.running(r) && r.libNumber < minLib) minLib = r.libNumber;
    if (minLib === Infinity) return;
    const bound = minLib - this.params.blocks.keepFinalBlocks;
    if (bound < this.prunedBelow + Math.min(PRUNE_BATCH, this.params.blocks.keepFinalBlocks)) return;
    const checkpoint = this.block(this.finalAt.get(minLib)!);
    for (const r of this.replicas) {
      if (r.behaviour !== Behaviour.Honest || this.running(r) || r.libNumber >= bound) continue;
      r.headId = r.libId = checkpoint.id;
      r.libNumber = checkpoint.number;
      r.branch = [checkpoint.id];
      r.branchBase = checkpoint.number;
      r.orphans.clear();
      r.orphanCount = 0;
      r.syncBusyUntilUs = 0;
      checkpoint.knownBy[r.cand] = Known.Adopted;
      if (!this.checkpointed[r.cand]) this.c.checkpoints.add(1);
      this.checkpointed[r.cand] = 1;
    }
    for (let id = this.pruneCursor; id < this.store.end; id++) {
      const b = this.store.get(id);
      if (b !== undefined && b.number < bound) this.dropBlock(b);
    }
    while (this.pruneCursor < this.store.end && this.store.get(this.pruneCursor) === undefined) this.pruneCursor++;
    // Genesis (id 0) stays: offline replicas never leave it.
    this.store.dropBelow(this.pruneCursor);
    while (this.txCursor < this.txStore.end && this.txStore.get(this.txCursor) === undefined) this.txCursor++;
    this.txStore.dropBelow(this.txCursor);
    this.finalAt.dropBelow(bound);
    this.blockCountAtHeight.dropBelow(bound);
    for (const r of this.replicas) {
      if (r.orphanCount === 0) continue;
      for (const [parentId, list] of [...r.orphans]) {
        const kept = list.filter((o) => this.blockIfKept(o.id) !== undefined);
        r.orphanCount -= list.length - kept.length;
        if (kept.length === 0) r.orphans.delete(parentId);
        else r.orphans.set(parentId, kept);
      }
    }
    // Slots ≥ heights on every chain, so a round that ended below the bound scheduled only pruned blocks.
    let k = 0;
    while (k < this.rounds.length - 1 && this.rounds[k].startSlot + this.rounds[k].producers.length <= bound) k++;
    if (k > 0) {
      this.rounds.splice(0, k);
      this.roundBase += k;
    }
    this.prunedBelow = bound;
  }

  private dropBlock(b: Block): void {
    for (const id of b.txIds) {
      const tx = this.txStore.get(id);
      if (tx === undefined) continue;
      if (tx.committed) this.txStore.set(id, undefined);
      else tx.inclusions = tx.inclusions.filter((inc) => inc !== b.id);
    }
    const same = this.blocksBySlot.get(b.slot);
    if (same !== undefined) {
      const rest = same.filter((id) => id !== b.id);
      if (rest.length === 0) this.blocksBySlot.delete(b.slot);
      else this.blocksBySlot.set(b.slot, rest);
    }
    this.store.set(b.id, undefined);
  }

  /** The round containing `slot`, or undefined if the slot is not (yet) scheduled. */
  private roundOfSlot(slot: number): Round | undefined {
    // Binary search for the last round starting at or before `slot` (rounds are in start order).
    let lo = 0, hi = this.rounds.length - 1;
    if (hi < 0 || slot < this.rounds[0].startSlot) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rounds[mid].startSlot <= slot) lo = mid;
      else hi = mid - 1;
    }
    const r = this.rounds[lo];
    return slot < r.startSlot + r.producers.length ? r : undefined;
  }

  private onSlot(ctx: SimContext, slot: number): void | Promise<void> {
    ctx.schedule(this.blockTimeUs, this.kinds.slot, 0, undefined, slot + 1);
    let round = this.round();
    if (slot >= round.startSlot + round.producers.length) round = this.startRound(slot);
    this.c.slots.add(1);
    if (round.producers.length === 0) {
      this.c.missed.add(1);
      return;
    }
    const r = this.replicas[round.producers[slot - round.startSlot]];
    if (!this.running(r)) {
      this.c.missed.add(1);
      return;
    }
    return r.behaviour === Behaviour.Equivocator ? this.produceTwice(ctx, r, slot, round) : this.produce(ctx, r, slot, round);
  }

  private running(r: Replica): boolean {
    return r.behaviour !== Behaviour.Offline && this.world.nodes.isUp(r.node);
  }

  // ------------------------------------------------------------------ production

  private produce(ctx: SimContext, r: Replica, slot: number, round: Round): void | Promise<void> {
    const b = this.createBlock(ctx, r, this.block(r.headId), slot, round, 0);
    b.knownBy[r.cand] = Known.Seen;
    const adopted = this.connect(r, b, r.node);
    invariant(adopted, () => `producer ${r.cand} could not adopt its own block ${b.number} at slot ${slot}`);
    return this.executeThen([b], () => {
      for (const q of this.replicas) if (q.cand !== r.cand) this.world.net.send(r.node, q.node, this.msg.block, b.bytes, b.id);
    });
  }

  /** An equivocator's slot: one version on each half's head, each sent to that half only. */
  private produceTwice(ctx: SimContext, r: Replica, slot: number, round: Round): void | Promise<void> {
    const versions: Block[] = [];
    for (let h = 0; h < 2; h++) {
      const parent = this.blockIfKept(this.coalitionHead[h]) ?? this.block(this.finalAt.get(this.finalAt.end - 1)!);
      const b = this.createBlock(ctx, r, parent, slot, round, h + 1);
      this.coalitionHead[h] = b.id;
      for (const q of this.replicas) if (q.behaviour === Behaviour.Equivocator) b.knownBy[q.cand] = Known.Adopted;
      versions.push(b);
    }
    return this.executeThen(versions, () => {
      for (const q of this.replicas) {
        const h = this.halfOf[q.cand];
        if (h >= 0) this.world.net.send(r.node, q.node, this.msg.block, versions[h].bytes, versions[h].id);
      }
    });
  }

  /** Run the executor on each block in order (awaiting only if it returns a promise), then `send`. */
  private executeThen(blocks: Block[], send: () => void): void | Promise<void> {
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      const r = this.executor.execute(b, b.txIds.map((id) => this.tx(id)));
      if (r !== undefined) {
        return r.then(() => this.executeThen(blocks.slice(i + 1), send));
      }
    }
    send();
  }

  private createBlock(ctx: SimContext, r: Replica, parent: Block, slot: number, round: Round, extra: number): Block {
    invariant(parent.slot < slot, () => `block for slot ${slot} on parent of slot ${parent.slot}`);
    const p = this.params;
    const txIds = this.pickTxs(r, parent);
    const number = parent.number + 1;
    const lastProduced = parent.lastProduced.slice();
    lastProduced[r.cand] = number;
    const timestampUs = slotTimeUs(slot, this.blockTimeUs);
    let bytes = p.blocks.headerBytes;
    for (const id of txIds) bytes += this.tx(id).bytes;
    const hash = blockHashOf({ number, parentHash: parent.hash, producerNode: r.node, slot, timestampUs, extra, txIds });
    const b: Block = {
      id: this.store.end, hash, parentId: parent.id, number, slot, round: round.index, producer: r.cand, producerNode: r.node,
      timestampUs, extra, txIds, bytes, lastProduced,
      branchLib: Math.max(parent.branchLib, libFromLastProduced(lastProduced, round.quorum)),
      knownBy: new Uint8Array(this.replicas.length), finalCount: 0,
    };
    this.store.push(b);
    for (const id of txIds) this.tx(id).inclusions.push(b.id);
    const sameSlot = this.blocksBySlot.get(slot);
    if (sameSlot === undefined) this.blocksBySlot.set(slot, [b.id]);
    else sameSlot.push(b.id);
    if (number >= this.blockCountAtHeight.start) {
      const atHeight = (this.blockCountAtHeight.get(number) ?? 0) + 1;
      this.blockCountAtHeight.set(number, atHeight);
      if (atHeight === 2) this.c.forks.add(1);
    }
    this.c.produced.add(1);
    ctx.traceMix(parseInt(hash.slice(0, 12), 16));
    return b;
  }

  /** Pending transactions not yet included on the branch ending at `parent`, in submission order. */
  private pickTxs(r: Replica, parent: Block): number[] {
    const out: number[] = [];
    const max = this.params.blocks.txsMax;
    const byzantine = r.behaviour === Behaviour.Equivocator;
    const honestBranch = !byzantine && parent.id === r.headId;
    for (let i = 0; i < this.pool.length && out.length < max; i++) {
      const tx = this.txStore.get(this.pool[i]);
      // The coalition censors evidence against itself.
      if (tx === undefined || tx.committed || (byzantine && tx.body.kind === "evidence")) continue;
      let included = false;
      for (const inc of tx.inclusions) {
        if (honestBranch ? this.onBranch(r, this.block(inc)) : this.isAncestor(this.block(inc), parent)) {
          included = true;
          break;
        }
      }
      if (!included) out.push(tx.id);
    }
    return out;
  }

  private isAncestor(x: Block, tip: Block): boolean {
    let cur = tip;
    while (cur.number > x.number) cur = this.block(cur.parentId);
    return cur.id === x.id;
  }

  // ------------------------------------------------------------------ receiving, validating, adopting

  private onBlockMessage(to: number, from: number, id: number): void {
    const c = this.candidateOfNode.get(to);
    if (c === undefined) return;
    const r = this.replicas[c];
    if (!this.running(r) || this.blockIfKept(id) === undefined) return;
    if (this.receive(r, id, from) && r.behaviour === Behaviour.Honest) this.relay(r, this.block(id), from);
  }

  /** Gossip a newly adopted block to `relayFanout` random delegates other than the sender and the producer. */
  private relay(r: Replica, b: Block, from: number): void {
    const fanout = this.params.sync.relayFanout;
    if (fanout === 0) return;
    const peers: number[] = [];
    for (const q of this.replicas) if (q.cand !== r.cand && q.node !== from && q.cand !== b.producer) peers.push(q.node);
    if (fanout < peers.length) {
      const picked = sampleIndices(this.kernel.rng("chain/gossip"), peers.length, fanout);
      for (const i of picked) this.world.net.send(r.node, peers[i], this.msg.block, b.bytes, b.id);
    } else {
      for (const node of peers) this.world.net.send(r.node, node, this.msg.block, b.bytes, b.id);
    }
  }

  /** Process one block at replica r; true if r adopted it now. */
  private receive(r: Replica, id: number, from: number): boolean {
    const b = this.block(id);
    if (r.behaviour === Behaviour.Equivocator) {
      this.coalitionSees(b, from);
      b.knownBy[r.cand] = Known.Adopted;
      return false;
    }
    const st = b.knownBy[r.cand];
    if (st === Known.Adopted || st === Known.Rejected) return false;
    if (st === Known.Unseen) {
      if (!this.headerValid(b)) {
        this.reject(r, b);
        return false;
      }
      b.knownBy[r.cand] = Known.Seen;
      this.detectEquivocation(r, b);
    }
    return this.connect(r, b, from);
  }

  private headerValid(b: Block): boolean {
    const round = this.roundOfSlot(b.slot);
    if (round === undefined || round.producers[b.slot - round.startSlot] !== b.producer) return false;
    return b.timestampUs === slotTimeUs(b.slot, this.blockTimeUs) && b.timestampUs <= this.kernel.now + CLOCK_TOLERANCE_US;
  }

  /** Settle a seen block and, transitively, the orphans waiting on it; buffer it if its parent is unknown. */
  private connect(r: Replica, b: Block, from: number): boolean {
    const outcome = this.settle(r, b);
    if (outcome === Known.Seen) {
      this.bufferOrphan(r, b, from);
      return false;
    }
    const stack = [b.id];
    while (stack.length > 0) {
      const parentId = stack.pop()!;
      const waiting = r.orphans.get(parentId);
      if (waiting === undefined) continue;
      r.orphans.delete(parentId);
      r.orphanCount -= waiting.length;
      for (const o of waiting) {
        const child = this.block(o.id);
        if (child.knownBy[r.cand] !== Known.Seen) continue;
        this.settle(r, child);
        stack.push(o.id);
      }
    }
    return outcome === Known.Adopted;
  }

  /** Decide a seen block: adopted, rejected, or still seen (parent unknown). */
  private settle(r: Replica, b: Block): Known {
    if (b.number <= r.libNumber) return this.reject(r, b);
    const parent = this.block(b.parentId);
    const ps = parent.knownBy[r.cand];
    if (ps === Known.Rejected) return this.reject(r, b);
    if (ps !== Known.Adopted) return Known.Seen;
    if (b.slot <= parent.slot || b.number !== parent.number + 1) return this.reject(r, b);
    return this.adopt(r, b) ? Known.Adopted : this.reject(r, b);
  }

  private reject(r: Replica, b: Block): Known {
    b.knownBy[r.cand] = Known.Rejected;
    this.c.rejected.add(1);
    return Known.Rejected;
  }

  private onBranch(r: Replica, x: Block): boolean {
    const i = x.number - r.branchBase;
    return i >= 0 && i < r.branch.length && r.branch[i] === x.id;
  }

  /** Adopt b (parent adopted) if its branch contains r's LIB; switch head if it is longer. */
  private adopt(r: Replica, b: Block): boolean {
    let fork = this.block(b.parentId);
    while (!this.onBranch(r, fork)) {
      if (fork.number <= r.libNumber) return false;
      fork = this.block(fork.parentId);
    }
    if (fork.number < r.libNumber) return false;
    b.knownBy[r.cand] = Known.Adopted;
    const head = this.block(r.headId);
    if (b.number > head.number) this.switchHead(r, b, fork, head);
    return true;
  }

  private switchHead(r: Replica, b: Block, fork: Block, head: Block): void {
    if (fork.id !== head.id) {
      const depth = head.number - fork.number;
      this.c.reorgs.add(1);
      if (depth > this.reorgDepthMax) this.reorgDepthMax = depth;
    }
    r.branch.length = fork.number - r.branchBase + 1;
    const path: number[] = [];
    for (let x = b; x.id !== fork.id; x = this.block(x.parentId)) path.push(x.id);
    for (let i = path.length - 1; i >= 0; i--) r.branch.push(path[i]);
    r.headId = b.id;
    this.advanceLib(r, b.branchLib);
  }

  private advanceLib(r: Replica, lib: number): void {
    if (lib <= r.libNumber) return;
    invariant(lib <= this.block(r.headId).number, "LIB above head");
    for (let h = r.libNumber + 1; h <= lib; h++) this.finalize(r, h, r.branch[h - r.branchBase]);
    r.libNumber = lib;
    r.libId = r.branch[lib - r.branchBase];
    if (lib - r.branchBase >= BRANCH_TRIM_AT) {
      r.branch.splice(0, lib - r.branchBase);
      r.branchBase = lib;
    }
  }

  /** Honest replica r now holds block `id` at height h as irreversible. */
  private finalize(r: Replica, h: number, id: number): void {
    const b = this.block(id);
    const now = this.kernel.now;
    if (++b.finalCount === this.observerMajority) this.finalityLatency.observe((now - b.timestampUs) / SECOND);
    if (h === this.finalAt.end) {
      this.finalAt.push(id);
      if (this.libAdvancedAtUs >= 0 && now - this.libAdvancedAtUs > this.libStallMaxUs) this.libStallMaxUs = now - this.libAdvancedAtUs;
      this.libAdvancedAtUs = now;
    } else if (this.finalAt.get(h) !== id && !this.conflictSeen.has(h)) {
      this.conflictSeen.add(h);
      this.conflictHeights.push(h);
    }
    if (h === this.ledger.height + 1 && b.parentId === this.ledger.tipId) this.commit(b);
  }

  // ------------------------------------------------------------------ committing

  private commit(b: Block): void {
    const ledger = this.ledger;
    ledger.height = b.number;
    ledger.tipId = b.id;
    ledger.tipHash = b.hash;
    const txs: Tx[] = [];
    for (const id of b.txIds) {
      const tx = this.txStore.get(id);
      if (tx === undefined || tx.committed) continue;
      tx.committed = true;
      this.poolCommitted++;
      txs.push(tx);
      this.c.txsCommitted.add(1);
      if (!this.externalLedger) this.applyTx(tx.body);
    }
    if (this.poolCommitted > 1024 && this.poolCommitted * 2 > this.pool.length) {
      this.pool = this.pool.filter((id) => this.txStore.get(id)?.committed === false);
      this.poolCommitted = 0;
    }
    for (const l of this.commitListeners) l(b, txs);
  }

  /**
   * Apply one committed transaction's effect to the ledger: a vote replaces approvals, a stake top-up adds stake,
   * evidence slashes (and tells the slash listeners). Called here at commit, or — with an external ledger driver
   * (`useExternalLedger`) — by that driver once the EVM accepted the transaction. A masternode bond or an opaque
   * EVM call changes nothing the election reads. Returns false if the ledger rejected it (a malformed vote,
   * evidence already applied).
   */
  applyTx(body: TxBody): boolean {
    const ledger = this.ledger;
    switch (body.kind) {
      case "vote": {
        const ok = ledger.applyVote(body.account, body.candidates).ok;
        if (ok) this.c.votesApplied.add(1);
        return ok;
      }
      case "stake":
        ledger.addStake(body.account, body.amountWei);
        return true;
      case "evidence": {
        const res = ledger.applyEvidence(body, this.slashPpm);
        if (!res.ok) return false;
        this.c.evidenceCommitted.add(1);
        if (ledger.slashedWei[body.offender] === res.amountWei) {
          this.c.slashed.add(1);
          this.slashedCandidates++;
        }
        const ev: SlashEvent = { offender: body.offender, offenderNode: this.candidateNodes[body.offender], amountWei: res.amountWei, evidenceId: res.evidenceId, slot: body.slot, atUs: this.kernel.now };
        for (const l of this.slashListeners) l(ev);
        return true;
      }
      case "masternode":
      case "evm":
        return true;
    }
  }

  /**
   * Leave applying committed transactions to the ledger to someone else (the EVM executor, which applies exactly
   * those the contracts accepted, so the Staking contract is the source of truth and the ledger its mirror). Call
   * before `start`.
   */
  useExternalLedger(): void {
    invariant(!this.started, "useExternalLedger after start");
    this.externalLedger = true;
  }

  // ------------------------------------------------------------------ double-signing

  private detectEquivocation(r: Replica, b: Block): void {
    const same = this.blocksBySlot.get(b.slot);
    if (same === undefined || same.length < 2) return;
    for (const other of same) {
      if (other === b.id) continue;
      const o = this.block(other);
      if (o.producer !== b.producer || o.knownBy[r.cand] === Known.Unseen) continue;
      const key = `${b.producer}:${b.slot}`;
      if (this.evidenceKeys.has(key)) return;
      this.evidenceKeys.add(key);
      this.c.equivocations.add(1);
      this.submitTx({ kind: "evidence", offender: b.producer, slot: b.slot, hashA: o.hash, hashB: b.hash, reporter: r.cand }, 2 * this.params.blocks.headerBytes);
      return;
    }
  }

  /** A coalition member got block b from `from`: an honest sender of half h has it, so half h may build on it. */
  private coalitionSees(b: Block, from: number): void {
    const sender = this.candidateOfNode.get(from);
    if (sender === undefined || this.behaviour[sender] === Behaviour.Equivocator) return;
    const h = this.halfOf[sender];
    const head = this.blockIfKept(this.coalitionHead[h]);
    if (h >= 0 && (head === undefined || b.number > head.number)) this.coalitionHead[h] = b.id;
  }

  // ------------------------------------------------------------------ sync

  private bufferOrphan(r: Replica, b: Block, from: number): void {
    const list = r.orphans.get(b.parentId);
    if (list !== undefined && list.some((o) => o.id === b.id)) return;
    if (r.orphanCount < this.params.sync.orphansMax) {
      if (list === undefined) r.orphans.set(b.parentId, [{ id: b.id, from }]);
      else list.push({ id: b.id, from });
      r.orphanCount++;
    } else {
      this.c.orphansDropped.add(1);
    }
    if (this.kernel.now >= r.syncBusyUntilUs && from !== r.node) this.requestSync(r, from, b.id, r.libNumber);
  }

  private requestSync(r: Replica, peerNode: number, want: number, fromHeight: number): void {
    r.syncBusyUntilUs = this.kernel.now + seconds(this.params.sync.timeoutS);
    this.c.syncRequests.add(1);
    this.world.net.send(r.node, peerNode, this.msg.syncReq, SYNC_REQUEST_BYTES, { want, fromHeight });
  }

  private onReplicaUp(r: Replica): void {
    if (r.behaviour !== Behaviour.Honest) return;
    this.checkpointed[r.cand] = 0;
    const n = this.replicas.length;
    for (let i = 1; i < n; i++) {
      const q = this.replicas[(r.cand + i) % n];
      if (q.behaviour === Behaviour.Honest && this.running(q)) {
        this.requestSync(r, q.node, -1, r.libNumber);
        return;
      }
    }
  }

  /**
   * Serve the ancestors of `want` (−1: my head) from `fromHeight` up, lowest first, at most blocksMax. Requests
   * start at the asker's LIB height, so a branch that conflicts with the asker's LIB shows it in its first block
   * (rejected there, and everything above it with it) instead of never connecting.
   */
  private onSyncRequest(to: number, from: number, req: SyncRequest): void {
    const c = this.candidateOfNode.get(to);
    if (c === undefined) return;
    const u = this.replicas[c];
    if (!this.running(u)) return;
    const asker = this.candidateOfNode.get(from);
    let want = req.want;
    if (want < 0) want = u.behaviour === Behaviour.Equivocator ? this.coalitionHead[asker === undefined ? 0 : Math.max(0, this.halfOf[asker])] : u.headId;
    const ids: number[] = [];
    const wantBlock = this.blockIfKept(want);
    if (wantBlock !== undefined && (u.behaviour === Behaviour.Equivocator || wantBlock.knownBy[u.cand] === Known.Adopted)) {
      for (let x: Block | undefined = wantBlock; x !== undefined && x.number >= req.fromHeight && x.number > 0; x = this.blockIfKept(x.parentId)) ids.push(x.id);
      ids.reverse();
    }
    const truncated = ids.length > this.params.sync.blocksMax;
    if (truncated) ids.length = this.params.sync.blocksMax;
    let bytes = SYNC_REQUEST_BYTES;
    for (const id of ids) bytes += this.block(id).bytes;
    this.world.net.send(u.node, from, this.msg.syncResp, bytes, { want, ids, truncated });
  }

  private onSyncResponse(to: number, from: number, resp: SyncResponse): void {
    const c = this.candidateOfNode.get(to);
    if (c === undefined) return;
    const r = this.replicas[c];
    if (!this.running(r) || r.behaviour === Behaviour.Equivocator) return;
    for (const id of resp.ids) if (this.blockIfKept(id) !== undefined) this.receive(r, id, from);
    if (resp.truncated && resp.ids.length > 0) {
      const top = this.blockIfKept(resp.ids[resp.ids.length - 1]);
      if (top !== undefined && top.knownBy[r.cand] === Known.Adopted) {
        this.requestSync(r, from, resp.want, top.number + 1);
        return;
      }
    }
    r.syncBusyUntilUs = 0;
    // A block the peer could not connect for us is dropped: it comes back with the next block built on it.
    const wanted = this.blockIfKept(resp.want);
    if (wanted !== undefined && wanted.knownBy[r.cand] === Known.Seen) this.dropOrphan(r, wanted);
    if (r.orphanCount === 0) return;
    let best: OrphanRef | undefined;
    for (const list of r.orphans.values()) for (const o of list) if (best === undefined || this.block(o.id).number > this.block(best.id).number) best = o;
    if (best !== undefined && best.from !== r.node) this.requestSync(r, best.from, best.id, r.libNumber);
  }

  private dropOrphan(r: Replica, b: Block): void {
    const list = r.orphans.get(b.parentId);
    if (list === undefined) return;
    const i = list.findIndex((o) => o.id === b.id);
    if (i < 0) return;
    list.splice(i, 1);
    r.orphanCount--;
    if (list.length === 0) r.orphans.delete(b.parentId);
  }

  // ------------------------------------------------------------------ voters

  private onRevote(ctx: SimContext): void {
    const rng = ctx.rng("chain/revotes");
    const account = this.voterAccounts[rng.int(this.voterAccounts.length)];
    if (!this.cartelControlled[account]) {
      this.submitTx({ kind: "vote", account, candidates: drawApprovals(rng, this.popularity, this.params.approvalsMax) });
    }
    ctx.schedule(exponential(rng, DAY / this.params.voting.revotesPerDay), this.kinds.revote);
  }

  private bribeRatePerDay(): number {
    const p = this.params.cartel;
    return this.cartel.length > 0 ? p.bribedFractionPerDay * this.voterAccounts.length : 0;
  }

  private onBribe(ctx: SimContext): void {
    const p = this.params;
    if (this.bribedCount >= p.cartel.bribedFractionMax * this.voterAccounts.length || this.unbribed.length === 0) return;
    const rng = ctx.rng("chain/bribes");
    const i = rng.int(this.unbribed.length);
    const account = this.unbribed[i];
    this.unbribed[i] = this.unbribed[this.unbribed.length - 1];
    this.unbribed.pop();
    this.bribedCount++;
    this.cartelControlled[account] = 1;
    this.c.bribes.add(1);
    const k = Math.min(p.approvalsMax, this.cartel.length);
    const start = this.bribedCount % this.cartel.length;
    const candidates: number[] = [];
    for (let j = 0; j < k; j++) candidates.push(this.cartel[(start + j) % this.cartel.length]);
    this.submitTx({ kind: "vote", account, candidates: candidates.sort((a, b) => a - b) });
    ctx.schedule(exponential(rng, DAY / this.bribeRatePerDay()), this.kinds.bribe);
  }

  // ------------------------------------------------------------------ decentralization metrics

  private entityOfCandidate(c: number): number {
    if (this.behaviour[c] === Behaviour.Equivocator) return COALITION_ENTITY;
    return this.cartel.includes(c) ? CARTEL_ENTITY : c;
  }

  cartelSeats(): number {
    let n = 0;
    for (const c of this.round().active) if (this.cartel.includes(c)) n++;
    return n;
  }

  /** Smallest number of entities holding ≥ 1/3 of the active seats. */
  nakamotoSeats(): number {
    const active = this.round().active;
    const entities = active.map((c) => this.entityOfCandidate(c));
    return nakamotoCoefficient(sharesByEntity(active.map(() => 1n), entities));
  }

  /** Nakamoto coefficient over stake (control = who decides the stake's votes) and Gini over accounts. */
  stakeStats(): { nakamoto: number; gini: number } {
    const cache = this.stakeCache;
    if (cache.version === this.ledger.stakeVersion && cache.bribed === this.bribedCount) return cache;
    const ledger = this.ledger;
    const entity = new Float64Array(ledger.accountCount);
    const coalitionAccounts = new Set<number>();
    for (let c = 0; c < this.replicas.length; c++) if (this.behaviour[c] === Behaviour.Equivocator) coalitionAccounts.add(ledger.selfAccount[c]);
    for (let a = 0; a < ledger.accountCount; a++) entity[a] = this.cartelControlled[a] ? CARTEL_ENTITY : coalitionAccounts.has(a) ? COALITION_ENTITY : a;
    cache.nakamoto = nakamotoCoefficient(sharesByEntity(ledger.stakeWei, entity));
    cache.gini = gini(ledger.stakeWei.map(weiToPop));
    cache.version = ledger.stakeVersion;
    cache.bribed = this.bribedCount;
    return cache;
  }

  /** Run-end summaries (values that are not time series). */
  finish(metrics: Metrics): void {
    const r = this.round();
    metrics.summary("chain.quorum_final", r.quorum);
    metrics.summary("chain.liveness_faults_max", r.active.length - r.quorum);
    metrics.summary("chain.safety_faults_max", safetyFaultsMax(r.active.length, r.quorum));
    metrics.summary("chain.equivocators_active", this.equivocatorsActive());
    metrics.summary("chain.slashed_delegates", this.slashedCandidates);
  }
}
