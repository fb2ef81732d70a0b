/**
 * The storage model's invariant checker (STYLE.md principle 5), registered with `kernel.addChecker`.
 *
 * Purpose: an observer, separate from the code that keeps the counts, that re-derives them from the raw arrays:
 * - recoverability: a segment is reported recoverable (not lost) iff at least k intact shards exist;
 * - the per-segment healthy / intact / available counts equal a recount from holders, flags and serving slots;
 * - a segment's holders are distinct masternodes, and each holder's shard list points back at the shard;
 * - capacity: a masternode's used shards = shards it holds + uploads reserved for it, never above its capacity;
 * - byte mode: every intact shard's stored bytes hash to the segment's manifest, a corrupted one does not, an
 *   absent one has no bytes;
 * - network-wide totals (lost, unavailable, intact, healthy) equal sums over segments.
 *
 * Method: segments whose counts changed since the last check (the ledger's dirty list) are verified, plus a
 * rotating sample of unchanged ones and of masternodes; the totals are re-summed each time the rotation wraps.
 * Called after every event (check mode: at most one event since the previous call), it verifies *every* segment
 * the event touched; called every few thousand events (sampled mode), the first `SAMPLED_CHANGED` changed ones —
 * verifying all of them would cost as much as the simulation itself (a masternode going down touches every
 * segment it holds). The checker only reads (and clears the dirty list, which no decision reads), so checking
 * never changes a run.
 */
import { invariant } from "../../sim/kernel/invariant.ts";
import { verifyShard } from "./encrypt.ts";
import { FLAG_ABSENT, FLAG_CORRUPT, FLAG_SUSPECT } from "./ledger.ts";
import type { StorageModel } from "./model.ts";

/** Unchanged segments and slots re-verified per check, in rotation. */
const ROTATING_SEGMENTS = 32;
const ROTATING_SLOTS = 16;
/** Changed segments verified per check in sampled mode. */
const SAMPLED_CHANGED = 512;

export function addStorageChecker(model: StorageModel): void {
  const L = model.ledger;
  const { n, k, segments: M } = model;
  let stamp = new Int32Array(64);
  let stampValue = 0;
  let segmentCursor = 0;
  let slotCursor = 0;
  let lastEvents = 0;

  const checkSegment = (s: number): string | undefined => {
    let healthy = 0, intact = 0, available = 0;
    stampValue++;
    if (L.slotCount > stamp.length) stamp = new Int32Array(L.slotCount * 2);
    for (let j = 0; j < n; j++) {
      const i = s * n + j;
      const h = L.holder[i];
      const f = L.flags[i];
      if (h < 0) {
        if (f !== 0) return `segment ${s} shard ${j} has no holder but flags ${f}`;
        continue;
      }
      if (stamp[h] === stampValue) return `segment ${s} has two shards on masternode slot ${h}`;
      stamp[h] = stampValue;
      const p = L.posInNode[i];
      if (p < 0 || p >= L.nodeShardCount[h] || L.nodeShards[h][p] !== i) return `shard ${i} is not in its holder's (slot ${h}) list`;
      if ((f & FLAG_SUSPECT) === 0) healthy++;
      const good = (f & (FLAG_CORRUPT | FLAG_ABSENT)) === 0;
      if (good) {
        intact++;
        if (L.serving[h] === 1) available++;
      }
      if (model.bytes !== null) {
        const b = model.bytes.stored[i];
        if (good && (b === null || !verifyShard(b, model.bytes.manifests[s].shardHashes[j]))) return `segment ${s} shard ${j}: intact but its bytes do not hash to the manifest`;
        if ((f & FLAG_ABSENT) !== 0 && b !== null) return `segment ${s} shard ${j}: absent but bytes are stored`;
        if ((f & FLAG_ABSENT) === 0 && (f & FLAG_CORRUPT) !== 0 && (b === null || verifyShard(b, model.bytes.manifests[s].shardHashes[j]))) return `segment ${s} shard ${j}: corrupt but its bytes verify`;
      }
    }
    if (healthy !== L.healthy[s]) return `segment ${s}: healthy count ${L.healthy[s]}, recount ${healthy}`;
    if (intact !== L.intact[s]) return `segment ${s}: intact count ${L.intact[s]}, recount ${intact}`;
    if (available !== L.available[s]) return `segment ${s}: available count ${L.available[s]}, recount ${available}`;
    const reported = L.lost[s] === 0;
    if (reported !== intact >= k) return `segment ${s} reported ${reported ? "recoverable" : "lost"} with ${intact} intact shards (k = ${k})`;
    return undefined;
  };

  const checkSlot = (slot: number): string | undefined => {
    const count = L.nodeShardCount[slot];
    const list = L.nodeShards[slot];
    for (let p = 0; p < count; p++) if (L.holder[list[p]] !== slot) return `slot ${slot} lists shard ${list[p]} held by ${L.holder[list[p]]}`;
    const used = model.table.usedShards[slot];
    if (used !== count + model.reserved[slot]) return `slot ${slot}: ${used} shards used but ${count} held + ${model.reserved[slot]} reserved`;
    if (used > model.table.capacityShards[slot]) return `slot ${slot}: ${used} shards over capacity ${model.table.capacityShards[slot]}`;
    return undefined;
  };

  const checkTotals = (): string | undefined => {
    let lost = 0, unavailable = 0, intact = 0, healthy = 0;
    for (let s = 0; s < M; s++) {
      lost += L.lost[s];
      if (L.lost[s] === 0 && L.available[s] < k) unavailable++;
      intact += L.intact[s];
      healthy += L.healthy[s];
    }
    if (lost !== L.segmentsLost) return `${L.segmentsLost} segments counted lost, ${lost} flagged`;
    if (unavailable !== L.segmentsUnavailable) return `${L.segmentsUnavailable} segments counted unavailable, recount ${unavailable}`;
    if (intact !== L.intactTotal) return `${L.intactTotal} intact shards counted, recount ${intact}`;
    if (healthy !== L.healthyTotal) return `${L.healthyTotal} healthy shards counted, recount ${healthy}`;
    return undefined;
  };

  invariant(M >= 0 && n >= k, "storage checker: bad shape");
  model.kernel.addChecker("storage.recoverability", () => {
    const everyEvent = model.kernel.events - lastEvents <= 1;
    lastEvents = model.kernel.events;
    const changed = L.drainDirty(checkSegment, everyEvent ? Infinity : SAMPLED_CHANGED);
    if (changed !== undefined) return changed;
    for (let q = 0; q < Math.min(ROTATING_SEGMENTS, M); q++) {
      const msg = checkSegment(segmentCursor);
      if (msg !== undefined) return msg;
      if (++segmentCursor >= M) {
        segmentCursor = 0;
        const total = checkTotals();
        if (total !== undefined) return total;
      }
    }
    const slots = L.slotCount;
    for (let q = 0; q < Math.min(ROTATING_SLOTS, slots); q++) {
      const msg = checkSlot(slotCursor);
      if (msg !== undefined) return msg;
      slotCursor = (slotCursor + 1) % slots;
    }
    return undefined;
  });
}
