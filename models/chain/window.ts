/**
 * An array indexed by a growing integer id (block id, transaction id, height) whose oldest entries can be
 * forgotten: ids below `start` read as undefined and cost no memory. Used for everything the chain keeps per
 * block or per height, so memory follows what is retained, not how long the run has been.
 */
import { invariant } from "../../sim/kernel/invariant.ts";

export class IdWindow<T> {
  private items: (T | undefined)[] = [];
  private base = 0;

  /** The next id (one past the last). */
  get end(): number {
    return this.base + this.items.length;
  }

  /** The lowest id still held. */
  get start(): number {
    return this.base;
  }

  push(v: T): number {
    this.items.push(v);
    return this.end - 1;
  }

  get(id: number): T | undefined {
    return id >= this.base ? this.items[id - this.base] : undefined;
  }

  /** Set an id in [start, end]; `end` appends. */
  set(id: number, v: T | undefined): void {
    invariant(id >= this.base && id <= this.end, () => `IdWindow.set: id ${id} outside [${this.base}, ${this.end}]`);
    if (id === this.end) this.items.push(v);
    else this.items[id - this.base] = v;
  }

  /** Forget every id below `id` (which may lie beyond `end`: the window then restarts empty at `id`). */
  dropBelow(id: number): void {
    if (id <= this.base) return;
    if (id >= this.end) this.items = [];
    else this.items.splice(0, id - this.base);
    this.base = id;
  }
}
