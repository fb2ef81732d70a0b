/**
 * The pending-event queue: a binary min-heap in struct-of-arrays layout.
 *
 * Purpose: order events by (time, seq) where seq is the insertion counter, so ties run first-in first-out and
 * never depend on object identity or hash order (STYLE.md principle 1).
 *
 * Method: the heap arrays hold the sort keys (time, seq) and a slot index; the slot arrays hold the event body
 * (kind, target, a numeric argument and an optional object). Keeping keys inline in typed arrays makes sift-up and
 * sift-down touch contiguous memory only, which measured faster than an array of event objects at 100 k pending
 * events. Sifts move a "hole" instead of swapping. Cancellation is lazy: a cancelled slot is flagged and skipped
 * when it reaches the top, so cancel is O(1). A handle packs (generation, slot) so a stale handle — one whose
 * event already ran or was cancelled and whose slot was reused — is recognised and ignored.
 */

/** Upper bound on simultaneously pending events (a limit on everything: TIGER_STYLE). */
export const PENDING_MAX = 1 << 24;
const GEN_MUL = PENDING_MAX; // handle = gen * PENDING_MAX + slot, gen < 2^29 keeps it below 2^53

export type EventHandle = number;

export class EventQueue {
  // Heap (ordered by time, then seq).
  private hTime: Float64Array;
  private hSeq: Float64Array;
  private hSlot: Int32Array;
  private size = 0;
  // Slots (event bodies).
  kind: Int32Array;
  target: Int32Array;
  num: Float64Array;
  data: unknown[];
  private gen: Int32Array;
  private cancelled: Uint8Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private slotHigh = 0;
  private seqNext = 0;
  /** Events scheduled and not yet popped or cancelled. */
  live = 0;

  constructor(capacity = 1024) {
    this.hTime = new Float64Array(capacity);
    this.hSeq = new Float64Array(capacity);
    this.hSlot = new Int32Array(capacity);
    this.kind = new Int32Array(capacity);
    this.target = new Int32Array(capacity);
    this.num = new Float64Array(capacity);
    this.data = new Array(capacity);
    this.gen = new Int32Array(capacity);
    this.cancelled = new Uint8Array(capacity);
    this.freeSlots = new Int32Array(capacity);
  }

  get capacity(): number {
    return this.hTime.length;
  }

  /** Number of entries in the heap, including cancelled ones not yet discarded. */
  get heapSize(): number {
    return this.size;
  }

  /** Insertion counter: total events ever pushed. */
  get seqCount(): number {
    return this.seqNext;
  }

  private grow(): void {
    const cap = this.hTime.length * 2;
    if (cap > PENDING_MAX * 2) throw new RangeError(`event queue: more than ${PENDING_MAX} pending events`);
    const f64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a); return b; };
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a); return b; };
    this.hTime = f64(this.hTime);
    this.hSeq = f64(this.hSeq);
    this.hSlot = i32(this.hSlot);
    this.kind = i32(this.kind);
    this.target = i32(this.target);
    this.num = f64(this.num);
    this.data.length = cap;
    this.gen = i32(this.gen);
    this.cancelled = u8(this.cancelled);
    this.freeSlots = i32(this.freeSlots);
  }

  /** Insert an event; returns a handle for cancel(). */
  push(time: number, kind: number, target: number, num: number, data: unknown): EventHandle {
    if (this.size === this.hTime.length) this.grow();
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount];
    else {
      slot = this.slotHigh++;
      if (slot >= PENDING_MAX) throw new RangeError(`event queue: more than ${PENDING_MAX} pending events`);
    }
    this.kind[slot] = kind;
    this.target[slot] = target;
    this.num[slot] = num;
    this.data[slot] = data;
    this.cancelled[slot] = 0;
    const seq = this.seqNext++;
    // Sift up with a hole.
    const hTime = this.hTime, hSeq = this.hSeq, hSlot = this.hSlot;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = hTime[p];
      if (pt < time || (pt === time && hSeq[p] < seq)) break;
      hTime[i] = pt;
      hSeq[i] = hSeq[p];
      hSlot[i] = hSlot[p];
      i = p;
    }
    hTime[i] = time;
    hSeq[i] = seq;
    hSlot[i] = slot;
    this.live++;
    return this.gen[slot] * GEN_MUL + slot;
  }

  /** Cancel a pending event. Returns false if the handle is stale (already ran or cancelled). */
  cancel(handle: EventHandle): boolean {
    const slot = handle % GEN_MUL;
    const g = (handle - slot) / GEN_MUL;
    if (slot >= this.slotHigh || this.gen[slot] !== g || this.cancelled[slot] === 1) return false;
    this.cancelled[slot] = 1;
    this.data[slot] = undefined;
    this.live--;
    return true;
  }

  /** Time of the earliest live event, or Infinity. Discards cancelled entries at the top. */
  peekTime(): number {
    while (this.size > 0) {
      const slot = this.hSlot[0];
      if (this.cancelled[slot] === 0) return this.hTime[0];
      this.removeTop();
      this.release(slot);
    }
    return Infinity;
  }

  /**
   * Pop the earliest live event and return its slot (the caller reads kind/target/num/data[slot] and must call
   * release(slot) when done). Returns -1 when empty. Call peekTime() first if you need the time.
   */
  popSlot(): number {
    while (this.size > 0) {
      const slot = this.hSlot[0];
      this.removeTop();
      if (this.cancelled[slot] === 0) {
        this.live--;
        return slot;
      }
      this.release(slot);
    }
    return -1;
  }

  /** Time of the event returned by the last popUntil(). */
  lastTime = 0;

  /**
   * Pop the earliest live event if its time is ≤ `endTime`: returns its slot (time in `lastTime`), -1 when the
   * queue is empty, -2 when the earliest event lies after `endTime` (it stays queued). The hot-loop entry point.
   */
  popUntil(endTime: number): number {
    const cancelled = this.cancelled, hSlot = this.hSlot;
    while (this.size > 0) {
      const slot = hSlot[0];
      if (cancelled[slot] !== 0) {
        this.removeTop();
        this.release(slot);
        continue;
      }
      const t = this.hTime[0];
      if (t > endTime) return -2;
      this.removeTop();
      this.live--;
      this.lastTime = t;
      return slot;
    }
    return -1;
  }

  /** Return a slot to the free list; bumps its generation so old handles go stale. */
  release(slot: number): void {
    this.data[slot] = undefined;
    this.gen[slot] = (this.gen[slot] + 1) & 0x1fffffff;
    this.cancelled[slot] = 0;
    this.freeSlots[this.freeCount++] = slot;
  }

  private removeTop(): void {
    const n = --this.size;
    if (n === 0) return;
    const hTime = this.hTime, hSeq = this.hSeq, hSlot = this.hSlot;
    const t = hTime[n], s = hSeq[n], sl = hSlot[n];
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      let ct = hTime[c], cs = hSeq[c];
      const r = c + 1;
      if (r < n) {
        const rt = hTime[r];
        if (rt < ct || (rt === ct && hSeq[r] < cs)) { c = r; ct = rt; cs = hSeq[r]; }
      }
      if (t < ct || (t === ct && s < cs)) break;
      hTime[i] = ct;
      hSeq[i] = cs;
      hSlot[i] = hSlot[c];
      i = c;
    }
    hTime[i] = t;
    hSeq[i] = s;
    hSlot[i] = sl;
  }
}
