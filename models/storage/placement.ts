/**
 * Shard placement: which masternodes hold the n shards of a segment.
 *
 * Purpose: the placement policies compared in durability runs (DOMAIN.md §a "Shard placement"): rendezvous
 * (highest-random-weight) hashing with failure-domain spreading, and uniform random placement (the baseline
 * the hypergeometric formulas in theory.ts describe). The same code serves byte mode and metadata mode.
 *
 * Method (rendezvous):
 * - Every (segment, node) pair gets a weight from a small integer hash (a murmur3 fmix32 round over two
 *   32-bit segment lanes and a per-node key; no crypto in the hot path). The segment's holders are chosen by a
 *   greedy scan of the eligible nodes in descending weight order (ties: smaller nodeId first): a node is
 *   taken while its region and its operator are below their shard caps, until n are chosen.
 * - "Where possible": if the strict scan runs out of nodes before n (fewer domains than the caps allow),
 *   a second scan takes the best remaining nodes ignoring the caps, and the result says how many shards were
 *   placed that way (`relaxedCount`, `domainsRelaxed`). If there are fewer eligible nodes than n, `shortfall`
 *   says how many shards have no holder.
 * - Stability: a node that holds none of a segment's shards influences that segment's scan only by being
 *   skipped, so removing it (departure, stake below minimum, full) changes no other segment's placement —
 *   the rendezvous property, kept under caps because caps count only chosen nodes. For segments it did hold,
 *   `keep` re-places only the lost shards: survivors are kept and pre-counted against the caps, and the scan
 *   fills the gap, so no surviving shard moves.
 * - Speed: the full order is never sorted. Weights are uniform 32-bit values, so the top-m nodes are (almost
 *   exactly) those above the threshold 2^32·(1 − m/N), with m ≈ 2n. That band is collected during the hashing
 *   pass into m weight buckets (bucket order = weight order, about one node per bucket), and the greedy scan
 *   walks the buckets from the top, sorting inside each. If the scan does not finish inside the band, it
 *   continues with the next band down (twice as many nodes), so the result is exactly that of a scan over
 *   the full order, and the usual cost is one hash per node plus O(n).
 *
 * Method (random): n distinct nodes drawn uniformly from the eligible ones with spare capacity by a partial
 * Fisher–Yates shuffle driven by the caller's Prng; nodes are listed in ascending nodeId order first, so the
 * result depends only on the node set and the stream, not on the order the table was built in.
 *
 * Node state lives in a struct-of-arrays table (typed arrays, dense indexes) so the per-segment loop touches
 * only flat memory. Functions return node *indexes* into the table; `table.nodeId[index]` gives the id.
 */
import type { Prng } from "../../sim/kernel/prng.ts";
import { fmix32 } from "../../sim/kernel/hash.ts";

/** What placement needs to know about a masternode. */
export interface MasternodeInfo {
  /** Stable unique integer id in [0, 2^53). */
  readonly nodeId: number;
  readonly regionId: number | string;
  readonly operatorId: number | string;
  readonly stakeBondedWei: bigint;
  readonly departed: boolean;
  /** Shards this node is willing to hold. */
  readonly capacityShards: number;
}

export interface PlacementTable {
  readonly count: number;
  readonly nodeId: Float64Array;
  /** Dense region / operator indexes (first-appearance order) and how many distinct ones exist. */
  readonly region: Int32Array;
  readonly operator: Int32Array;
  readonly regionCount: number;
  readonly operatorCount: number;
  /** 1 if the node may receive new shards (bonded stake ≥ minimum and not departed). Update via setNodeEligible. */
  readonly eligible: Uint8Array;
  readonly capacityShards: Float64Array;
  /** Shards currently assigned; maintained by commitPlacement / releaseShards. */
  readonly usedShards: Float64Array;
  /** Hash key of each node (derived from nodeId only). */
  readonly nodeKey: Int32Array;
  /** Tie-break rank: higher wins; ascending nodeId gets descending rank. */
  readonly tieRank: Int32Array;
  /** Node indexes in ascending nodeId order. */
  readonly byNodeId: Int32Array;
  readonly indexOfNodeId: ReadonlyMap<number, number>;
  /** Per-call working memory, reused so the hot loop allocates nothing per node. */
  readonly scratch: PlacementScratch;
}

interface PlacementScratch {
  readonly keys: Float64Array;
  /** Random placement's candidate list. */
  readonly candidateIndex: Int32Array;
  /** Rendezvous weight of each node for the current segment, −1 if it cannot take a shard. */
  readonly nodeWeight: Float64Array;
  /** Weight buckets of the band being scanned: first node index per bucket, and the next node in it. */
  readonly bucketHead: Int32Array;
  readonly bucketNext: Int32Array;
  readonly mark: Uint8Array;
  readonly regionUsed: Int32Array;
  readonly operatorUsed: Int32Array;
  readonly indexByTieRank: Int32Array;
}

export interface PlacementPolicy {
  /** n: shards per segment. */
  readonly shardCount: number;
  /** At most this many of a segment's shards per region (1 = one per region). */
  readonly regionShardsMax: number;
  /** At most this many of a segment's shards per operator. */
  readonly operatorShardsMax: number;
}

export interface PlacementResult {
  /** Node indexes: the kept holders first (as given), then new holders in preference order. */
  readonly holders: Int32Array;
  /** Shards placed by the fallback scan that ignores region/operator caps. */
  readonly relaxedCount: number;
  /** True when any shard had to be placed ignoring failure-domain caps. */
  readonly domainsRelaxed: boolean;
  /** Shards with no holder because fewer than n eligible nodes with spare capacity exist. */
  readonly shortfall: number;
}

/** More nodes than this cannot be packed with a tie-break rank into an exact float64 key. */
export const PLACEMENT_NODES_MAX = 1 << 21;

const TWO_POW_32 = 4294967296;
const TIE_SCALE = PLACEMENT_NODES_MAX; // key = weight · 2^21 + tieRank < 2^53
const TIE_SCALE_INV = 1 / TIE_SCALE;
const NODE_SALT = 0x5bd1e995;
const SEGMENT_SALT_A = 0x27d4eb2f;
const SEGMENT_SALT_B = 0x165667b1;
const EMPTY: readonly number[] = [];

/** Eligibility rule: bonded stake at or above the minimum and not departed. */
export function isEligible(node: MasternodeInfo, stakeMinWei: bigint): boolean {
  return !node.departed && node.stakeBondedWei >= stakeMinWei;
}

/** Build the table once per network; then update eligibility and usage in place as the run proceeds. */
export function buildPlacementTable(nodes: readonly MasternodeInfo[], stakeMinWei: bigint): PlacementTable {
  const count = nodes.length;
  if (count > PLACEMENT_NODES_MAX) throw new RangeError(`placement: at most ${PLACEMENT_NODES_MAX} nodes`);
  const nodeId = new Float64Array(count);
  const region = new Int32Array(count);
  const operator = new Int32Array(count);
  const eligible = new Uint8Array(count);
  const capacityShards = new Float64Array(count);
  const nodeKey = new Int32Array(count);
  const regionIndex = new Map<number | string, number>();
  const operatorIndex = new Map<number | string, number>();
  const indexOfNodeId = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const node = nodes[i];
    if (!Number.isSafeInteger(node.nodeId) || node.nodeId < 0) throw new RangeError(`placement: bad nodeId ${node.nodeId}`);
    if (indexOfNodeId.has(node.nodeId)) throw new RangeError(`placement: duplicate nodeId ${node.nodeId}`);
    indexOfNodeId.set(node.nodeId, i);
    nodeId[i] = node.nodeId;
    region[i] = denseIndex(regionIndex, node.regionId);
    operator[i] = denseIndex(operatorIndex, node.operatorId);
    eligible[i] = isEligible(node, stakeMinWei) ? 1 : 0;
    capacityShards[i] = node.capacityShards;
    nodeKey[i] = nodeHashKey(node.nodeId);
  }
  const byNodeId = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => nodeId[a] - nodeId[b]);
  const tieRank = new Int32Array(count);
  const indexByTieRank = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const i = byNodeId[r];
    tieRank[i] = count - 1 - r;
    indexByTieRank[count - 1 - r] = i;
  }
  return {
    count,
    nodeId,
    region,
    operator,
    regionCount: regionIndex.size,
    operatorCount: operatorIndex.size,
    eligible,
    capacityShards,
    usedShards: new Float64Array(count),
    nodeKey,
    tieRank,
    byNodeId,
    indexOfNodeId,
    scratch: {
      keys: new Float64Array(count),
      candidateIndex: new Int32Array(count),
      nodeWeight: new Float64Array(count),
      bucketHead: new Int32Array(Math.max(1, count)),
      bucketNext: new Int32Array(count),
      mark: new Uint8Array(count),
      regionUsed: new Int32Array(regionIndex.size),
      operatorUsed: new Int32Array(operatorIndex.size),
      indexByTieRank,
    },
  };
}

/** Mark a node (by index) eligible or not, e.g. on departure or when its bonded stake changes. */
export function setNodeEligible(table: PlacementTable, index: number, eligible: boolean): void {
  table.eligible[index] = eligible ? 1 : 0;
}

/** Count the holders' new shards against their capacity. */
export function commitPlacement(table: PlacementTable, holders: ArrayLike<number>): void {
  for (let i = 0; i < holders.length; i++) table.usedShards[holders[i]]++;
}

/** Return shards to the given nodes' capacity (a shard deleted, moved, or its holder wiped). */
export function releaseShards(table: PlacementTable, holders: ArrayLike<number>): void {
  for (let i = 0; i < holders.length; i++) {
    const h = holders[i];
    if (table.usedShards[h] <= 0) throw new RangeError(`placement: node index ${h} has no shards to release`);
    table.usedShards[h]--;
  }
}

/**
 * Caps that spread n shards as evenly as the network's domains allow: ceil(n / regions) per region and
 * ceil(n / operators) per operator, counting domains with at least one eligible node. Compute this once per
 * run (from the initial network), not per segment: caps that moved with every departure would reshuffle
 * placements that the rendezvous property is meant to keep still.
 */
export function spreadPolicy(table: PlacementTable, shardCount: number): PlacementPolicy {
  const regions = new Uint8Array(table.regionCount);
  const operators = new Uint8Array(table.operatorCount);
  let regionCount = 0;
  let operatorCount = 0;
  for (let i = 0; i < table.count; i++) {
    if (!table.eligible[i]) continue;
    if (!regions[table.region[i]]) {
      regions[table.region[i]] = 1;
      regionCount++;
    }
    if (!operators[table.operator[i]]) {
      operators[table.operator[i]] = 1;
      operatorCount++;
    }
  }
  return {
    shardCount,
    regionShardsMax: Math.max(1, Math.ceil(shardCount / Math.max(1, regionCount))),
    operatorShardsMax: Math.max(1, Math.ceil(shardCount / Math.max(1, operatorCount))),
  };
}

/** A 53-bit segment key from a string id (two independent 32-bit string hashes). */
export function segmentKeyOf(segmentId: string): number {
  let a = 0x811c9dc5 | 0;
  let b = SEGMENT_SALT_B | 0;
  for (let i = 0; i < segmentId.length; i++) {
    const c = segmentId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (fmix32(b) & 0x1fffff) * TWO_POW_32 + fmix32(a);
}

/** The rendezvous weight of (segment, node) as an unsigned 32-bit integer. Exposed for tests/diagnostics. */
export function rendezvousWeight(segmentKey: number, nodeId: number): number {
  const [segA, segB] = segmentLanes(segmentKey);
  return weightOf(segA, segB, nodeHashKey(nodeId));
}

/**
 * Choose holders for segment `segmentKey` by rendezvous hashing under the policy's domain caps.
 * `keep`: node indexes that already hold shards of this segment (survivors during repair); they stay and
 * count against the caps, and only `shardCount − keep.length` new holders are chosen.
 */
export function placeRendezvous(
  table: PlacementTable,
  segmentKey: number,
  policy: PlacementPolicy,
  keep: ArrayLike<number> = EMPTY,
): PlacementResult {
  checkPolicy(policy, keep);
  const shardCount = policy.shardCount;
  const need = shardCount - keep.length;
  const { keys, nodeWeight, mark, bucketHead, bucketNext, regionUsed, operatorUsed, indexByTieRank } = table.scratch;
  const { eligible, usedShards, capacityShards, nodeKey, region, operator, tieRank } = table;
  const count = table.count;
  const [segA, segB] = segmentLanes(segmentKey);
  for (let i = 0; i < keep.length; i++) mark[keep[i]] = 1;

  // One pass: hash every available node (weights are kept for later bands) and bucket the top band by weight.
  let bandTarget = Math.min(count, 2 * need + 16);
  let bandLow = thresholdFor(bandTarget, count);
  let bucketCount = Math.max(1, bandTarget);
  let bucketScale = bucketCount / (TWO_POW_32 - bandLow);
  bucketHead.fill(-1, 0, bucketCount);
  let candidates = 0;
  for (let i = 0; i < count; i++) {
    if (eligible[i] === 0 || usedShards[i] >= capacityShards[i] || mark[i] === 1) {
      nodeWeight[i] = -1;
      continue;
    }
    const w = weightOf(segA, segB, nodeKey[i]);
    nodeWeight[i] = w;
    candidates++;
    if (w >= bandLow) {
      const b = Math.min(bucketCount - 1, Math.floor((w - bandLow) * bucketScale));
      bucketNext[i] = bucketHead[b];
      bucketHead[b] = i;
    }
  }

  const holders = new Int32Array(Math.min(shardCount, keep.length + candidates));
  for (let i = 0; i < keep.length; i++) holders[i] = keep[i];
  let filled = keep.length;
  let relaxedCount = 0;
  if (need > 0 && candidates > 0) {
    countDomains(table, keep, 0, keep.length, 1);
    while (true) {
      // Strict scan of this band, best first: buckets from the top; inside a bucket (about one node on
      // average) sort exactly by (weight, tie-break rank).
      for (let b = bucketCount - 1; b >= 0 && filled < shardCount; b--) {
        let size = 0;
        for (let i = bucketHead[b]; i !== -1; i = bucketNext[i]) keys[size++] = nodeWeight[i] * TIE_SCALE + tieRank[i];
        if (size > 1) sortDescending(keys, size);
        for (let p = 0; p < size && filled < shardCount; p++) {
          const i = indexByTieRank[tieOf(keys[p])];
          if (regionUsed[region[i]] >= policy.regionShardsMax) continue;
          if (operatorUsed[operator[i]] >= policy.operatorShardsMax) continue;
          regionUsed[region[i]]++;
          operatorUsed[operator[i]]++;
          holders[filled++] = i;
        }
      }
      if (filled === shardCount || bandLow === 0) break;
      // Not finished inside this band: the scan state is exactly that of a full-order scan at this weight, so
      // continue with the next band down, [newLow, bandLow), twice as wide in expected node count.
      const bandHigh = bandLow;
      const previousTarget = bandTarget;
      bandTarget = Math.min(count, bandTarget * 2);
      bandLow = thresholdFor(bandTarget, count);
      bucketCount = Math.max(1, bandTarget - previousTarget);
      bucketScale = bucketCount / (bandHigh - bandLow);
      bucketHead.fill(-1, 0, bucketCount);
      for (let i = 0; i < count; i++) {
        const w = nodeWeight[i];
        if (w >= bandLow && w < bandHigh) {
          const b = Math.min(bucketCount - 1, Math.floor((w - bandLow) * bucketScale));
          bucketNext[i] = bucketHead[b];
          bucketHead[b] = i;
        }
      }
    }
    if (filled < holders.length) {
      // Every candidate was scanned and the caps still left shards unplaced (fewer domains than the caps
      // need): take the best remaining nodes regardless of domain. Rare, so a plain full sort is fine.
      for (let h = keep.length; h < filled; h++) mark[holders[h]] = 1;
      let size = 0;
      for (let i = 0; i < count; i++) if (nodeWeight[i] >= 0) keys[size++] = nodeWeight[i] * TIE_SCALE + tieRank[i];
      const order = keys.subarray(0, size).sort();
      for (let p = size - 1; p >= 0 && filled < holders.length; p--) {
        const i = indexByTieRank[tieOf(order[p])];
        if (mark[i] === 1) continue;
        holders[filled++] = i;
        relaxedCount++;
      }
    }
  }
  // Leave the scratch as found: counters and marks all zero.
  if (need > 0 && candidates > 0) countDomains(table, holders, 0, filled - relaxedCount, -1);
  for (let h = 0; h < holders.length; h++) mark[holders[h]] = 0;
  for (let i = 0; i < keep.length; i++) mark[keep[i]] = 0;
  return {
    holders,
    relaxedCount,
    domainsRelaxed: relaxedCount > 0,
    shortfall: shardCount - holders.length,
  };
}

/**
 * Choose holders uniformly at random among eligible nodes with spare capacity (no domain caps: this is the
 * baseline that the hypergeometric loss formula describes exactly). Draws `shardCount − keep.length`
 * integers from `rng`.
 */
export function placeRandom(
  table: PlacementTable,
  shardCount: number,
  rng: Prng,
  keep: ArrayLike<number> = EMPTY,
): PlacementResult {
  checkPolicy({ shardCount, regionShardsMax: 1, operatorShardsMax: 1 }, keep);
  const { candidateIndex, mark } = table.scratch;
  const { eligible, usedShards, capacityShards, byNodeId } = table;
  for (let i = 0; i < keep.length; i++) mark[keep[i]] = 1;
  let candidates = 0;
  for (let r = 0; r < table.count; r++) {
    const i = byNodeId[r];
    if (eligible[i] === 0 || usedShards[i] >= capacityShards[i] || mark[i] === 1) continue;
    candidateIndex[candidates++] = i;
  }
  for (let i = 0; i < keep.length; i++) mark[keep[i]] = 0;
  const take = Math.min(shardCount - keep.length, candidates);
  const holders = new Int32Array(keep.length + take);
  for (let i = 0; i < keep.length; i++) holders[i] = keep[i];
  // Partial Fisher–Yates: position j receives a uniform pick from the not-yet-chosen tail.
  for (let j = 0; j < take; j++) {
    const r = j + rng.int(candidates - j);
    const picked = candidateIndex[r];
    candidateIndex[r] = candidateIndex[j];
    candidateIndex[j] = picked;
    holders[keep.length + j] = picked;
  }
  return { holders, relaxedCount: 0, domainsRelaxed: false, shortfall: shardCount - holders.length };
}

// ---------------------------------------------------------------------------------------------------------

function checkPolicy(policy: PlacementPolicy, keep: ArrayLike<number>): void {
  if (!Number.isInteger(policy.shardCount) || policy.shardCount < 1) {
    throw new RangeError(`placement: shardCount must be a positive integer, got ${policy.shardCount}`);
  }
  if (!(policy.regionShardsMax >= 1) || !(policy.operatorShardsMax >= 1)) {
    throw new RangeError("placement: domain caps must be ≥ 1");
  }
  if (keep.length > policy.shardCount) {
    throw new RangeError(`placement: keeping ${keep.length} holders exceeds shardCount ${policy.shardCount}`);
  }
}

/** The tie-break rank packed in the low 21 bits of a key (exact: keys are integers below 2^53). */
function tieOf(key: number): number {
  return key - Math.floor(key * TIE_SCALE_INV) * TIE_SCALE;
}

/** Sort keys[0, size) in descending order (insertion sort: buckets hold one or two keys on average). */
function sortDescending(keys: Float64Array, size: number): void {
  for (let i = 1; i < size; i++) {
    const value = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] < value) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = value;
  }
}

/** Add `delta` to the region and operator counters of nodes[from..to). */
function countDomains(table: PlacementTable, nodes: ArrayLike<number>, from: number, to: number, delta: number): void {
  const { regionUsed, operatorUsed } = table.scratch;
  for (let h = from; h < to; h++) {
    regionUsed[table.region[nodes[h]]] += delta;
    operatorUsed[table.operator[nodes[h]]] += delta;
  }
}

/** Weight threshold above which about `m` of `total` uniform 32-bit weights fall. */
function thresholdFor(m: number, total: number): number {
  if (m >= total) return 0;
  return Math.floor(TWO_POW_32 * (1 - m / total));
}

function denseIndex(index: Map<number | string, number>, id: number | string): number {
  let dense = index.get(id);
  if (dense === undefined) {
    dense = index.size;
    index.set(id, dense);
  }
  return dense;
}

function nodeHashKey(nodeId: number): number {
  const lo = nodeId >>> 0;
  const hi = Math.floor(nodeId / TWO_POW_32) >>> 0;
  return fmix32(lo ^ fmix32(hi ^ NODE_SALT)) | 0;
}

/** Two independent 32-bit lanes of a segment key, so the segment → ranking map is not a 32-bit bottleneck. */
function segmentLanes(segmentKey: number): [number, number] {
  if (!Number.isSafeInteger(segmentKey) || segmentKey < 0) throw new RangeError(`placement: bad segmentKey ${segmentKey}`);
  const lo = segmentKey >>> 0;
  const hi = Math.floor(segmentKey / TWO_POW_32) >>> 0;
  const segA = fmix32(lo ^ fmix32(hi ^ SEGMENT_SALT_A));
  const segB = fmix32((lo + Math.imul(fmix32(hi + SEGMENT_SALT_B), 0x9e3779b1)) | 0) | 1;
  return [segA, segB];
}

/**
 * weight = fmix32((nodeKey ⊕ segA) + nodeKey·segB). One murmur finaliser per pair keeps the hot loop short;
 * the second lane (multiplied by the node key, so it is not just a constant offset) means two segments share
 * a ranking only if both 32-bit lanes collide. Statistical quality is checked in placement.test.ts (uniform
 * load, and failed-holder counts matching the hypergeometric law).
 */
function weightOf(segA: number, segB: number, nodeKey: number): number {
  // fmix32 (sim/kernel/hash.ts) inlined by hand: this runs once per (segment, node) pair in the hot loop.
  let h = ((nodeKey ^ segA) + Math.imul(nodeKey, segB)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
