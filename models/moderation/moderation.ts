/**
 * Moderation: every upload is screened by the SuperDelegates' AI classifiers before it may be distributed.
 *
 * Purpose: the POP design puts SuperDelegates (SDs) — delegates that run GPUs — in front of distribution as
 * "gatekeepers" (DOMAIN.md §c). This model answers what that gate costs and what it lets through: harmful uploads
 * published (and their views), benign uploads wrongly taken down (and the creator revenue lost), the delay every
 * upload waits, the appeals that repair mistakes, and the censorship a colluding minority of SDs can impose.
 * The classifier is a statistical model (DESIGN.md §4): its recall, precision and latency are scenario data.
 *
 * Method (per upload, O(n) work for n reviewing SDs, one scheduled decision event):
 * 1. Admission. `submit` admits the upload if fewer than `queue.reviewMax` uploads are under review; otherwise it
 *    waits in a FIFO backlog (bounded by `queue.backlogMax`; an arrival with the backlog full is *rejected*), and
 *    is admitted when a decision frees a place. Time-to-publish is measured from `submit`, so it includes the wait.
 * 2. Reviewers. The reviewing set is the chain's current SuperDelegates (`superDelegates()`, taken once at
 *    admission: an upload is reviewed by the SDs of the round it was admitted in), minus those that are down; if
 *    the chain gives none, `superDelegates.fallbackCount` always-up virtual SDs. If every SD is down the upload
 *    stays under review and retries after `queue.retryS`. n = reviewers, q = quorum(n) (params.ts), b = n − q + 1.
 * 3. Votes. Each SD draws a verdict: "block" with probability recall (× `adversarial.recallMultiplier` for evasive
 *    uploads) if the upload is harmful, FPR (from recall, precision, base rate: params.ts) if benign. Error
 *    correlation ρ: with probability ρ all honest SDs share one verdict, else each draws its own. Colluding SDs
 *    (the first `colluders.count` of the set) vote "block" on target creators (and at random on others with
 *    `blockRandomProbability`), their honest verdict otherwise. The honest verdict of a colluder is drawn too, for
 *    the counterfactual "would this have been published without the colluders' censorship votes?".
 * 4. Queueing. Every SD reviews every upload it is given, in its own FIFO GPU queue: a Lindley recursion per SD,
 *    start = max(now, SD free), free = start + service (3600/reviewsPerHour s, deterministic or exponential), and
 *    the vote lands at start + service + class latency. No event per vote: the times are known at admission.
 * 5. Decision rule (exact): published when q "pass" votes have landed; taken down when b "block" votes have
 *    landed (the pass quorum is then unreachable). Since q + b = n + 1, exactly one of the two happens once all n
 *    votes are in, so the outcome is fixed at admission and only its time depends on the vote times: the q-th
 *    earliest pass vote, or the b-th earliest block vote. One "moderation.decide" event applies it.
 * 6. Appeals. A takedown is appealed with `appeals.probability`; after `appeals.latencyS` it is overturned with
 *    probability `accuracy` if the takedown was wrongful (1 − accuracy if the upload was harmful), and the upload
 *    is then published. Colluders holding a blocking minority of the current set deny a target's appeals
 *    (`colluders.blockAppeals`).
 *
 * Revenue a held or wrongly taken-down video lost (design decision). A video that is not published earns nothing,
 * so its loss cannot be observed; it is estimated at the end of the run as
 *   (revenue per published-video-second) × (seconds withheld),
 * where the rate is measured on the screened videos that were published — Σ revenue reported through
 * `noteView(video, revenueWei)` / Σ seconds they have been published — and "withheld" is, for every benign upload
 * taken down or rejected, the time from that decision to its overturn (or the end of the run):
 * `moderation.creator_revenue_lost_pop`. The screening delay of benign uploads (submit → decision, or → end while
 * still queued) priced the same way is `moderation.creator_revenue_delayed_pop`. Uploads are spread uniformly over
 * creators (the glue), so one network-wide rate is an unbiased per-upload estimate; it is not per-creator (a
 * targeted creator's actual popularity is not reflected). Videos never submitted (the catalog published before the
 * run) are unknown here: their views and revenue are ignored, including for "harmful views served".
 *
 * Metrics (`moderation.*`). Counters: uploads, published and taken_down (first decisions by the quorum), rejected
 * (backlog full), wrongful_takedowns (benign taken down), harmful_published (by the quorum or an overturned appeal),
 * views and harmful_views_served (new views of screened published videos, via `noteView`), appeals,
 * appeals_overturned, wrongful_overturned, appeals_blocked (denied by colluders), censored (taken down although
 * every SD's honest verdict would have published: colluders' doing), sd_reviews (reviews assigned: n per
 * admission), sd_block_votes. Gauges: queue_length (backlog + under review), backlog_length. Histogram:
 * time_to_publish_s (submit → publication by the quorum; overturned appeals are not in it). Summaries (finish):
 * creator_revenue_lost_pop, creator_revenue_delayed_pop, screened_revenue_pop, superdelegates and quorum (n and q
 * of the last admission).
 *
 * Invariants (checker "moderation.accounting"): every upload is in exactly one state — backlog, under review,
 * published, taken down, rejected — and uploads = published + taken_down + rejected + queue_length, where
 * published / taken_down count first decisions and an overturned appeal moves one upload from the second state to
 * the first.
 */
import type { Kernel, KindId, SimContext } from "../../sim/kernel/kernel.ts";
import type { Counter, Histogram, Metrics } from "../../sim/kernel/metrics.ts";
import type { Prng } from "../../sim/kernel/prng.ts";
import { AliasTable, draw, exponential } from "../../sim/kernel/distributions.ts";
import { fmix32 } from "../../sim/kernel/hash.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { HOUR, SECOND } from "../../sim/kernel/time.ts";
import { falsePositiveRate, type ModerationParams } from "./params.ts";
import { blockingSize, quorumSize } from "./theory.ts";

export interface Upload {
  video: number;
  creator: number;
  contentClass: number;
  harmful: boolean;
  /** Harmful and crafted to evade (recall × `adversarial.recallMultiplier`); ignored when not harmful. */
  adversarial: boolean;
}

export interface ModerationHooks {
  published(ctx: SimContext, video: number): void;
  takenDown(ctx: SimContext, video: number): void;
  /** The backlog was full: the upload is refused without review (optional; the video simply never appears). */
  rejected?(ctx: SimContext, video: number): void;
}

/** What the model needs of the world (a runner `World` satisfies it; tests pass a bare kernel and metrics). */
export interface ModerationWorld {
  kernel: Kernel;
  metrics: Metrics;
  /** SuperDelegate liveness; absent: every SD is always up. */
  nodes?: { isUp(id: number): boolean };
}

/** An upload's state. 0 = never submitted. */
export const UploadState = { Unknown: 0, Backlog: 1, Review: 2, Published: 3, TakenDown: 4, Rejected: 5 } as const;
export type UploadState = (typeof UploadState)[keyof typeof UploadState];

const F_HARMFUL = 1, F_ADVERSARIAL = 2, F_TARGET = 4, F_PUBLISH = 8, F_CF_PUBLISH = 16, F_OVERTURNED = 32;
const WEI_PER_MICRO_POP = 10n ** 12n;

/** Counter values, for tests and reports. */
export interface ModerationSnapshot {
  uploads: number; published: number; takenDown: number; rejected: number; queued: number;
  wrongfulTakedowns: number; harmfulPublished: number; harmfulViewsServed: number; views: number;
  appeals: number; appealsOverturned: number; wrongfulOverturned: number; appealsBlocked: number;
  censored: number; sdReviews: number; sdBlockVotes: number;
}

export class Moderation {
  readonly params: ModerationParams;
  /** The adversarial flag of the last `drawUpload` (for glue that stores only class and harmfulness). */
  lastDrawAdversarial = false;

  private readonly kernel: Kernel;
  private readonly nodes: { isUp(id: number): boolean } | undefined;
  private readonly superDelegates: () => readonly number[];
  private readonly hooks: ModerationHooks;
  private readonly kinds: { decide: KindId; appeal: KindId; retry: KindId };
  private readonly rng: { votes: Prng; service: Prng; latency: Prng; appeals: Prng };
  private readonly classTable: AliasTable;
  /** Per class: one SD's FPR. */
  private readonly fpr: Float64Array;
  private readonly serviceUs: number;
  private readonly targetSalt: number;
  private readonly targetSet: Set<number>;

  // Uploads, struct of arrays, by upload index (submission order).
  private n = 0;
  private uVideo = new Int32Array(256);
  private uCreator = new Int32Array(256);
  private uClass = new Uint16Array(256);
  private uFlags = new Uint8Array(256);
  private uState = new Uint8Array(256);
  private uSubmitUs = new Float64Array(256);
  private uDecidedUs = new Float64Array(256);
  private uOverturnUs = new Float64Array(256);
  /** By video id: upload index + 1 (0 = not submitted). */
  private videoUpload = new Int32Array(256);
  private readonly stateCount = new Int32Array(6);

  private inReview = 0;
  private readonly backlog: number[] = [];
  private backlogHead = 0;
  /** Per SD (node id, or −1 − k for virtual SD k): when its GPU queue is next free, µs. */
  private readonly sdFreeUs = new Map<number, number>();
  // Scratch for one admission: reviewer ids and colluder flags, vote landing times.
  private sdIds: number[] = [];
  private sdColluder: Uint8Array = new Uint8Array(16);
  private passT = new Float64Array(16);
  private blockT = new Float64Array(16);
  private lastN = 0;
  private lastQ = 0;

  private revenueWei = 0n;
  private readonly c: Record<
    "uploads" | "published" | "takenDown" | "rejected" | "wrongful" | "harmfulPublished" | "harmfulViews" | "views" | "appeals"
    | "overturned" | "wrongfulOverturned" | "appealsBlocked" | "censored" | "sdReviews" | "sdBlockVotes", Counter>;
  private readonly timeToPublish: Histogram;

  constructor(world: ModerationWorld, params: ModerationParams, superDelegates: () => readonly number[], hooks: ModerationHooks) {
    this.params = params;
    this.kernel = world.kernel;
    this.nodes = world.nodes;
    this.superDelegates = superDelegates;
    this.hooks = hooks;
    const k = world.kernel, m = world.metrics;
    this.rng = { votes: k.rng("moderation/votes"), service: k.rng("moderation/service"), latency: k.rng("moderation/latency"), appeals: k.rng("moderation/appeals") };
    this.classTable = new AliasTable(params.classes.map((c) => c.share));
    this.fpr = Float64Array.from(params.classes, (c) => falsePositiveRate(c.recall, c.precision, c.harmfulRate));
    this.serviceUs = HOUR / params.superDelegates.reviewsPerHour;
    this.targetSalt = k.rng("moderation/targets").u32();
    this.targetSet = new Set(params.colluders.targetCreators);
    this.kinds = {
      decide: k.register("moderation.decide", (ctx, i) => this.onDecide(ctx, i)),
      appeal: k.register("moderation.appeal", (ctx, i) => this.onAppeal(ctx, i)),
      retry: k.register("moderation.retry", (ctx, i) => this.review(ctx, i)),
    };
    this.c = {
      uploads: m.counter("moderation.uploads"),
      published: m.counter("moderation.published"),
      takenDown: m.counter("moderation.taken_down"),
      rejected: m.counter("moderation.rejected"),
      wrongful: m.counter("moderation.wrongful_takedowns"),
      harmfulPublished: m.counter("moderation.harmful_published"),
      harmfulViews: m.counter("moderation.harmful_views_served"),
      views: m.counter("moderation.views"),
      appeals: m.counter("moderation.appeals"),
      overturned: m.counter("moderation.appeals_overturned"),
      wrongfulOverturned: m.counter("moderation.wrongful_overturned"),
      appealsBlocked: m.counter("moderation.appeals_blocked"),
      censored: m.counter("moderation.censored"),
      sdReviews: m.counter("moderation.sd_reviews"),
      sdBlockVotes: m.counter("moderation.sd_block_votes"),
    };
    m.gauge("moderation.queue_length", () => this.queued);
    m.gauge("moderation.backlog_length", () => this.backlog.length - this.backlogHead);
    this.timeToPublish = m.histogram("moderation.time_to_publish_s");
    k.addChecker("moderation.accounting", () => this.check());
  }

  // ------------------------------------------------------------------ public API

  /** Draw a new upload's class, harmfulness and adversarial flag from the params (the glue's upload generator). */
  drawUpload(rng: Prng): { contentClass: number; harmful: boolean; adversarial: boolean } {
    const share = this.params.adversarial.share;
    const adversarial = share > 0 && rng.float() < share;
    const contentClass = this.classTable.sample(rng);
    const harmful = adversarial || rng.bernoulli(this.params.classes[contentClass].harmfulRate);
    this.lastDrawAdversarial = adversarial;
    return { contentClass, harmful, adversarial };
  }

  submit(ctx: SimContext, u: Upload): void {
    invariant(Number.isInteger(u.video) && u.video >= 0, () => `moderation.submit: bad video id ${u.video}`);
    invariant(u.contentClass >= 0 && u.contentClass < this.params.classes.length && Number.isInteger(u.contentClass), () => `moderation.submit: bad class ${u.contentClass}`);
    if (u.video >= this.videoUpload.length) this.videoUpload = growI32(this.videoUpload, u.video + 1);
    invariant(this.videoUpload[u.video] === 0, () => `moderation.submit: video ${u.video} submitted twice`);
    if (this.n === this.uState.length) this.grow();
    const i = this.n++;
    this.videoUpload[u.video] = i + 1;
    this.uVideo[i] = u.video;
    this.uCreator[i] = u.creator;
    this.uClass[i] = u.contentClass;
    this.uFlags[i] = (u.harmful ? F_HARMFUL : 0) | (u.harmful && u.adversarial ? F_ADVERSARIAL : 0) | (this.isTarget(u.creator) ? F_TARGET : 0);
    this.uSubmitUs[i] = ctx.now;
    this.uDecidedUs[i] = -1;
    this.uOverturnUs[i] = -1;
    this.c.uploads.add(1);
    const q = this.params.queue;
    if (this.inReview < q.reviewMax) this.admit(ctx, i);
    else if (this.backlog.length - this.backlogHead < q.backlogMax) {
      this.setState(i, UploadState.Backlog);
      this.backlog.push(i);
    } else {
      this.setState(i, UploadState.Rejected);
      this.uDecidedUs[i] = ctx.now;
      this.c.rejected.add(1);
      this.hooks.rejected?.(ctx, u.video);
    }
  }

  /**
   * A view (or a segment of one) of a video was served with `revenueWei` paid to its creator. `newView` marks the
   * start of a view (the glue passes `segment === 0`), so "views" and "harmful views served" count sessions, not
   * segments. Videos this model did not screen, or that are not published, are ignored.
   */
  noteView(video: number, revenueWei: bigint, newView = true): void {
    const i = video >= 0 && video < this.videoUpload.length ? this.videoUpload[video] - 1 : -1;
    if (i < 0 || this.uState[i] !== UploadState.Published) return;
    this.revenueWei += revenueWei;
    if (newView) {
      this.c.views.add(1);
      if (this.uFlags[i] & F_HARMFUL) this.c.harmfulViews.add(1);
    }
  }

  /** A video's moderation state (Unknown if it was never submitted). */
  stateOf(video: number): UploadState {
    const i = video >= 0 && video < this.videoUpload.length ? this.videoUpload[video] - 1 : -1;
    return i < 0 ? UploadState.Unknown : (this.uState[i] as UploadState);
  }

  isPublished(video: number): boolean {
    return this.stateOf(video) === UploadState.Published;
  }

  /** Uploads submitted and not yet decided (backlog + under review). */
  get queued(): number {
    return this.inReview + this.backlog.length - this.backlogHead;
  }

  snapshot(): ModerationSnapshot {
    const c = this.c;
    return {
      uploads: c.uploads.value, published: c.published.value, takenDown: c.takenDown.value, rejected: c.rejected.value, queued: this.queued,
      wrongfulTakedowns: c.wrongful.value, harmfulPublished: c.harmfulPublished.value, harmfulViewsServed: c.harmfulViews.value, views: c.views.value,
      appeals: c.appeals.value, appealsOverturned: c.overturned.value, wrongfulOverturned: c.wrongfulOverturned.value, appealsBlocked: c.appealsBlocked.value,
      censored: c.censored.value, sdReviews: c.sdReviews.value, sdBlockVotes: c.sdBlockVotes.value,
    };
  }

  /** Summaries: the revenue estimates (see the header), the last reviewing set's size and quorum. */
  finish(metrics: Metrics): void {
    const end = this.kernel.now;
    let exposureUs = 0n, withheldUs = 0n, delayedUs = 0n;
    for (let i = 0; i < this.n; i++) {
      const s = this.uState[i], f = this.uFlags[i];
      if (s === UploadState.Published) {
        const from = f & F_OVERTURNED ? this.uOverturnUs[i] : this.uDecidedUs[i];
        exposureUs += BigInt(end - from);
      }
      if (f & F_HARMFUL) continue;
      const decided = this.uDecidedUs[i];
      delayedUs += BigInt((decided >= 0 ? decided : end) - this.uSubmitUs[i]);
      if (s === UploadState.TakenDown || s === UploadState.Rejected) withheldUs += BigInt(end - decided);
      else if (f & F_OVERTURNED) withheldUs += BigInt(this.uOverturnUs[i] - decided);
    }
    const price = (us: bigint) => (exposureUs > 0n ? (this.revenueWei * us) / exposureUs : 0n);
    metrics.summary("moderation.creator_revenue_lost_pop", toPop(price(withheldUs)));
    metrics.summary("moderation.creator_revenue_delayed_pop", toPop(price(delayedUs)));
    metrics.summary("moderation.screened_revenue_pop", toPop(this.revenueWei));
    metrics.summary("moderation.superdelegates", this.lastN);
    metrics.summary("moderation.quorum", this.lastQ);
  }

  // ------------------------------------------------------------------ review

  private admit(ctx: SimContext, i: number): void {
    this.setState(i, UploadState.Review);
    this.inReview++;
    this.review(ctx, i);
  }

  /** Gather the reviewers, draw the votes and their landing times, schedule the decision (steps 2–5 of the header). */
  private review(ctx: SimContext, i: number): void {
    const n = this.reviewers();
    if (n === 0) {
      ctx.schedule(this.params.queue.retryS * SECOND, this.kinds.retry, i);
      return;
    }
    const sd = this.params.superDelegates;
    const q = quorumSize(n, sd.quorumRule, sd.quorumFraction), b = blockingSize(n, q);
    this.lastN = n;
    this.lastQ = q;
    const f = this.uFlags[i], cls = this.params.classes[this.uClass[i]];
    const harmful = (f & F_HARMFUL) !== 0;
    const pBlock = harmful ? cls.recall * (f & F_ADVERSARIAL ? this.params.adversarial.recallMultiplier : 1) : this.fpr[this.uClass[i]];
    const vr = this.rng.votes;
    const shared = sd.errorCorrelation > 0 && vr.float() < sd.errorCorrelation;
    const sharedBlock = shared && vr.float() < pBlock;
    const target = (f & F_TARGET) !== 0, randomBlock = this.params.colluders.blockRandomProbability;
    const det = sd.service === "deterministic";
    let np = 0, nb = 0, honestBlocks = 0;
    for (let k = 0; k < n; k++) {
      const honest = shared ? sharedBlock : vr.float() < pBlock;
      let block = honest;
      if (this.sdColluder[k] === 1 && !honest) block = target || (randomBlock > 0 && vr.float() < randomBlock);
      if (honest) honestBlocks++;
      const id = this.sdIds[k];
      const start = Math.max(ctx.now, this.sdFreeUs.get(id) ?? 0);
      const done = start + (det ? this.serviceUs : exponential(this.rng.service, this.serviceUs));
      this.sdFreeUs.set(id, done);
      const t = done + Math.max(0, draw(this.rng.latency, cls.latencyS)) * SECOND;
      if (block) this.blockT[nb++] = t;
      else this.passT[np++] = t;
    }
    this.c.sdReviews.add(n);
    this.c.sdBlockVotes.add(nb);
    const publish = np >= q;
    let flags = f & ~(F_PUBLISH | F_CF_PUBLISH);
    if (publish) flags |= F_PUBLISH;
    if (n - honestBlocks >= q) flags |= F_CF_PUBLISH;
    this.uFlags[i] = flags;
    const at = publish ? kth(this.passT, np, q) : kth(this.blockT, nb, b);
    ctx.scheduleAt(Math.max(ctx.now, Math.round(at)), this.kinds.decide, i);
  }

  /** Fill `sdIds`/`sdColluder` with the up SDs of the current set; returns how many. */
  private reviewers(): number {
    const list = this.superDelegates();
    const total = list.length > 0 ? list.length : this.params.superDelegates.fallbackCount;
    const colluders = this.params.colluders.count;
    if (this.sdColluder.length < total) {
      this.sdColluder = new Uint8Array(total * 2);
      this.passT = new Float64Array(total * 2);
      this.blockT = new Float64Array(total * 2);
    }
    let n = 0;
    for (let k = 0; k < total; k++) {
      const id = list.length > 0 ? list[k] : -1 - k;
      if (id >= 0 && this.nodes !== undefined && !this.nodes.isUp(id)) continue;
      this.sdIds[n] = id;
      this.sdColluder[n] = k < colluders ? 1 : 0;
      n++;
    }
    this.sdIds.length = n;
    return n;
  }

  private onDecide(ctx: SimContext, i: number): void {
    invariant(this.uState[i] === UploadState.Review, () => `moderation: decision for upload ${i} in state ${this.uState[i]}`);
    this.inReview--;
    this.uDecidedUs[i] = ctx.now;
    const f = this.uFlags[i], video = this.uVideo[i];
    const harmful = (f & F_HARMFUL) !== 0;
    if (f & F_PUBLISH) {
      ctx.traceMix(1);
      this.setState(i, UploadState.Published);
      this.c.published.add(1);
      if (harmful) this.c.harmfulPublished.add(1);
      this.timeToPublish.observe((ctx.now - this.uSubmitUs[i]) / SECOND);
      this.hooks.published(ctx, video);
    } else {
      ctx.traceMix(2);
      this.setState(i, UploadState.TakenDown);
      this.c.takenDown.add(1);
      if (!harmful) this.c.wrongful.add(1);
      if (f & F_CF_PUBLISH) this.c.censored.add(1);
      this.hooks.takenDown(ctx, video);
      const a = this.params.appeals;
      if (a.probability > 0 && this.rng.appeals.float() < a.probability) {
        this.c.appeals.add(1);
        ctx.schedule(Math.max(0, draw(this.rng.appeals, a.latencyS)) * SECOND, this.kinds.appeal, i);
      }
    }
    this.drainBacklog(ctx);
  }

  private drainBacklog(ctx: SimContext): void {
    const reviewMax = this.params.queue.reviewMax;
    while (this.inReview < reviewMax && this.backlogHead < this.backlog.length) this.admit(ctx, this.backlog[this.backlogHead++]);
    if (this.backlogHead > 1024 && this.backlogHead * 2 > this.backlog.length) {
      this.backlog.splice(0, this.backlogHead);
      this.backlogHead = 0;
    }
  }

  private onAppeal(ctx: SimContext, i: number): void {
    invariant(this.uState[i] === UploadState.TakenDown, () => `moderation: appeal of upload ${i} in state ${this.uState[i]}`);
    const f = this.uFlags[i];
    const harmful = (f & F_HARMFUL) !== 0;
    if (this.params.colluders.blockAppeals && f & F_TARGET && this.colludersBlock()) {
      ctx.traceMix(3);
      this.c.appealsBlocked.add(1);
      return;
    }
    const correct = this.rng.appeals.float() < this.params.appeals.accuracy;
    if (harmful ? correct : !correct) {
      ctx.traceMix(4);
      return;
    }
    ctx.traceMix(5);
    this.setState(i, UploadState.Published);
    this.uFlags[i] = f | F_OVERTURNED;
    this.uOverturnUs[i] = ctx.now;
    this.c.overturned.add(1);
    if (harmful) this.c.harmfulPublished.add(1);
    else this.c.wrongfulOverturned.add(1);
    this.hooks.published(ctx, this.uVideo[i]);
  }

  /** Whether the colluders among the current up SDs can block (hold at least n − q + 1 seats). */
  private colludersBlock(): boolean {
    const n = this.reviewers();
    if (n === 0) return false;
    let c = 0;
    for (let k = 0; k < n; k++) c += this.sdColluder[k];
    const sd = this.params.superDelegates;
    return c > 0 && c >= blockingSize(n, quorumSize(n, sd.quorumRule, sd.quorumFraction));
  }

  private isTarget(creator: number): boolean {
    if (this.targetSet.has(creator)) return true;
    const share = this.params.colluders.targetCreatorShare;
    return share > 0 && fmix32((this.targetSalt ^ fmix32(creator >>> 0)) >>> 0) / 4294967296 < share;
  }

  // ------------------------------------------------------------------ bookkeeping

  private setState(i: number, s: UploadState): void {
    const old = this.uState[i];
    if (old !== 0) this.stateCount[old]--;
    this.uState[i] = s;
    this.stateCount[s]++;
  }

  private check(): string | undefined {
    const c = this.c, sc = this.stateCount;
    const backlog = this.backlog.length - this.backlogHead;
    if (sc[1] + sc[2] + sc[3] + sc[4] + sc[5] !== this.n) return `states sum to ${sc[1] + sc[2] + sc[3] + sc[4] + sc[5]}, uploads ${this.n}`;
    if (c.uploads.value !== this.n) return `uploads counter ${c.uploads.value} ≠ ${this.n}`;
    if (sc[UploadState.Backlog] !== backlog) return `backlog state ${sc[UploadState.Backlog]} ≠ backlog ${backlog}`;
    if (sc[UploadState.Review] !== this.inReview) return `review state ${sc[UploadState.Review]} ≠ under review ${this.inReview}`;
    if (this.inReview > this.params.queue.reviewMax) return `${this.inReview} under review > reviewMax`;
    if (sc[UploadState.Published] !== c.published.value + c.overturned.value) return `published state ${sc[UploadState.Published]} ≠ published + overturned`;
    if (sc[UploadState.TakenDown] !== c.takenDown.value - c.overturned.value) return `taken-down state ${sc[UploadState.TakenDown]} ≠ taken_down − overturned`;
    if (sc[UploadState.Rejected] !== c.rejected.value) return `rejected state ≠ rejected counter`;
    if (c.published.value + c.takenDown.value + c.rejected.value + this.queued !== this.n) return "uploads ≠ published + taken_down + rejected + queue_length";
    return undefined;
  }

  private grow(): void {
    const cap = this.uState.length * 2;
    this.uVideo = growI32(this.uVideo, cap);
    this.uCreator = growI32(this.uCreator, cap);
    const cls = new Uint16Array(cap); cls.set(this.uClass); this.uClass = cls;
    const fl = new Uint8Array(cap); fl.set(this.uFlags); this.uFlags = fl;
    const st = new Uint8Array(cap); st.set(this.uState); this.uState = st;
    this.uSubmitUs = growF64(this.uSubmitUs, cap);
    this.uDecidedUs = growF64(this.uDecidedUs, cap);
    this.uOverturnUs = growF64(this.uOverturnUs, cap);
  }
}

/** The k-th smallest (1-based) of the first `len` entries (sorts them in place; len is a handful of SDs). */
function kth(a: Float64Array, len: number, k: number): number {
  const s = a.subarray(0, len);
  s.sort();
  return s[k - 1];
}

function growI32(a: Int32Array<ArrayBuffer>, atLeast: number): Int32Array<ArrayBuffer> {
  let cap = Math.max(16, a.length);
  while (cap < atLeast) cap *= 2;
  if (cap === a.length) return a;
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

function growF64(a: Float64Array<ArrayBuffer>, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/** Wei → POP as a float for reporting (exact to a micro-POP). */
function toPop(wei: bigint): number {
  return Number(wei / WEI_PER_MICRO_POP) / 1e6;
}
