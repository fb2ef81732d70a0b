/**
 * The streaming economy's plugin: agents driving the swarm, payments, moderation and rewards (DESIGN.md §5).
 *
 * Purpose: one place that turns `scenario.models.agents` (with the distribution, channels, moderation and economy
 * sections) into behaviour — creators publish, SuperDelegates screen, masternodes hold and serve, viewers watch and
 * pay, peers serve what they watched, and the reward pool pays for serving, storage and blocks — while each
 * protocol model stays in its own folder and knows nothing of the others. This module is the only one that wires
 * them together; it owns no protocol rule.
 *
 * Data flow (per video and per segment):
 *   creator upload (Poisson per creator) → moderation.submit → published: placement picks the masternodes that hold
 *   the video's shards (the storage model's rendezvous placement code) → swarm.publish → a viewer that is online
 *   draws a video (Zipf over creators, catalog.ts) and a watch time → swarm.watch → for every segment delivered, the
 *   swarm calls `served`: the viewer pays the serving node (per GB) and the creator (per minute) with off-chain
 *   vouchers; if either payment is refused the source stops serving ("unpaid"); an accepted serving payment is a
 *   viewer-signed receipt, which the reward model counts → the reward pool (RewardPool contract) pays masternodes,
 *   delegates, stakers and ephemeral peers.
 *
 * Design decisions:
 * - Videos that exist before the run (`creators.initialVideos`) are published at t = 0 without screening (they were
 *   screened before the run, so none of them is harmful: harmful views come only from the run's uploads); new uploads are screened when moderation is enabled, published directly otherwise.
 * - Holders: a video's shards sit on `n` masternodes chosen by `placeRendezvous` under the spread policy (one
 *   placement table over the world's masternodes at setup). The swarm treats every holder as an origin able to serve
 *   whole segments (it reassembles from its peers' shards); shard-level transfers are the storage model's business.
 * - A viewer's sessions are a chain of events while it is up: next start = now + sessionGap; a session ends in the
 *   swarm (finished, offline, unpaid, withdrawn) and the next is scheduled if the viewer is still up. An epoch per
 *   viewer voids a pending start when the viewer went down and came back meanwhile.
 * - Prices: serving is per byte delivered (`servingPricePopPerGb`), content per second of video; both are exact wei
 *   computed once per video (segment price), so a segment's payment is one bigint lookup.
 */
import type { ModelPlugin, World } from "../../sim/runner/run.ts";
import type { KindId, SimContext } from "../../sim/kernel/index.ts";
import type { Counter } from "../../sim/kernel/metrics.ts";
import { draw, lognormalMeanCv, poisson, exponential, sampleIndices } from "../../sim/kernel/distributions.ts";
import { DAY, SECOND } from "../../sim/kernel/time.ts";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { buildPlacementTable, placeRendezvous, segmentKeyOf, spreadPolicy, type MasternodeInfo, type PlacementPolicy, type PlacementTable } from "../storage/placement.ts";
import { chainOf, evmOf } from "../chain/plugin.ts";
import { storageOf } from "../storage/model.ts";
import { Catalog, VideoState } from "./catalog.ts";
import { resolveAgentsParams, type AgentsParams } from "./params.ts";
import { Swarm, type ServeEvent, type SessionStats } from "../distribution/swarm.ts";
import { resolveDistributionParams } from "../distribution/params.ts";
import { Payments } from "../channels/payments.ts";
import { resolveChannelsParams } from "../channels/params.ts";
import { Moderation } from "../moderation/moderation.ts";
import { resolveModerationParams } from "../moderation/params.ts";
import { Rewards } from "../economy/rewards.ts";
import { resolveEconomyParams } from "../economy/params.ts";

const WEI_PER_POP = 10n ** 18n;
const MICRO = 1_000_000n;
/** Whole POP (a float from the scenario) → wei, rounded to a micro-POP. */
const popToWei = (pop: number): bigint => BigInt(Math.round(pop * 1e6)) * (WEI_PER_POP / MICRO);

/** Everything one run's economy holds; tests and the report reach it through `economyOf(world)`. */
export class Economy {
  readonly p: AgentsParams;
  readonly world: World;
  readonly catalog: Catalog;
  readonly swarm: Swarm;
  readonly payments: Payments | undefined;
  readonly moderation: Moderation | undefined;
  readonly rewards: Rewards | undefined;
  /** By video: its masternode holders (node ids), the price of one segment to the creator and to the server. */
  readonly holders: number[][] = [];
  readonly contentWeiPerSegment: bigint[] = [];
  readonly servingWeiPerSegment: bigint[] = [];
  /** By node id: 1 if this node serves (viewers: the serving fraction; masternodes: not withholding). */
  private serves: Uint8Array;
  private epoch: Uint32Array;
  private readonly table: PlacementTable;
  private readonly policy: PlacementPolicy;
  private readonly segmentS: number;
  private readonly servingWeiPerByteNum: bigint;
  private readonly kinds: { start: KindId; session: KindId; upload: KindId };
  private readonly c: Record<"sessions" | "noVideo" | "busy" | "uploads" | "unpaid" | "contentPaid" | "servingPaid" | "refused", Counter>;

  constructor(world: World, p: AgentsParams) {
    this.world = world;
    this.p = p;
    const s = world.scenario;
    const { kernel: k, nodes, metrics: m } = world;
    const chain = chainOf(world);
    const evm = evmOf(world);
    const dist = resolveDistributionParams(s.models.distribution);
    this.segmentS = dist.segmentS;

    // Creators and their prices.
    const creators = nodes.idsOfRole(ROLE_IDS.creator);
    const priceRng = k.rng("agents/prices");
    const prices = creators.map(() => {
      const pop = p.creators.priceCv > 0 ? lognormalMeanCv(priceRng, p.creators.pricePerMinutePop, p.creators.priceCv) : p.creators.pricePerMinutePop;
      return popToWei(pop);
    });
    this.catalog = new Catalog(creators, p.viewers.creatorZipf, prices, k.rng("agents/creator-ranks"));

    // Masternodes: the placement table, and who withholds.
    const masternodes = nodes.idsOfRole(ROLE_IDS.masternode);
    const infos: MasternodeInfo[] = masternodes.map((id) => ({
      nodeId: id, regionId: nodes.region[id], operatorId: id, stakeBondedWei: 0n, departed: false, capacityShards: Number.MAX_SAFE_INTEGER,
    }));
    this.table = buildPlacementTable(infos, 0n);
    const n = s.models.storage.enabled ? s.models.storage.n : p.masternodes.holdersPerVideo;
    this.policy = spreadPolicy(this.table, Math.min(n, masternodes.length));
    this.serves = new Uint8Array(Math.max(16, nodes.count * 2));
    this.epoch = new Uint32Array(this.serves.length);
    const servingRng = k.rng("agents/serving");
    for (let id = 0; id < nodes.count; id++) if (nodes.role[id] === ROLE_IDS.viewer) this.serves[id] = servingRng.float() < p.viewers.servingFraction ? 1 : 0;
    for (const id of masternodes) this.serves[id] = 1;
    const withholders = sampleIndices(k.rng("agents/withholders"), masternodes.length, Math.round(p.masternodes.withholdFraction * masternodes.length));
    for (const i of withholders) this.serves[masternodes[i]] = 0;
    m.summary("agents.masternodes_withholding", withholders.length);
    // Serving price per byte, kept as a numerator over 1e9 bytes (1 GB) to stay exact.
    this.servingWeiPerByteNum = popToWei(p.masternodes.servingPricePopPerGb);

    this.c = {
      sessions: m.counter("agents.sessions_started"),
      noVideo: m.counter("agents.sessions_no_video"),
      busy: m.counter("agents.sessions_not_started"),
      uploads: m.counter("agents.uploads"),
      unpaid: m.counter("agents.segments_unpaid"),
      contentPaid: m.counter("agents.content_payments"),
      servingPaid: m.counter("agents.serving_payments"),
      refused: m.counter("agents.payments_refused"),
    };
    m.gauge("agents.viewers_online", () => nodes.countUp(ROLE_IDS.viewer));
    m.gauge("agents.videos_published", () => this.catalog.publishedCount);

    this.swarm = new Swarm(world, dist, {
      served: (ctx, e) => this.onServed(ctx, e),
      sessionEnded: (ctx, viewer, st) => this.onSessionEnded(ctx, viewer, st),
      willServe: (source) => source < this.serves.length && this.serves[source] === 1,
    });
    const ch = resolveChannelsParams(s.models.channels);
    this.payments = ch.enabled ? new Payments(world, ch, evm, chain) : undefined;
    const mod = resolveModerationParams(s.models.moderation);
    this.moderation = mod.enabled
      ? new Moderation(world, mod, () => chain?.superDelegates() ?? [], {
          published: (ctx, video) => this.publish(ctx, video),
          takenDown: (_ctx, video) => this.takeDown(video),
          rejected: (_ctx, video) => this.takeDown(video),
        })
      : undefined;
    const eco = resolveEconomyParams(s.models.economy);
    this.rewards = eco.enabled ? new Rewards(world, eco, evm, chain) : undefined;
    const storage = storageOf(world);
    if (storage !== undefined) this.rewards?.useStorage(storage);

    this.kinds = {
      start: k.register("agents.start", (ctx) => this.onStart(ctx)),
      session: k.register("agents.session", (ctx, viewer, _d, ep) => this.onSessionStart(ctx, viewer, ep)),
      upload: k.register("agents.upload", (ctx) => this.onUpload(ctx)),
    };
    world.faults.onChange((ctx, node, up) => {
      if (node >= this.serves.length) this.grow(node);
      if (nodes.role[node] !== ROLE_IDS.viewer) return;
      this.epoch[node]++;
      if (up) this.online(ctx, node);
    });
    world.faults.onArrive((_ctx, node) => {
      if (node >= this.serves.length) this.grow(node);
      if (nodes.role[node] === ROLE_IDS.viewer) this.serves[node] = k.rng("agents/serving").float() < p.viewers.servingFraction ? 1 : 0;
      else if (nodes.role[node] === ROLE_IDS.masternode) this.serves[node] = 1;
    });
    k.schedule(0, this.kinds.start);
  }

  private grow(node: number): void {
    let cap = this.serves.length;
    while (cap <= node) cap *= 2;
    const s = new Uint8Array(cap); s.set(this.serves); this.serves = s;
    const e = new Uint32Array(cap); e.set(this.epoch); this.epoch = e;
  }

  // ------------------------------------------------------------------ catalog

  /** A new video of `creator`; `preScreened` for the pre-run catalog (its harmful uploads were already removed). */
  private newVideo(ctx: SimContext, creator: number, preScreened = false): number {
    const p = this.p.creators;
    const rng = ctx.rng("agents/videos");
    const lengthS = Math.max(this.segmentS, draw(rng, p.videoLength));
    const segments = Math.max(1, Math.ceil(lengthS / this.segmentS));
    const segmentBytes = Math.max(1, Math.round((p.bitrateKbps * 1000 * this.segmentS) / 8));
    const drawn = this.moderation?.drawUpload(rng) ?? { contentClass: 0, harmful: false, adversarial: false };
    const upload = preScreened ? { ...drawn, harmful: false, adversarial: false } : drawn;
    const id = this.catalog.add({ creator, segments, segmentBytes, segmentS: this.segmentS, lengthS, harmful: upload.harmful, contentClass: upload.contentClass, uploadedAtUs: ctx.now });
    const ci = this.catalog.creatorIndexOf(creator);
    // Content: price per minute × segment seconds / 60, exact to the micro-second of video.
    const perMin = this.catalog.creatorPriceWeiPerMin[ci];
    this.contentWeiPerSegment.push((perMin * BigInt(Math.round(this.segmentS * 1e6))) / (60n * MICRO));
    this.servingWeiPerSegment.push((this.servingWeiPerByteNum * BigInt(segmentBytes)) / 1_000_000_000n);
    const placed = placeRendezvous(this.table, segmentKeyOf(`video/${id}`), this.policy);
    const holders: number[] = [];
    for (let i = 0; i < placed.holders.length; i++) holders.push(this.table.nodeId[placed.holders[i]]);
    this.holders.push(holders);
    return id;
  }

  private publish(_ctx: SimContext, video: number): void {
    if (this.catalog.state[video] === VideoState.Published) return;
    this.catalog.publish(video);
    const v = this.catalog.videos[video];
    this.swarm.publish({ id: video, creator: v.creator, segments: v.segments, segmentBytes: v.segmentBytes, segmentS: v.segmentS, holders: this.holders[video] });
  }

  private takeDown(video: number): void {
    const was = this.catalog.state[video] === VideoState.Published;
    this.catalog.takeDown(video);
    if (was) this.swarm.withdraw(video);
  }

  private onUpload(ctx: SimContext): void {
    const rng = ctx.rng("agents/uploads");
    const creators = this.catalog.creatorNode;
    if (this.catalog.videos.length < this.p.catalogMax) {
      const creator = creators[rng.int(creators.length)];
      const id = this.newVideo(ctx, creator);
      this.c.uploads.add(1);
      const v = this.catalog.videos[id];
      if (this.moderation) this.moderation.submit(ctx, { video: id, creator, contentClass: v.contentClass, harmful: v.harmful, adversarial: this.moderation.lastDrawAdversarial });
      else this.publish(ctx, id);
    }
    const rate = creators.length * this.p.creators.uploadsPerDay;
    ctx.schedule(exponential(rng, DAY / rate), this.kinds.upload);
  }

  // ------------------------------------------------------------------ viewers

  private onStart(ctx: SimContext): void {
    const { nodes } = this.world;
    const rng = ctx.rng("agents/initial-catalog");
    for (const creator of this.catalog.creatorNode) {
      const count = poisson(rng, this.p.creators.initialVideos);
      for (let i = 0; i < count && this.catalog.videos.length < this.p.catalogMax; i++) this.publish(ctx, this.newVideo(ctx, creator, true));
    }
    for (let id = 0; id < nodes.count; id++) if (nodes.role[id] === ROLE_IDS.viewer && nodes.isUp(id)) this.online(ctx, id);
    if (this.catalog.creatorNode.length > 0 && this.p.creators.uploadsPerDay > 0) {
      ctx.schedule(exponential(ctx.rng("agents/uploads"), DAY / (this.catalog.creatorNode.length * this.p.creators.uploadsPerDay)), this.kinds.upload);
    }
    this.rewards?.start();
  }

  private online(ctx: SimContext, viewer: number): void {
    this.payments?.prepare(ctx, viewer);
    this.scheduleSession(ctx, viewer);
  }

  private scheduleSession(ctx: SimContext, viewer: number): void {
    const gapS = draw(ctx.rng("agents/session-gaps"), this.p.viewers.sessionGap);
    ctx.schedule(Math.round(gapS * SECOND), this.kinds.session, viewer, undefined, this.epoch[viewer]);
  }

  private onSessionStart(ctx: SimContext, viewer: number, epoch: number): void {
    if (epoch !== this.epoch[viewer] || !this.world.nodes.isUp(viewer) || this.swarm.isWatching(viewer)) return;
    const rng = ctx.rng("agents/choices");
    const video = this.catalog.pick(rng);
    if (video < 0) {
      this.c.noVideo.add(1);
      this.scheduleSession(ctx, viewer);
      return;
    }
    const v = this.catalog.videos[video];
    const watchS = draw(rng, this.p.viewers.watchTime);
    const segments = Math.max(1, Math.min(v.segments, Math.ceil(watchS / v.segmentS)));
    if (this.swarm.watch(ctx, viewer, video, segments)) this.c.sessions.add(1);
    else {
      this.c.busy.add(1);
      this.scheduleSession(ctx, viewer);
    }
  }

  private onSessionEnded(ctx: SimContext, viewer: number, st: SessionStats): void {
    this.rewards?.noteWatched(viewer, st.playedUs);
    if (this.world.nodes.isUp(viewer)) this.scheduleSession(ctx, viewer);
  }

  /** A segment arrived: the viewer pays the server and the creator; a refused payment ends the session. */
  private onServed(ctx: SimContext, e: ServeEvent): boolean {
    const content = this.contentWeiPerSegment[e.video];
    const serving = this.servingWeiPerSegment[e.video];
    const creator = this.catalog.videos[e.video].creator;
    this.moderation?.noteView(e.video, content, e.segment === 0);
    const pay = this.payments;
    if (pay === undefined) {
      this.rewards?.noteServed(e.source, e.bytes, e.fromPeer);
      return true;
    }
    const s = serving > 0n ? pay.pay(ctx, e.viewer, e.source, serving) : "paid";
    if (s === "refused") {
      this.c.refused.add(1);
      this.c.unpaid.add(1);
      return false;
    }
    this.c.servingPaid.add(1);
    this.rewards?.noteServed(e.source, e.bytes, e.fromPeer);
    this.rewards?.notePayment(e.viewer, e.source, serving, "serving");
    const c = content > 0n ? pay.pay(ctx, e.viewer, creator, content) : "paid";
    if (c === "refused") {
      this.c.refused.add(1);
      this.c.unpaid.add(1);
      return false;
    }
    this.c.contentPaid.add(1);
    this.rewards?.notePayment(e.viewer, creator, content, "content");
    return true;
  }

  async finish(): Promise<void> {
    const m = this.world.metrics;
    this.swarm.finish(m);
    this.moderation?.finish(m);
    await this.payments?.finish(m);
    await this.rewards?.finish(m);
    m.summary("agents.videos", this.catalog.videos.length);
    m.summary("agents.creators", this.catalog.creatorNode.length);
  }
}

const ECONOMY_SLOT = Symbol("popsim.economy");
type Slots = World & { [ECONOMY_SLOT]?: Economy };

/** The economy of a world, if the agents are enabled in it. */
export function economyOf(world: World): Economy | undefined {
  return (world as Slots)[ECONOMY_SLOT];
}

export const economyPlugin: ModelPlugin = {
  name: "economy",
  async setup(world) {
    const p = resolveAgentsParams(world.scenario.models.agents);
    if (!p.enabled) return;
    const economy = new Economy(world, p);
    (world as Slots)[ECONOMY_SLOT] = economy;
    // Tickets policy: viewers' deposits and reserves funded in bulk at genesis (no-op otherwise).
    await economy.payments?.fundAtGenesis();
  },
  async finish(world) {
    await economyOf(world)?.finish();
  },
};
