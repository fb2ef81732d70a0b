/**
 * The shard ledger: who holds which shard of which segment, and what is true about it.
 *
 * Purpose: one struct-of-arrays record of every shard that both modes share (metadata mode stops here; byte mode
 * keeps the bytes beside it, keyed by the same shard index), with the per-segment counts the model decides on and
 * the checker re-derives:
 * - healthy — the model's belief: referenced and not suspect (a holder down longer than the detection delay is
 *   suspect). Repair is triggered when it falls below m.
 * - intact — the ground truth: referenced and the holder really has the right bytes (not corrupted, not absent).
 *   A segment is recoverable iff intact ≥ k; once below k it is lost, with no way back (only repair creates
 *   shards, and repair needs k).
 * - available — intact, and the holder is up and serving (not withholding): below k the segment is unavailable
 *   now, though perhaps not lost.
 *
 * Method: shard i of segment s is index s·n + i. `holder[i]` is a storage slot (the placement-table index) or −1;
 * `flags[i]` carries CORRUPT and ABSENT (ground truth, invisible to the model until an audit or a fetch shows it)
 * and SUSPECT (belief). Each slot keeps the list of shard indexes it holds (swap-remove with a position index, so
 * add and remove are O(1)), because node events — going down, coming back, being caught — touch all its shards.
 * Every count changes only here, so the invariants the checker verifies (counts = recount from the arrays) have one
 * place to break. Time integrals (segments unavailable, intact and healthy shard-time) are accumulated at each
 * change from the clock passed in, for availability and the durability comparison.
 */
export const FLAG_CORRUPT = 1;
export const FLAG_ABSENT = 2;
export const FLAG_SUSPECT = 4;
const DAMAGED = FLAG_CORRUPT | FLAG_ABSENT;

export interface LedgerClock {
  readonly now: number;
}

export interface LedgerEvents {
  /** A segment's intact count fell below k. */
  onLost(s: number): void;
  /** A segment's healthy count changed (the repair queue re-keys it). */
  onHealthChanged(s: number): void;
}

export class ShardLedger {
  readonly segments: number;
  readonly n: number;
  readonly k: number;
  readonly holder: Int32Array;
  readonly flags: Uint8Array;
  /** Counts per segment (Uint16: n ≤ 255, and a replacement briefly counts n + 1). */
  readonly healthy: Uint16Array;
  readonly intact: Uint16Array;
  readonly available: Uint16Array;
  readonly lost: Uint8Array;
  /** Position of shard i in its holder's list. */
  readonly posInNode: Int32Array;
  nodeShards: Int32Array[] = [];
  nodeShardCount: Int32Array = new Int32Array(0);
  /** 1 while the slot is up and serving (not withholding). */
  serving: Uint8Array = new Uint8Array(0);
  slotCount = 0;

  segmentsLost = 0;
  /** Segments not lost with fewer than k available shards. Starts at all of them: nothing is stored yet. */
  segmentsUnavailable: number;
  unavailableEpisodes = 0;
  /** Ground-truth failures of intact shards (corruption, departure, discard, dereferencing an intact shard). */
  intactFailures = 0;
  /** Belief failures: a healthy shard turning suspect or being dropped (what the repair model calls a failure). */
  healthyFailures = 0;
  intactTotal = 0;
  healthyTotal = 0;
  /** ∫ segmentsUnavailable dt, ∫ intactTotal dt, ∫ healthyTotal dt (µs-weighted). */
  unavailableTime = 0;
  intactShardTime = 0;
  healthyShardTime = 0;
  private lastT = 0;
  /** Segments whose counts changed since the checker last looked (checker bookkeeping only; never read by decisions). */
  readonly dirty: Uint8Array;
  readonly dirtyList: Int32Array;
  dirtyCount = 0;

  constructor(segments: number, k: number, n: number, private readonly clock: LedgerClock, private readonly events: LedgerEvents) {
    this.segments = segments;
    this.k = k;
    this.n = n;
    this.holder = new Int32Array(segments * n).fill(-1);
    this.flags = new Uint8Array(segments * n);
    this.posInNode = new Int32Array(segments * n).fill(-1);
    this.healthy = new Uint16Array(segments);
    this.intact = new Uint16Array(segments);
    this.available = new Uint16Array(segments);
    this.lost = new Uint8Array(segments);
    this.segmentsUnavailable = segments;
    this.dirty = new Uint8Array(segments);
    this.dirtyList = new Int32Array(segments);
  }

  private mark(s: number): void {
    if (this.dirty[s] === 1) return;
    this.dirty[s] = 1;
    this.dirtyList[this.dirtyCount++] = s;
  }

  /** Hand up to `limit` changed segments to `visit` and forget them all (the checker). */
  drainDirty(visit: (s: number) => string | undefined, limit = Infinity): string | undefined {
    let msg: string | undefined;
    let p = 0;
    const end = Math.min(this.dirtyCount, limit);
    for (; p < end && msg === undefined; p++) {
      const s = this.dirtyList[p];
      this.dirty[s] = 0;
      msg = visit(s);
    }
    // The rest (a violation ends the run; past the limit, a sample was enough) is forgotten.
    for (; p < this.dirtyCount; p++) this.dirty[this.dirtyList[p]] = 0;
    this.dirtyCount = 0;
    return msg;
  }

  /** Add a storage slot (a masternode); returns its index. */
  addSlot(serving: boolean): number {
    const slot = this.slotCount++;
    if (slot >= this.nodeShardCount.length) {
      const cap = Math.max(16, this.nodeShardCount.length * 2);
      const c = new Int32Array(cap); c.set(this.nodeShardCount); this.nodeShardCount = c;
      const sv = new Uint8Array(cap); sv.set(this.serving); this.serving = sv;
    }
    this.nodeShards.push(new Int32Array(8));
    this.serving[slot] = serving ? 1 : 0;
    return slot;
  }

  isIntact(i: number): boolean {
    return this.holder[i] >= 0 && (this.flags[i] & DAMAGED) === 0;
  }

  isHealthy(i: number): boolean {
    return this.holder[i] >= 0 && (this.flags[i] & FLAG_SUSPECT) === 0;
  }

  /** Bring the time integrals up to now; call before any count changes. */
  private touch(): void {
    const t = this.clock.now;
    const dt = t - this.lastT;
    if (dt > 0) {
      this.unavailableTime += this.segmentsUnavailable * dt;
      this.intactShardTime += this.intactTotal * dt;
      this.healthyShardTime += this.healthyTotal * dt;
      this.lastT = t;
    }
  }

  /** Close the integrals at the end of a run. */
  flush(): void {
    this.touch();
  }

  /** Store a fresh, good shard i on `slot` (the index must be empty). */
  attach(i: number, slot: number): void {
    if (this.holder[i] !== -1) throw new RangeError(`ledger: shard ${i} already held by slot ${this.holder[i]}`);
    this.touch();
    const s = (i / this.n) | 0;
    this.mark(s);
    this.holder[i] = slot;
    this.flags[i] = 0;
    this.addToNode(slot, i);
    this.healthy[s]++;
    this.healthyTotal++;
    this.intact[s]++;
    this.intactTotal++;
    if (this.serving[slot] === 1) this.availableUp(s);
    this.events.onHealthChanged(s);
  }

  /**
   * Drop shard i from its holder (dereference: the model no longer counts on it). `failure` says whether losing a
   * healthy shard this way is a failure (audit failed, holder caught) or a replacement by repair. Returns the slot.
   */
  detach(i: number, failure: boolean): number {
    const slot = this.holder[i];
    if (slot < 0) throw new RangeError(`ledger: shard ${i} has no holder`);
    this.touch();
    const s = (i / this.n) | 0;
    this.mark(s);
    const f = this.flags[i];
    this.removeFromNode(slot, i);
    this.holder[i] = -1;
    this.flags[i] = 0;
    if ((f & FLAG_SUSPECT) === 0) {
      this.healthy[s]--;
      this.healthyTotal--;
      if (failure) this.healthyFailures++;
    }
    if ((f & DAMAGED) === 0) {
      this.intact[s]--;
      this.intactTotal--;
      if (failure) this.intactFailures++;
      if (this.serving[slot] === 1) this.availableDown(s);
    }
    this.checkLost(s);
    this.events.onHealthChanged(s);
    return slot;
  }

  /** Repair's upload of shard i arrived at `slot`: a good copy replaces whatever was there. Returns the old slot or −1. */
  replace(i: number, slot: number): number {
    const s = (i / this.n) | 0;
    const old = this.holder[i];
    this.mark(s);
    this.touch();
    // Add the new copy before dropping the old one, so the segment never looks lost in between.
    const oldFlags = this.flags[i];
    this.intact[s]++;
    this.intactTotal++;
    this.healthy[s]++;
    this.healthyTotal++;
    if (this.serving[slot] === 1) this.availableUp(s);
    if (old >= 0) {
      this.removeFromNode(old, i);
      if ((oldFlags & FLAG_SUSPECT) === 0) { this.healthy[s]--; this.healthyTotal--; }
      if ((oldFlags & DAMAGED) === 0) {
        this.intact[s]--;
        this.intactTotal--;
        if (this.serving[old] === 1) this.availableDown(s);
      }
    }
    this.holder[i] = slot;
    this.flags[i] = 0;
    this.addToNode(slot, i);
    this.events.onHealthChanged(s);
    return old;
  }

  /** Ground truth: shard i's bytes are corrupted (`FLAG_CORRUPT`) or gone (`FLAG_ABSENT`). */
  damage(i: number, bit: number): void {
    if (this.holder[i] < 0) return;
    const f = this.flags[i];
    this.flags[i] = f | bit;
    this.mark((i / this.n) | 0);
    if ((f & DAMAGED) !== 0) return;
    this.touch();
    const s = (i / this.n) | 0;
    this.mark(s);
    this.intact[s]--;
    this.intactTotal--;
    this.intactFailures++;
    if (this.serving[this.holder[i]] === 1) this.availableDown(s);
    this.checkLost(s);
  }

  /** Belief: shard i's holder has been down past the detection delay (on), or is back (off). */
  setSuspect(i: number, on: boolean): void {
    const f = this.flags[i];
    if (((f & FLAG_SUSPECT) !== 0) === on) return;
    this.touch();
    const s = (i / this.n) | 0;
    this.mark(s);
    if (on) {
      this.flags[i] = f | FLAG_SUSPECT;
      this.healthy[s]--;
      this.healthyTotal--;
      this.healthyFailures++;
    } else {
      this.flags[i] = f & ~FLAG_SUSPECT;
      this.healthy[s]++;
      this.healthyTotal++;
    }
    this.events.onHealthChanged(s);
  }

  /** A slot starts or stops serving (up/down, withholding): its intact shards change availability. */
  setServing(slot: number, on: boolean): void {
    const v = on ? 1 : 0;
    if (this.serving[slot] === v) return;
    this.touch();
    this.serving[slot] = v;
    const list = this.nodeShards[slot];
    const count = this.nodeShardCount[slot];
    for (let p = 0; p < count; p++) {
      const i = list[p];
      if ((this.flags[i] & DAMAGED) !== 0) continue;
      const s = (i / this.n) | 0;
      this.mark(s);
      if (on) this.availableUp(s);
      else this.availableDown(s);
    }
  }

  /** Mark segments lost whose intact count is already below k (after the initial upload). */
  settle(): void {
    for (let s = 0; s < this.segments; s++) this.checkLost(s);
  }

  private availableUp(s: number): void {
    const was = this.available[s]++;
    if (this.lost[s] === 0 && was === this.k - 1) this.segmentsUnavailable--;
  }

  private availableDown(s: number): void {
    const now = --this.available[s];
    if (this.lost[s] === 0 && now === this.k - 1) {
      this.segmentsUnavailable++;
      this.unavailableEpisodes++;
    }
  }

  private checkLost(s: number): void {
    if (this.lost[s] === 1 || this.intact[s] >= this.k) return;
    this.lost[s] = 1;
    this.segmentsLost++;
    // available ≤ intact < k, so the segment was counted unavailable; it is counted lost from now on.
    this.segmentsUnavailable--;
    this.events.onLost(s);
  }

  private addToNode(slot: number, i: number): void {
    let list = this.nodeShards[slot];
    const c = this.nodeShardCount[slot];
    if (c === list.length) {
      const grown = new Int32Array(list.length * 2);
      grown.set(list);
      this.nodeShards[slot] = list = grown;
    }
    list[c] = i;
    this.posInNode[i] = c;
    this.nodeShardCount[slot] = c + 1;
  }

  private removeFromNode(slot: number, i: number): void {
    const list = this.nodeShards[slot];
    const last = --this.nodeShardCount[slot];
    const p = this.posInNode[i];
    const moved = list[last];
    list[p] = moved;
    this.posInNode[moved] = p;
    this.posInNode[i] = -1;
  }
}
