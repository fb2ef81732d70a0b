/**
 * The video catalog and how viewers choose from it.
 *
 * Purpose: hold every video (creator, length, price, state) and draw "what does this viewer watch next" in
 * O(log creators), with popularity that is Zipf over creators — so a few creators earn most and a long tail earns
 * the rest, which is exactly what the creator-revenue Gini and long-tail share measure (the seeds' "Long Tail"
 * thesis is a hypothesis popsim tests, not an input).
 *
 * Method:
 * - Each creator gets a popularity rank from a seeded permutation ("agents/creator-ranks"), and weight r^(−s).
 * - A Fenwick tree over creators holds the weight of every creator with at least one watchable video (0 otherwise),
 *   so a draw is one uniform number and one O(log C) descent, and publishing or withdrawing a creator's last video
 *   is one O(log C) update.
 * - Within a creator, a watchable video is chosen uniformly; each creator's watchable videos are a dense list with
 *   swap-remove (position kept per video), so withdrawal is O(1).
 * Sums over the tree are floats, but in a fixed order (the tree's), so draws are reproducible.
 */
import type { Prng } from "../../sim/kernel/prng.ts";
import { shuffle } from "../../sim/kernel/distributions.ts";

export const VideoState = { Pending: 0, Published: 1, TakenDown: 2 } as const;
export type VideoState = (typeof VideoState)[keyof typeof VideoState];

/** Fenwick (binary indexed) tree of non-negative weights with prefix-sum descent. */
export class WeightTree {
  private readonly tree: Float64Array;
  private readonly weight: Float64Array;
  private readonly top: number;
  constructor(readonly size: number) {
    this.tree = new Float64Array(size + 1);
    this.weight = new Float64Array(size);
    let t = 1;
    while (t * 2 <= size) t *= 2;
    this.top = t;
  }
  get(i: number): number {
    return this.weight[i];
  }
  set(i: number, w: number): void {
    const d = w - this.weight[i];
    if (d === 0) return;
    this.weight[i] = w;
    for (let j = i + 1; j <= this.size; j += j & -j) this.tree[j] += d;
  }
  total(): number {
    let s = 0;
    for (let j = this.size; j > 0; j -= j & -j) s += this.tree[j];
    return s;
  }
  /** The index whose cumulative weight interval contains u ∈ [0, total); −1 if the tree is empty. */
  find(u: number): number {
    if (this.size === 0) return -1;
    let pos = 0;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.size && this.tree[next] <= u) {
        pos = next;
        u -= this.tree[next];
      }
    }
    // Float drift can push past the last positive weight: step back to a creator that has weight.
    let i = Math.min(pos, this.size - 1);
    while (i > 0 && this.weight[i] === 0) i--;
    return this.weight[i] > 0 ? i : -1;
  }
}

export interface VideoInfo {
  creator: number;
  segments: number;
  segmentBytes: number;
  segmentS: number;
  lengthS: number;
  harmful: boolean;
  contentClass: number;
  uploadedAtUs: number;
}

export class Catalog {
  readonly videos: VideoInfo[] = [];
  readonly state: VideoState[] = [];
  /** By creator index (0..C−1): world node id, popularity weight, price per minute (wei). */
  readonly creatorNode: readonly number[];
  readonly creatorWeight: Float64Array;
  readonly creatorPriceWeiPerMin: bigint[];
  private readonly creatorIndexOfNode = new Map<number, number>();
  private readonly watchable: number[][];
  private readonly posInCreator: number[] = [];
  private readonly tree: WeightTree;
  publishedCount = 0;

  constructor(creatorNodes: readonly number[], zipfS: number, prices: bigint[], rng: Prng) {
    this.creatorNode = creatorNodes;
    const ranks = creatorNodes.map((_, i) => i + 1);
    shuffle(rng, ranks);
    this.creatorWeight = Float64Array.from(ranks, (r) => Math.pow(r, -zipfS));
    this.creatorPriceWeiPerMin = prices;
    creatorNodes.forEach((n, i) => this.creatorIndexOfNode.set(n, i));
    this.watchable = creatorNodes.map(() => []);
    this.tree = new WeightTree(creatorNodes.length);
  }

  creatorIndexOf(node: number): number {
    return this.creatorIndexOfNode.get(node) ?? -1;
  }

  /** Add a video in the Pending state; returns its id. */
  add(v: VideoInfo): number {
    this.videos.push(v);
    this.state.push(VideoState.Pending);
    this.posInCreator.push(-1);
    return this.videos.length - 1;
  }

  publish(id: number): void {
    if (this.state[id] === VideoState.Published) return;
    this.state[id] = VideoState.Published;
    const c = this.creatorIndexOf(this.videos[id].creator);
    const list = this.watchable[c];
    this.posInCreator[id] = list.length;
    list.push(id);
    if (list.length === 1) this.tree.set(c, this.creatorWeight[c]);
    this.publishedCount++;
  }

  takeDown(id: number): void {
    const wasPublished = this.state[id] === VideoState.Published;
    this.state[id] = VideoState.TakenDown;
    if (!wasPublished) return;
    const c = this.creatorIndexOf(this.videos[id].creator);
    const list = this.watchable[c];
    const pos = this.posInCreator[id];
    const last = list[list.length - 1];
    list[pos] = last;
    this.posInCreator[last] = pos;
    list.pop();
    this.posInCreator[id] = -1;
    if (list.length === 0) this.tree.set(c, 0);
    this.publishedCount--;
  }

  /** A watchable video drawn by creator popularity, or −1 if nothing is watchable. */
  pick(rng: Prng): number {
    const total = this.tree.total();
    if (!(total > 0)) return -1;
    const c = this.tree.find(rng.float() * total);
    if (c < 0) return -1;
    const list = this.watchable[c];
    return list[rng.int(list.length)];
  }
}
