/**
 * An indexed binary min-heap of segment ids: the repair queue.
 *
 * Purpose: repair serves the segments with the fewest healthy shards first (DOMAIN.md §a, issue 3 item 6), and a
 * queued segment's health keeps changing (more holders fail, or come back) while it waits. An indexed heap lets
 * the model re-key a queued segment in O(log q) instead of leaving stale duplicates behind.
 *
 * Method: `heap` holds segment ids, `pos[s]` the index of s in it (−1 when absent). Order is (key[s], seq[s]):
 * the key is read from the caller's typed array (the healthy-shard counts) at comparison time, so `update(s)`
 * after a count changes is all the caller does; `seq` is the enqueue counter, so ties run first-in first-out and
 * never depend on anything but the order of events.
 */
export class SegmentHeap {
  private heap: Int32Array;
  private size = 0;
  private readonly pos: Int32Array;
  private readonly seq: Float64Array;
  private nextSeq = 0;

  constructor(
    segments: number,
    /** The priority of each segment, read live (smaller first). */
    private readonly key: ArrayLike<number>,
  ) {
    this.heap = new Int32Array(Math.max(16, Math.min(segments, 1024)));
    this.pos = new Int32Array(segments).fill(-1);
    this.seq = new Float64Array(segments);
  }

  get length(): number {
    return this.size;
  }

  has(s: number): boolean {
    return this.pos[s] >= 0;
  }

  push(s: number): void {
    if (this.pos[s] >= 0) {
      this.update(s);
      return;
    }
    if (this.size === this.heap.length) {
      const h = new Int32Array(this.heap.length * 2);
      h.set(this.heap);
      this.heap = h;
    }
    this.seq[s] = this.nextSeq++;
    this.heap[this.size] = s;
    this.pos[s] = this.size;
    this.size++;
    this.up(this.size - 1);
  }

  /** The segment with the smallest key (−1 when empty), removed. */
  pop(): number {
    if (this.size === 0) return -1;
    const top = this.heap[0];
    this.removeAt(0);
    return top;
  }

  peek(): number {
    return this.size === 0 ? -1 : this.heap[0];
  }

  remove(s: number): void {
    const p = this.pos[s];
    if (p >= 0) this.removeAt(p);
  }

  /** Restore heap order after key[s] changed. */
  update(s: number): void {
    const p = this.pos[s];
    if (p < 0) return;
    this.up(p);
    this.down(this.pos[s]);
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a], kb = this.key[b];
    return ka < kb || (ka === kb && this.seq[a] < this.seq[b]);
  }

  private removeAt(p: number): void {
    const s = this.heap[p];
    this.pos[s] = -1;
    this.size--;
    if (p === this.size) return;
    const last = this.heap[this.size];
    this.heap[p] = last;
    this.pos[last] = p;
    this.up(p);
    this.down(this.pos[last]);
  }

  private up(p: number): void {
    const h = this.heap;
    const s = h[p];
    while (p > 0) {
      const parent = (p - 1) >> 1;
      if (!this.less(s, h[parent])) break;
      h[p] = h[parent];
      this.pos[h[p]] = p;
      p = parent;
    }
    h[p] = s;
    this.pos[s] = p;
  }

  private down(p: number): void {
    const h = this.heap;
    const s = h[p];
    for (;;) {
      const l = 2 * p + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.less(h[r], h[l]) ? r : l;
      if (!this.less(h[c], s)) break;
      h[p] = h[c];
      this.pos[h[p]] = p;
      p = c;
    }
    h[p] = s;
    this.pos[s] = p;
  }
}
