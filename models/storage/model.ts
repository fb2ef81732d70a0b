/**
 * The storage model: erasure-coded segments on masternodes — placement, audits, lazy repair, attacks — as a runner
 * plugin (`storagePlugin`, DESIGN.md §5).
 *
 * Purpose: answer the engineers' question of DESIGN.md §1 with the real mechanisms rather than formulas alone:
 * every segment of every video is RS(k, n)-coded, o shards are placed on distinct eligible masternodes (stake ≥ the
 * minimum, one per failure domain where possible), masternodes come and go through sim/faults, audits challenge
 * holders, and repair moves real bytes (or their sizes) through the network model. The same decisions are taken in
 * metadata mode (shard identities, 100k+ segments) and byte mode (sealed AES-GCM shards): every decision reads the
 * ledger's flags, and byte mode asserts at each audit and fetch that the bytes give the same answer.
 *
 * Method (the life of a segment):
 * - Upload (setup, t = 0): placement picks o holders (rendezvous with failure-domain caps, or uniform random); the
 *   long tail n − o is cancelled, as Storj's success threshold does (DOMAIN.md §a). Shard indexes 0..o−1 are stored.
 * - Holders going down: their shards stay healthy for `repair.detectionDelay` (transient churn costs nothing —
 *   lazy repair); after it they are suspect. A holder coming back clears its suspect shards. A departure destroys
 *   the holder's bytes at once (ground truth), though the model only learns it through the same delay.
 * - Audits: each masternode is challenged every `audit.interval` on one random held shard with a fresh nonce
 *   (byte mode: SHA-256 of a random byte range; metadata mode: the same decision from the shard's flags). A failed
 *   audit drops the shard; `failuresBeforeIneligible` failures catch the node: ineligible, all shards dropped.
 * - Repair: a segment with fewer than m healthy shards enters an indexed heap, fewest healthy first; at most
 *   `concurrencyMax` repairs run. A repair picks a repairer masternode, fetches k shards (S/k bytes each) from
 *   healthy up holders in a random order (a source that does not answer within `timeout` is replaced by the next),
 *   rebuilds (byte mode: decode + re-encode + hash check), asks placement for new holders with the survivors kept
 *   (`keep`), and uploads each missing shard, replacing suspect ones first, until o are healthy. Every transfer is
 *   a `net.send`, so repair takes time and competes for bandwidth. Failures retry after `retryInterval`.
 * - A segment is lost when fewer than k intact shards exist (no way back), unavailable while fewer than k intact
 *   shards are on up, serving holders.
 * - Attacker: floor(budget / stakeMin) extra masternodes bonded at the minimum. "spread" nodes join like any
 *   other; "targeted" nodes grind their ids until rendezvous ranks them first for chosen segments (o − k + 1
 *   per segment, enough to destroy it). From `startAt` they withhold (ignore repair fetches); until
 *   `answerAuditsUntil` they keep the data and pass audits, then discard it and get caught by audits.
 *
 * Randomness: all from "storage/…" streams (stakes, placement, audit, repair, corruption, phases, tolerance), so
 * enabling storage never shifts another model's draws. Decisions are mixed into the trace hash.
 */
import type { ModelPlugin, World } from "../../sim/runner/run.ts";
import type { Counter, Histogram, Metrics } from "../../sim/kernel/metrics.ts";
import type { Kernel, SimContext, EventHandle } from "../../sim/kernel/index.ts";
import type { Prng } from "../../sim/kernel/prng.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { exponential, shuffle } from "../../sim/kernel/distributions.ts";
import { DAY, SECOND, parseDuration } from "../../sim/kernel/time.ts";
import { NodeStatus, ROLE_IDS } from "../../sim/net/nodes.ts";
import type { Network } from "../../sim/net/network.ts";
import type { NodeChangeCause } from "../../sim/faults/faults.ts";
import {
  buildPlacementTable,
  placeRandom,
  placeRendezvous,
  rendezvousWeight,
  segmentKeyOf,
  setNodeEligible,
  spreadPolicy,
  type MasternodeInfo,
  type PlacementPolicy,
  type PlacementTable,
} from "./placement.ts";
import { FLAG_ABSENT, FLAG_CORRUPT, FLAG_SUSPECT, ShardLedger } from "./ledger.ts";
import { SegmentHeap } from "./segmentHeap.ts";
import { ByteStore, sameBytes, videoId } from "./byteStore.ts";
import { verifyShard } from "./encrypt.ts";
import type { StorageParams } from "./params.ts";
import { addStorageChecker } from "./checker.ts";
import { runToleranceExperiment } from "./tolerance.ts";
import { recordClaimSection } from "./claim.ts";
import { recordDurability } from "./durability.ts";

const WEI_PER_POP = 10n ** 18n;
/** A fetch request or a "missing" answer: a small control message. */
const REQUEST_BYTES = 200;
/** Targeted attacker: candidate ids tried per node before settling for the best found. */
const GRIND_TRIES_MAX = 1_000_000;
/** Placement ids of ground attacker nodes start here, far above any NodeTable id. */
const GROUND_ID_BASE = 2 ** 40;
const DAMAGED = FLAG_CORRUPT | FLAG_ABSENT;

const enum Phase { Fetch = 1, Upload = 2 }
const enum Src { Untried = 0, Requested = 1, Got = 2, Failed = 3 }

interface RepairJob {
  id: number;
  segment: number;
  repairer: number;
  phase: Phase;
  /** Candidate source shard indexes in request order. */
  order: number[];
  next: number;
  state: Uint8Array;
  outstanding: number;
  got: number;
  fetched: (Uint8Array | null)[] | null;
  rebuilt: Uint8Array[] | null;
  uploadIndex: number[];
  uploadSlot: number[];
  uploadDone: Uint8Array;
  pendingUploads: number;
  timer: EventHandle;
}

interface FetchRequest { job: number; s: number; j: number }
interface ShardResponse { job: number; j: number; slot: number; ok: boolean; bytes: Uint8Array | null }
interface Upload { job: number; t: number }

/** Counters and histograms the model writes (names in the file header of tolerance.ts for the experiment). */
interface StorageCounters {
  audits: Counter;
  auditsFailed: Counter;
  auditsSkippedOffline: Counter;
  nodesCaught: Counter;
  shardsCorrupted: Counter;
  repairsStarted: Counter;
  repairsCompleted: Counter;
  repairsFailed: Counter;
  repairsDeferred: Counter;
  repairBytes: Counter;
  repairFetchBytes: Counter;
  repairUploadBytes: Counter;
  fetchFailures: Counter;
  placementRelaxed: Counter;
  placementShortfall: Counter;
}

export class StorageModel {
  readonly p: StorageParams;
  readonly k: number;
  readonly m: number;
  readonly o: number;
  readonly n: number;
  readonly segments: number;
  /** Bytes of one shard: ceil((segment + GCM tag) / k), the same in both modes so transfers take the same time. */
  readonly shardBytes: number;
  readonly stakeMinWei: bigint;
  readonly kernel: Kernel;
  readonly world: World;
  readonly net: Network;
  readonly metrics: Metrics;
  readonly ledger: ShardLedger;
  readonly bytes: ByteStore | null;
  table: PlacementTable;
  readonly policyCaps: { regionShardsMax: number; operatorShardsMax: number };
  readonly segmentKey: Float64Array;
  /** Storage slot (placement index) ↔ NodeTable id. */
  readonly slotNode: number[] = [];
  private slotOfNode: Int32Array;
  readonly info: MasternodeInfo[] = [];
  // Per slot (grown by addSlot).
  stakeOk: Uint8Array = new Uint8Array(0);
  up: Uint8Array = new Uint8Array(0);
  departed: Uint8Array = new Uint8Array(0);
  caught: Uint8Array = new Uint8Array(0);
  attacker: Uint8Array = new Uint8Array(0);
  withholding: Uint8Array = new Uint8Array(0);
  downEpoch: Uint32Array = new Uint32Array(0);
  reserved: Int32Array = new Int32Array(0);
  /** Failed and passed audits per slot: kept for the reward model (see `auditFailuresOf`, `auditsPassedOf`). */
  auditFailures: Uint32Array = new Uint32Array(0);
  auditPasses: Uint32Array = new Uint32Array(0);
  fetchFailuresBySlot: Uint32Array = new Uint32Array(0);
  // Per segment.
  readonly queue: SegmentHeap;
  readonly queuedAt: Float64Array;
  readonly repairing: Uint8Array;
  readonly retryPending: Uint8Array;
  private readonly jobs = new Map<number, RepairJob>();
  private nextJobId = 1;
  activeRepairs = 0;
  attackerSlots: number[] = [];
  attackerTargets = 0;
  readonly c: StorageCounters;
  readonly timeToRepair: Histogram;
  private repairBandwidthBps = 0;
  private lastBandwidthBytes = 0;
  private lastBandwidthT = 0;
  private readonly kinds: Record<"start" | "audit" | "detect" | "timer" | "retry" | "corrupt" | "attackStart" | "attackDiscard" | "tick", number>;
  private readonly msg: { fetch: number; shard: number; upload: number };
  private readonly detectionDelayUs: number;
  private readonly timeoutUs: number;
  private readonly retryUs: number;
  private readonly auditIntervalUs: number;

  constructor(world: World, p: StorageParams) {
    this.world = world;
    this.p = p;
    this.kernel = world.kernel;
    this.net = world.net;
    this.metrics = world.metrics;
    this.k = p.k;
    this.m = p.m;
    this.o = p.o;
    this.n = p.n;
    this.segments = p.videos * p.segmentsPerVideo;
    this.shardBytes = Math.ceil((p.segmentBytes + 16) / p.k);
    this.stakeMinWei = BigInt(p.stakeMinPop) * WEI_PER_POP;
    this.detectionDelayUs = parseDuration(p.repair.detectionDelay)!;
    this.timeoutUs = Math.max(1, parseDuration(p.repair.timeout)!);
    this.retryUs = Math.max(1, parseDuration(p.repair.retryInterval)!);
    this.auditIntervalUs = Math.max(1, parseDuration(p.audit.interval)!);
    this.slotOfNode = new Int32Array(Math.max(16, world.nodes.count * 2)).fill(-1);

    const k = this.kernel;
    this.kinds = {
      start: k.register("storage.start", (ctx) => this.onStart(ctx)),
      audit: k.register("storage.audit", (ctx, slot) => this.onAudit(ctx, slot)),
      detect: k.register("storage.detect", (ctx, slot, _d, epoch) => this.onDetect(ctx, slot, epoch)),
      timer: k.register("storage.repair_timer", (ctx, job) => this.onJobTimer(ctx, job)),
      retry: k.register("storage.repair_retry", (ctx, s) => this.onRetry(ctx, s)),
      corrupt: k.register("storage.corrupt", (ctx) => this.onCorrupt(ctx)),
      attackStart: k.register("storage.attack_start", (ctx) => this.onAttackStart(ctx)),
      attackDiscard: k.register("storage.attack_discard", (ctx) => this.onAttackDiscard(ctx)),
      tick: k.register("storage.bandwidth_tick", (ctx) => this.onBandwidthTick(ctx)),
    };
    this.msg = {
      fetch: this.net.on<FetchRequest>("storage.fetch", (ctx, to, from, req) => this.onFetch(ctx, to, from, req)),
      shard: this.net.on<ShardResponse>("storage.shard", (ctx, to, from, res) => this.onShard(ctx, to, from, res)),
      upload: this.net.on<Upload>("storage.upload", (ctx, to, from, up) => this.onUpload(ctx, to, from, up)),
    };

    this.ledger = new ShardLedger(this.segments, p.k, p.n, this.kernel, {
      onLost: (s) => this.onLost(s),
      onHealthChanged: (s) => this.onHealthChanged(s),
    });
    this.queue = new SegmentHeap(this.segments, this.ledger.healthy);
    this.queuedAt = new Float64Array(this.segments).fill(-1);
    this.repairing = new Uint8Array(this.segments);
    this.retryPending = new Uint8Array(this.segments);

    // Masternodes: the scenario's, then the attacker's (appended to the NodeTable so the network and faults see them).
    const stakeRng = this.kernel.rng("storage/stakes");
    for (const id of world.nodes.idsOfRole(ROLE_IDS.masternode)) this.addSlot(id, this.drawStake(stakeRng), false, id);
    const targets = this.addAttacker();

    this.table = buildPlacementTable(this.info, this.stakeMinWei);
    for (let slot = 0; slot < this.info.length; slot++) this.refreshEligibility(slot);
    const caps = spreadPolicy(this.table, this.n);
    this.policyCaps = { regionShardsMax: caps.regionShardsMax, operatorShardsMax: caps.operatorShardsMax };

    this.segmentKey = new Float64Array(this.segments);
    for (let s = 0; s < this.segments; s++) {
      this.segmentKey[s] = segmentKeyOf(`${videoId(Math.floor(s / p.segmentsPerVideo))}/segment-${s % p.segmentsPerVideo}`);
    }
    if (targets.length > 0) this.grindAttackerIds(targets);

    this.bytes = p.mode === "bytes" ? new ByteStore(this.kernel.seed, p.k, p.n, p.videos, p.segmentsPerVideo, p.segmentBytes) : null;
    invariant(this.bytes === null || this.bytes.shardLength() === this.shardBytes, "byte-mode shard length differs from metadata mode's");

    this.c = {
      audits: this.metrics.counter("storage.audits"),
      auditsFailed: this.metrics.counter("storage.audits_failed"),
      auditsSkippedOffline: this.metrics.counter("storage.audits_skipped_offline"),
      nodesCaught: this.metrics.counter("storage.nodes_caught"),
      shardsCorrupted: this.metrics.counter("storage.shards_corrupted"),
      repairsStarted: this.metrics.counter("storage.repairs_started"),
      repairsCompleted: this.metrics.counter("storage.repairs_completed"),
      repairsFailed: this.metrics.counter("storage.repairs_failed"),
      repairsDeferred: this.metrics.counter("storage.repairs_deferred"),
      repairBytes: this.metrics.counter("storage.repair_bytes"),
      repairFetchBytes: this.metrics.counter("storage.repair_fetch_bytes"),
      repairUploadBytes: this.metrics.counter("storage.repair_upload_bytes"),
      fetchFailures: this.metrics.counter("storage.fetch_failures"),
      placementRelaxed: this.metrics.counter("storage.placement_domains_relaxed"),
      placementShortfall: this.metrics.counter("storage.placement_shortfall"),
    };
    this.timeToRepair = this.metrics.histogram("storage.time_to_repair_s");
    const L = this.ledger;
    this.metrics.gauge("storage.segments_lost", () => L.segmentsLost);
    this.metrics.gauge("storage.segments_unavailable", () => L.segmentsUnavailable);
    this.metrics.gauge("storage.unavailable_episodes", () => L.unavailableEpisodes);
    this.metrics.gauge("storage.shards_healthy", () => L.healthyTotal);
    this.metrics.gauge("storage.shards_intact", () => L.intactTotal);
    this.metrics.gauge("storage.repair_queue", () => this.queue.length);
    this.metrics.gauge("storage.repairs_active", () => this.activeRepairs);
    this.metrics.gauge("storage.repair_bandwidth_bps", () => this.repairBandwidthBps);

    this.uploadAll();
    L.settle();
    if (p.tolerance.enabled) {
      runToleranceExperiment(this);
      recordClaimSection(this);
    }
    world.faults.onChange((ctx, node, up, cause) => this.onNodeChange(ctx, node, up, cause));
    world.faults.onArrive((_ctx, node) => {
      if (world.nodes.role[node] === ROLE_IDS.masternode) this.adoptArrival(node);
    });
    addStorageChecker(this);
    this.kernel.scheduleAt(0, this.kinds.start);
  }

  // ─── Nodes ────────────────────────────────────────────────────────────────────────────────────────────────

  private drawStake(rng: Prng): bigint {
    const min = this.p.stakeMinPop;
    // Below the bond: uniform in [min/2, min) whole POP. (With no minimum, no bond is below it.)
    if (rng.float() < this.p.stake.belowMinFraction && min > 0) {
      const lo = Math.floor(min / 2);
      return BigInt(lo + rng.int(min - lo)) * WEI_PER_POP;
    }
    const extra = this.p.stake.extraMeanPop > 0 ? Math.floor(exponential(rng, this.p.stake.extraMeanPop)) : 0;
    return BigInt(min + extra) * WEI_PER_POP;
  }

  private addSlot(node: number, stakeWei: bigint, isAttacker: boolean, placementId: number): number {
    const slot = this.ledger.addSlot(this.world.nodes.isUp(node));
    if (slot >= this.up.length) this.growSlots(Math.max(16, this.up.length * 2));
    this.slotNode.push(node);
    if (node >= this.slotOfNode.length) {
      const grown = new Int32Array(Math.max(node + 1, this.slotOfNode.length * 2)).fill(-1);
      grown.set(this.slotOfNode);
      this.slotOfNode = grown;
    }
    this.slotOfNode[node] = slot;
    const perOperator = this.p.masternodesPerOperator;
    this.info.push({
      nodeId: placementId,
      regionId: this.world.nodes.region[node],
      // Sybil attacker nodes present as independent operators; honest ones are grouped by slot.
      operatorId: isAttacker ? `attacker-${slot}` : `operator-${Math.floor(slot / perOperator)}`,
      stakeBondedWei: stakeWei,
      departed: false,
      capacityShards: this.p.capacityShardsPerNode,
    });
    this.stakeOk[slot] = stakeWei >= this.stakeMinWei ? 1 : 0;
    this.up[slot] = this.world.nodes.isUp(node) ? 1 : 0;
    this.attacker[slot] = isAttacker ? 1 : 0;
    return slot;
  }

  private growSlots(cap: number): void {
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a); return b; };
    const u32 = (a: Uint32Array) => { const b = new Uint32Array(cap); b.set(a); return b; };
    this.stakeOk = u8(this.stakeOk);
    this.up = u8(this.up);
    this.departed = u8(this.departed);
    this.caught = u8(this.caught);
    this.attacker = u8(this.attacker);
    this.withholding = u8(this.withholding);
    this.downEpoch = u32(this.downEpoch);
    this.auditFailures = u32(this.auditFailures);
    this.auditPasses = u32(this.auditPasses);
    this.fetchFailuresBySlot = u32(this.fetchFailuresBySlot);
    const r = new Int32Array(cap); r.set(this.reserved); this.reserved = r;
  }

  slotOf(node: number): number {
    return node < this.slotOfNode.length ? this.slotOfNode[node] : -1;
  }

  /** Failed audits of a NodeTable node (0 if it is not a storage masternode): for the reward model. */
  auditFailuresOf(node: number): number {
    const slot = this.slotOf(node);
    return slot < 0 ? 0 : this.auditFailures[slot];
  }

  /** Passed audits of a NodeTable node (0 if it is not a storage masternode): storage rewards are paid for these. */
  auditsPassedOf(node: number): number {
    const slot = this.slotOf(node);
    return slot < 0 ? 0 : this.auditPasses[slot];
  }

  /** Bytes of shards a NodeTable node holds now (0 if it is not a storage masternode): its storage cost. */
  storedBytesOf(node: number): number {
    const slot = this.slotOf(node);
    return slot < 0 ? 0 : this.ledger.nodeShardCount[slot] * this.shardBytes;
  }

  /** Whether placement may give this slot new shards: bonded, not departed or caught, and up. */
  private refreshEligibility(slot: number): void {
    const ok = this.stakeOk[slot] === 1 && this.departed[slot] === 0 && this.caught[slot] === 0 && this.up[slot] === 1;
    setNodeEligible(this.table, slot, ok);
  }

  /** The attacker's masternodes (appended to the NodeTable); returns the target segment of each ground node. */
  private addAttacker(): number[] {
    const a = this.p.attacker;
    if (!a.enabled || this.p.stakeMinPop === 0) return [];
    const count = Number(BigInt(a.budgetPop) / BigInt(this.p.stakeMinPop));
    const bw = this.world.scenario.network.bandwidth.masternode;
    const regions = this.world.nodes.regionCount;
    const perTarget = this.o - this.k + 1;
    const targets = a.strategy === "targeted" ? Math.min(a.targetSegments, Math.floor(count / perTarget), this.segments) : 0;
    this.attackerTargets = targets;
    const targetOf: number[] = [];
    for (let j = 0; j < count; j++) {
      // Round-robin regions: the attacker spreads its nodes so region caps do not keep them out.
      const node = this.world.nodes.add(ROLE_IDS.masternode, j % regions, bw.upMbps * 1e6, bw.downMbps * 1e6, NodeStatus.Online);
      const slot = this.addSlot(node, this.stakeMinWei, true, node);
      this.attackerSlots.push(slot);
      if (j < targets * perTarget) targetOf.push(Math.floor(j / perTarget));
    }
    return targetOf;
  }

  /**
   * Targeted attacker: choose each ground node's placement id so that its rendezvous weight for its target segment
   * beats every honest node's — rendezvous placement is public and deterministic, so ids can be mined offline.
   * Against random placement this buys nothing (the ids are unused by the draw), which is the point of comparing.
   */
  private grindAttackerIds(targetOf: number[]): void {
    let candidate = GROUND_ID_BASE;
    for (let j = 0; j < targetOf.length; j++) {
      const slot = this.attackerSlots[j];
      const key = this.segmentKey[targetOf[j]];
      let best = -1;
      for (let h = 0; h < this.info.length; h++) {
        if (this.attacker[h] === 1 || this.table.eligible[h] === 0) continue;
        const w = rendezvousWeight(key, this.info[h].nodeId);
        if (w > best) best = w;
      }
      let bestId = candidate, bestW = -1;
      for (let t = 0; t < GRIND_TRIES_MAX; t++) {
        const id = candidate++;
        const w = rendezvousWeight(key, id);
        if (w > bestW) { bestW = w; bestId = id; }
        if (w > best) break;
      }
      this.info[slot] = { ...this.info[slot], nodeId: bestId };
    }
    // Rebuild with the ground ids (same slot order, so indexes do not move).
    const eligible = this.table.eligible.slice();
    this.table = buildPlacementTable(this.info, this.stakeMinWei);
    this.table.eligible.set(eligible);
  }

  private adoptArrival(node: number): void {
    const slot = this.addSlot(node, this.drawStake(this.kernel.rng("storage/stakes")), false, node);
    // The table is rebuilt with the newcomer appended: existing indexes, usage and eligibility carry over, and
    // rendezvous weights depend on node ids only, so no existing placement changes.
    const used = this.table.usedShards;
    const eligible = this.table.eligible;
    this.table = buildPlacementTable(this.info, this.stakeMinWei);
    this.table.usedShards.set(used);
    this.table.eligible.set(eligible);
    this.refreshEligibility(slot);
    // Newcomers are audited like everyone else, from a random phase of the interval.
    if (this.p.audit.enabled) this.kernel.schedule(this.kernel.rng("storage/audit/phase").float() * this.auditIntervalUs, this.kinds.audit, slot);
  }

  // ─── Upload ───────────────────────────────────────────────────────────────────────────────────────────────

  private policy(shardCount: number): PlacementPolicy {
    return { shardCount, regionShardsMax: this.policyCaps.regionShardsMax, operatorShardsMax: this.policyCaps.operatorShardsMax };
  }

  private place(s: number, shardCount: number, keep: number[]): Int32Array {
    const r = this.p.placement === "rendezvous"
      ? placeRendezvous(this.table, this.segmentKey[s], this.policy(shardCount), keep)
      : placeRandom(this.table, shardCount, this.kernel.rng("storage/placement"), keep);
    this.c.placementRelaxed.add(r.relaxedCount);
    this.c.placementShortfall.add(r.shortfall);
    return r.holders;
  }

  /** The initial upload: o holders per segment, shard indexes 0..o−1 (the n − o long tail cancelled). */
  private uploadAll(): void {
    for (let s = 0; s < this.segments; s++) {
      const holders = this.place(s, this.o, []);
      for (let j = 0; j < holders.length; j++) {
        const slot = holders[j];
        this.table.usedShards[slot]++;
        this.ledger.attach(s * this.n + j, slot);
        if (this.bytes !== null) this.bytes.store(s, j, this.bytes.canonical[s][j]);
      }
    }
  }

  // ─── Node changes ─────────────────────────────────────────────────────────────────────────────────────────

  /** t = 0: faults.start() set initial statuses without notifying; sync, then start audits and processes. */
  private onStart(ctx: SimContext): void {
    for (let slot = 0; slot < this.slotNode.length; slot++) {
      const isUp = this.world.nodes.isUp(this.slotNode[slot]);
      if (isUp !== (this.up[slot] === 1)) this.setUp(ctx, slot, isUp, "churn");
    }
    if (this.p.audit.enabled) {
      const phase = ctx.rng("storage/audit/phase");
      for (let slot = 0; slot < this.slotNode.length; slot++) ctx.schedule(phase.float() * this.auditIntervalUs, this.kinds.audit, slot);
    }
    if (this.p.corruption.shardsPerDay > 0) ctx.schedule(exponential(ctx.rng("storage/corruption"), DAY / this.p.corruption.shardsPerDay), this.kinds.corrupt);
    if (this.attackerSlots.length > 0) {
      const start = parseDuration(this.p.attacker.startAt)!;
      ctx.scheduleAt(start, this.kinds.attackStart);
      ctx.scheduleAt(Math.max(start, parseDuration(this.p.attacker.answerAuditsUntil)!), this.kinds.attackDiscard);
    }
    const interval = parseDuration(this.world.scenario.metrics.interval)!;
    if (interval > 0 && interval <= this.world.durationUs) ctx.schedule(interval, this.kinds.tick);
    this.pump(ctx);
  }

  private onNodeChange(ctx: SimContext, node: number, isUp: boolean, cause: NodeChangeCause): void {
    const slot = this.slotOf(node);
    if (slot < 0) return;
    this.setUp(ctx, slot, isUp, cause);
    this.pump(ctx);
  }

  private setUp(ctx: SimContext, slot: number, isUp: boolean, cause: NodeChangeCause): void {
    const L = this.ledger;
    if (cause === "depart") {
      // Ground truth: the bytes leave with the node. The model learns it only through the detection delay.
      this.departed[slot] = 1;
      const list = L.nodeShards[slot];
      for (let p = L.nodeShardCount[slot] - 1; p >= 0; p--) this.destroy(list[p], FLAG_ABSENT);
    }
    this.up[slot] = isUp ? 1 : 0;
    this.downEpoch[slot]++;
    this.refreshEligibility(slot);
    L.setServing(slot, isUp && this.withholding[slot] === 0);
    if (!isUp) {
      if (this.p.repair.enabled) ctx.schedule(this.detectionDelayUs, this.kinds.detect, slot, undefined, this.downEpoch[slot]);
      return;
    }
    const list = L.nodeShards[slot];
    for (let p = L.nodeShardCount[slot] - 1; p >= 0; p--) L.setSuspect(list[p], false);
  }

  private onDetect(ctx: SimContext, slot: number, epoch: number): void {
    if (epoch !== this.downEpoch[slot] || this.up[slot] === 1) return;
    const L = this.ledger;
    const list = L.nodeShards[slot];
    for (let p = L.nodeShardCount[slot] - 1; p >= 0; p--) L.setSuspect(list[p], true);
    this.pump(ctx);
  }

  /** Ground-truth damage to shard i (byte mode changes the holder's copy to match). */
  private destroy(i: number, bit: number): void {
    this.ledger.damage(i, bit);
    if (this.bytes !== null) {
      if (bit === FLAG_ABSENT) this.bytes.drop(i);
      else this.bytes.corrupt(i);
    }
  }

  /** The model stops counting on shard i (audit failed, holder caught, fetch showed it bad). */
  private dropShard(i: number): void {
    const slot = this.ledger.detach(i, true);
    this.releaseCapacity(slot);
    if (this.bytes !== null) this.bytes.drop(i);
  }

  private releaseCapacity(slot: number): void {
    invariant(this.table.usedShards[slot] > 0, () => `storage: slot ${slot} has no shard to release`);
    this.table.usedShards[slot]--;
  }

  private catchNode(slot: number): void {
    if (this.caught[slot] === 1) return;
    this.caught[slot] = 1;
    this.c.nodesCaught.add(1);
    this.refreshEligibility(slot);
    const L = this.ledger;
    const list = L.nodeShards[slot];
    for (let p = L.nodeShardCount[slot] - 1; p >= 0; p--) this.dropShard(list[p]);
  }

  // ─── Audits ───────────────────────────────────────────────────────────────────────────────────────────────

  private onAudit(ctx: SimContext, slot: number): void {
    if (this.departed[slot] === 1 || this.caught[slot] === 1) return; // no one audits a node that is gone
    ctx.schedule(this.auditIntervalUs, this.kinds.audit, slot);
    if (this.up[slot] === 0) {
      this.c.auditsSkippedOffline.add(1);
      return;
    }
    const L = this.ledger;
    const count = L.nodeShardCount[slot];
    if (count === 0) return;
    const rng = ctx.rng("storage/audit");
    const i = L.nodeShards[slot][rng.int(count)];
    // The challenge: a fresh nonce and a byte range, drawn in both modes so the stream stays aligned.
    const nonce = new Uint8Array(16);
    for (let w = 0; w < 4; w++) {
      const x = rng.u32();
      nonce[4 * w] = x & 0xff; nonce[4 * w + 1] = (x >>> 8) & 0xff; nonce[4 * w + 2] = (x >>> 16) & 0xff; nonce[4 * w + 3] = x >>> 24;
    }
    const whole = this.p.audit.challenge === "shard-hash";
    const length = whole ? this.shardBytes : Math.min(this.p.audit.rangeBytes, this.shardBytes);
    const offset = whole ? 0 : rng.int(this.shardBytes - length + 1);
    const pass = (L.flags[i] & DAMAGED) === 0;
    if (this.bytes !== null) {
      const s = Math.floor(i / this.n);
      const answer = this.bytes.answer(i, nonce, offset, length);
      const expected = this.bytes.expected(s, i % this.n, nonce, offset, length);
      invariant(sameBytes(answer, expected) === pass, () => `storage: byte-mode audit of shard ${i} disagrees with its flags (${L.flags[i]})`);
    }
    this.c.audits.add(1);
    ctx.traceMix(pass ? 1 : 2);
    if (pass) this.auditPasses[slot]++;
    if (!pass) {
      this.c.auditsFailed.add(1);
      this.auditFailures[slot]++;
      this.dropShard(i);
      if (this.auditFailures[slot] >= this.p.audit.failuresBeforeIneligible) this.catchNode(slot);
      this.pump(ctx);
    }
  }

  // ─── Repair queue ─────────────────────────────────────────────────────────────────────────────────────────

  private onHealthChanged(s: number): void {
    if (!this.p.repair.enabled || this.ledger.lost[s] === 1) return;
    if (this.ledger.healthy[s] < this.m) {
      if (this.queuedAt[s] < 0) this.queuedAt[s] = this.kernel.now;
      if (this.repairing[s] === 0 && this.retryPending[s] === 0) this.queue.push(s);
    } else {
      this.queue.remove(s);
      if (this.repairing[s] === 0) this.queuedAt[s] = -1;
    }
  }

  private onLost(s: number): void {
    this.queue.remove(s);
    this.queuedAt[s] = -1;
    this.kernel.traceMix(0x1057 + s);
  }

  /** Start repairs while capacity allows (called at the end of every handler that can change health). */
  private pump(ctx: SimContext): void {
    while (this.activeRepairs < this.p.repair.concurrencyMax && this.queue.length > 0) this.startRepair(ctx, this.queue.pop());
  }

  private onRetry(ctx: SimContext, s: number): void {
    this.retryPending[s] = 0;
    this.onHealthChanged(s);
    this.pump(ctx);
  }

  private scheduleRetry(ctx: SimContext, s: number): void {
    if (this.retryPending[s] === 1 || this.ledger.lost[s] === 1) return;
    this.retryPending[s] = 1;
    ctx.schedule(this.retryUs, this.kinds.retry, s);
  }

  /** A healthy holder the model believes can serve: referenced, not suspect, up. */
  private isSource(i: number): boolean {
    const slot = this.ledger.holder[i];
    return slot >= 0 && (this.ledger.flags[i] & FLAG_SUSPECT) === 0 && this.up[slot] === 1;
  }

  private startRepair(ctx: SimContext, s: number): void {
    const L = this.ledger;
    if (L.lost[s] === 1 || L.healthy[s] >= this.m) return;
    const order: number[] = [];
    for (let j = 0; j < this.n; j++) if (this.isSource(s * this.n + j)) order.push(j);
    const repairer = order.length >= this.k ? this.pickRepairer(ctx, s) : -1;
    if (repairer < 0) {
      this.c.repairsDeferred.add(1);
      this.scheduleRetry(ctx, s);
      return;
    }
    // A random source order, so a retry does not ask the same silent holders again.
    shuffle(ctx.rng("storage/repair"), order);
    const job: RepairJob = {
      id: this.nextJobId++, segment: s, repairer, phase: Phase.Fetch, order, next: 0, state: new Uint8Array(this.n),
      outstanding: 0, got: 0, fetched: this.bytes !== null ? new Array(this.n).fill(null) : null, rebuilt: null,
      uploadIndex: [], uploadSlot: [], uploadDone: new Uint8Array(0), pendingUploads: 0, timer: 0 as EventHandle,
    };
    this.jobs.set(job.id, job);
    this.activeRepairs++;
    this.repairing[s] = 1;
    this.c.repairsStarted.add(1);
    ctx.traceMix(repairer);
    job.timer = ctx.schedule(this.timeoutUs, this.kinds.timer, job.id);
    this.requestMore(ctx, job);
  }

  /** A random up, eligible masternode that holds no healthy shard of s (bounded tries, then a scan). */
  private pickRepairer(ctx: SimContext, s: number): number {
    const rng = ctx.rng("storage/repair");
    const slots = this.slotNode.length;
    const ok = (slot: number): boolean => {
      if (this.table.eligible[slot] === 0) return false;
      for (let j = 0; j < this.n; j++) if (this.ledger.holder[s * this.n + j] === slot) return false;
      return true;
    };
    for (let t = 0; t < 16; t++) {
      const slot = rng.int(slots);
      if (ok(slot)) return slot;
    }
    const from = rng.int(slots);
    for (let d = 0; d < slots; d++) {
      const slot = (from + d) % slots;
      if (ok(slot)) return slot;
    }
    return -1;
  }

  private requestMore(ctx: SimContext, job: RepairJob): void {
    const s = job.segment;
    while (job.outstanding + job.got < this.k && job.next < job.order.length) {
      const j = job.order[job.next++];
      if (job.state[j] !== Src.Untried || !this.isSource(s * this.n + j)) continue;
      const holder = this.ledger.holder[s * this.n + j];
      const r = this.net.send<FetchRequest>(this.slotNode[job.repairer], this.slotNode[holder], this.msg.fetch, REQUEST_BYTES, { job: job.id, s, j });
      if (r === "sender-down") {
        this.finishJob(ctx, job, false);
        return;
      }
      if (r === "partitioned" || r === "queue-full") {
        job.state[j] = Src.Failed;
        continue;
      }
      job.state[j] = Src.Requested;
      job.outstanding++;
    }
    if (job.outstanding === 0 && job.got < this.k) this.finishJob(ctx, job, false);
  }

  /** A holder receives a fetch request: it sends its shard, says it has none, or (withholding) stays silent. */
  private onFetch(_ctx: SimContext, holderNode: number, repairerNode: number, req: FetchRequest): void {
    const slot = this.slotOf(holderNode);
    if (slot < 0 || this.withholding[slot] === 1) return;
    // The holder answers from what it stores; it knows nothing of jobs (a finished job's answer is ignored).
    const i = req.s * this.n + req.j;
    const has = this.ledger.holder[i] === slot && (this.ledger.flags[i] & FLAG_ABSENT) === 0;
    const bytes = has ? this.shardBytes : REQUEST_BYTES;
    const res: ShardResponse = {
      job: req.job, j: req.j, slot, ok: has && (this.ledger.flags[i] & FLAG_CORRUPT) === 0,
      bytes: has && this.bytes !== null ? this.bytes.stored[i] : null,
    };
    const sent = this.net.send<ShardResponse>(holderNode, repairerNode, this.msg.shard, bytes, res);
    if (sent === "sent" || sent === "lost") this.countRepairBytes(bytes, true);
  }

  private countRepairBytes(bytes: number, fetch: boolean): void {
    this.c.repairBytes.add(bytes);
    (fetch ? this.c.repairFetchBytes : this.c.repairUploadBytes).add(bytes);
  }

  private onShard(ctx: SimContext, _repairerNode: number, _holderNode: number, res: ShardResponse): void {
    const job = this.jobs.get(res.job);
    if (job === undefined || job.phase !== Phase.Fetch || job.state[res.j] !== Src.Requested) return;
    job.outstanding--;
    const i = job.segment * this.n + res.j;
    let good = res.ok;
    if (this.bytes !== null) {
      const s = job.segment;
      const verified = res.bytes !== null && verifyShard(res.bytes, this.bytes.manifests[s].shardHashes[res.j]);
      invariant(verified === good, () => `storage: byte-mode fetch of shard ${i} disagrees with its flags`);
    }
    ctx.traceMix(good ? 3 : 4);
    if (good) {
      job.state[res.j] = Src.Got;
      job.got++;
      if (job.fetched !== null) job.fetched[res.j] = res.bytes;
    } else {
      job.state[res.j] = Src.Failed;
      this.c.fetchFailures.add(1);
      this.fetchFailuresBySlot[res.slot]++;
      // The repairer saw a bad or missing shard: the model stops counting on it.
      if (this.ledger.holder[i] === res.slot) this.dropShard(i);
    }
    if (job.got >= this.k) this.beginUpload(ctx, job);
    else this.requestMore(ctx, job);
    this.pump(ctx);
  }

  private beginUpload(ctx: SimContext, job: RepairJob): void {
    const L = this.ledger;
    const s = job.segment;
    if (L.lost[s] === 1) {
      this.finishJob(ctx, job, false);
      return;
    }
    ctx.cancel(job.timer);
    job.phase = Phase.Upload;
    if (this.bytes !== null) job.rebuilt = this.bytes.rebuild(s, job.fetched!);
    const need = this.o - L.healthy[s];
    if (need <= 0) {
      this.finishJob(ctx, job, true);
      return;
    }
    // Targets: suspect shards first (their holders are gone past the delay), then empty indexes, lowest first.
    const targets: number[] = [];
    for (let j = 0; j < this.n && targets.length < need; j++) {
      const i = s * this.n + j;
      if (L.holder[i] >= 0 && (L.flags[i] & FLAG_SUSPECT) !== 0) targets.push(j);
    }
    for (let j = 0; j < this.n && targets.length < need; j++) if (L.holder[s * this.n + j] < 0) targets.push(j);
    const keep: number[] = [];
    for (let j = 0; j < this.n; j++) {
      const h = L.holder[s * this.n + j];
      if (h >= 0 && !targets.includes(j)) keep.push(h);
    }
    const holders = this.place(s, keep.length + targets.length, keep);
    const fresh = holders.length - keep.length;
    job.uploadDone = new Uint8Array(fresh);
    const repairerNode = this.slotNode[job.repairer];
    const serving = this.up[job.repairer] === 1 && this.withholding[job.repairer] === 0;
    for (let t = 0; t < fresh; t++) {
      const slot = holders[keep.length + t];
      this.table.usedShards[slot]++;
      this.reserved[slot]++;
      job.uploadIndex.push(targets[t]);
      job.uploadSlot.push(slot);
      job.pendingUploads++;
      ctx.traceMix(slot);
      // A withholding repairer takes the job and never uploads (the timer fails it).
      if (!serving) continue;
      const r = this.net.send<Upload>(repairerNode, this.slotNode[slot], this.msg.upload, this.shardBytes, { job: job.id, t });
      if (r === "sent" || r === "lost") this.countRepairBytes(this.shardBytes, false);
    }
    if (job.pendingUploads === 0) {
      this.finishJob(ctx, job, L.healthy[s] >= this.m);
      return;
    }
    job.timer = ctx.schedule(this.timeoutUs, this.kinds.timer, job.id);
  }

  private onUpload(ctx: SimContext, _holderNode: number, _repairerNode: number, up: Upload): void {
    const job = this.jobs.get(up.job);
    if (job === undefined || job.phase !== Phase.Upload || job.uploadDone[up.t] === 1) return;
    job.uploadDone[up.t] = 1;
    job.pendingUploads--;
    const slot = job.uploadSlot[up.t];
    const j = job.uploadIndex[up.t];
    const s = job.segment;
    this.reserved[slot]--;
    if (this.ledger.lost[s] === 1) {
      this.releaseCapacity(slot);
    } else {
      const old = this.ledger.replace(s * this.n + j, slot);
      if (old >= 0) this.releaseCapacity(old);
      if (this.bytes !== null) this.bytes.store(s, j, job.rebuilt![j]);
    }
    if (job.pendingUploads === 0) this.finishJob(ctx, job, true);
    this.pump(ctx);
  }

  private onJobTimer(ctx: SimContext, id: number): void {
    const job = this.jobs.get(id);
    if (job === undefined) return;
    if (job.phase === Phase.Upload) {
      this.finishJob(ctx, job, false);
    } else {
      // Every request still unanswered counts as a failed source; ask others.
      for (let j = 0; j < this.n; j++) {
        if (job.state[j] !== Src.Requested) continue;
        job.state[j] = Src.Failed;
        this.c.fetchFailures.add(1);
        const h = this.ledger.holder[job.segment * this.n + j];
        if (h >= 0) this.fetchFailuresBySlot[h]++;
      }
      job.outstanding = 0;
      job.timer = ctx.schedule(this.timeoutUs, this.kinds.timer, job.id);
      this.requestMore(ctx, job);
    }
    this.pump(ctx);
  }

  private finishJob(ctx: SimContext, job: RepairJob, ok: boolean): void {
    if (!this.jobs.delete(job.id)) return;
    ctx.cancel(job.timer);
    this.activeRepairs--;
    const s = job.segment;
    this.repairing[s] = 0;
    for (let t = 0; t < job.uploadDone.length; t++) {
      if (job.uploadDone[t] === 1) continue;
      const slot = job.uploadSlot[t];
      this.reserved[slot]--;
      this.releaseCapacity(slot);
      ok = false;
    }
    const L = this.ledger;
    if (ok) this.c.repairsCompleted.add(1);
    else this.c.repairsFailed.add(1);
    ctx.traceMix(ok ? 5 : 6);
    if (L.lost[s] === 1) return;
    if (L.healthy[s] >= this.m) {
      if (this.queuedAt[s] >= 0) this.timeToRepair.observe((ctx.now - this.queuedAt[s]) / SECOND);
      this.queuedAt[s] = -1;
    } else if (ok) {
      this.onHealthChanged(s); // uploads landed but holders failed meanwhile: queue again at once
    } else {
      this.scheduleRetry(ctx, s);
    }
  }

  // ─── Corruption, attack, bandwidth ────────────────────────────────────────────────────────────────────────

  private onCorrupt(ctx: SimContext): void {
    const rng = ctx.rng("storage/corruption");
    ctx.schedule(exponential(rng, DAY / this.p.corruption.shardsPerDay), this.kinds.corrupt);
    for (let t = 0; t < 16; t++) {
      const i = rng.int(this.segments) * this.n + rng.int(this.n);
      if (!this.ledger.isIntact(i)) continue;
      this.destroy(i, FLAG_CORRUPT);
      this.c.shardsCorrupted.add(1);
      ctx.traceMix(i);
      break;
    }
    this.pump(ctx);
  }

  private onAttackStart(ctx: SimContext): void {
    if (!this.p.attacker.withhold) return;
    for (const slot of this.attackerSlots) {
      this.withholding[slot] = 1;
      this.ledger.setServing(slot, false);
    }
    this.pump(ctx);
  }

  private onAttackDiscard(ctx: SimContext): void {
    const L = this.ledger;
    for (const slot of this.attackerSlots) {
      const list = L.nodeShards[slot];
      for (let p = L.nodeShardCount[slot] - 1; p >= 0; p--) this.destroy(list[p], FLAG_ABSENT);
    }
    this.pump(ctx);
  }

  private onBandwidthTick(ctx: SimContext): void {
    const interval = parseDuration(this.world.scenario.metrics.interval)!;
    const dt = (ctx.now - this.lastBandwidthT) / SECOND;
    if (dt > 0) this.repairBandwidthBps = ((this.c.repairBytes.value - this.lastBandwidthBytes) * 8) / dt;
    this.lastBandwidthBytes = this.c.repairBytes.value;
    this.lastBandwidthT = ctx.now;
    if (ctx.now + interval <= this.world.durationUs) ctx.schedule(interval, this.kinds.tick);
  }

  // ─── End of run ───────────────────────────────────────────────────────────────────────────────────────────

  finish(): void {
    const L = this.ledger;
    L.flush();
    const m = this.metrics;
    const T = Math.max(1, this.kernel.now);
    let eligible = 0;
    for (let slot = 0; slot < this.slotNode.length; slot++) if (this.stakeOk[slot] === 1 && this.departed[slot] === 0 && this.caught[slot] === 0) eligible++;
    let withFailures = 0;
    for (let slot = 0; slot < this.slotNode.length; slot++) if (this.auditFailures[slot] > 0) withFailures++;
    m.summary("storage.segments", this.segments);
    m.summary("storage.masternodes", this.slotNode.length);
    m.summary("storage.masternodes_eligible", eligible);
    m.summary("storage.attacker_nodes", this.attackerSlots.length);
    m.summary("storage.attacker_target_segments", this.attackerTargets);
    m.summary("storage.nodes_with_audit_failures", withFailures);
    m.summary("storage.stored_bytes", L.intactTotal * this.shardBytes);
    m.summary("storage.fraction_segments_lost", this.segments > 0 ? L.segmentsLost / this.segments : 0);
    m.summary("storage.availability", this.segments > 0 ? 1 - L.unavailableTime / (this.segments * T) : 1);
    if (this.bytes !== null) {
      const { opened, mismatched } = this.openEverySegment();
      m.summary("storage.bytes_segments_opened", opened);
      m.summary("storage.bytes_segments_mismatched", mismatched);
    }
    if (this.p.durability.enabled) recordDurability(this);
  }

  /**
   * Byte mode's end-to-end check: open every segment not lost from what its holders store (through the manifest
   * hashes, RS decode and GCM) and compare with the regenerated plaintext. Returns counts; a mismatch is a bug.
   */
  openEverySegment(): { opened: number; mismatched: number; unopenable: number } {
    const b = this.bytes!;
    let opened = 0, mismatched = 0, unopenable = 0;
    for (let s = 0; s < this.segments; s++) {
      const copies: (Uint8Array | null)[] = [];
      for (let j = 0; j < this.n; j++) copies.push(this.ledger.holder[s * this.n + j] >= 0 ? b.stored[s * this.n + j] : null);
      const r = b.open(s, copies);
      if (this.ledger.lost[s] === 1) {
        if (r.ok) mismatched++; // reported lost but recoverable: the ledger is wrong
        continue;
      }
      if (!r.ok) {
        unopenable++;
        continue;
      }
      opened++;
      if (!sameBytes(r.plaintext, b.plaintextOf(s))) mismatched++;
    }
    return { opened, mismatched: mismatched + unopenable, unopenable };
  }
}

const STORAGE_SLOT = Symbol("popsim.storage");

/** The storage model of a world, if it is enabled in it (the reward model reads audits and stored bytes). */
export function storageOf(world: World): StorageModel | undefined {
  return (world as World & { [STORAGE_SLOT]?: StorageModel })[STORAGE_SLOT];
}

/** Build the plugin; `onModel` lets tests reach the model of a run (the registry uses the plain `storagePlugin`). */
export function makeStoragePlugin(onModel?: (model: StorageModel) => void): ModelPlugin {
  // Keyed by world, so two runs interleaved in one process (a sweep worker) never share a model.
  const models = new Map<World, StorageModel>();
  return {
    name: "storage",
    setup(world) {
      const p = world.scenario.models.storage;
      if (!p.enabled) return;
      const model = new StorageModel(world, p);
      models.set(world, model);
      (world as World & { [STORAGE_SLOT]?: StorageModel })[STORAGE_SLOT] = model;
      onModel?.(model);
    },
    finish(world) {
      const model = models.get(world);
      models.delete(world);
      model?.finish();
    },
  };
}

export const storagePlugin: ModelPlugin = makeStoragePlugin();
