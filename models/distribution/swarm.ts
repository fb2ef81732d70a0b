/**
 * Swarm video delivery: viewers fetch video segments from each other (ephemeral masternodes) and from the
 * masternodes that hold the video (the origin), BitTorrent/WebTorrent-style (DOMAIN.md §e).
 *
 * Purpose: deliver every segment a viewer watches through the network model, choosing its source the way a
 * streaming WebTorrent client would, and measure what viewers see (startup delay, rebuffering) and what it costs
 * the origin (offload). Every delivery is reported to `hooks.served`, where the economy's glue makes the viewer pay
 * the source; a refused payment ends the session.
 *
 * Method — one segment, two kernel events:
 * 1. The viewer decides to request segment i (when a previous segment arrives, or at the time its prefetch window
 *    opens) and picks a source. The request is not a network message: a "distribution.request" event fires at the
 *    source after the base one-way latency viewer → source (no jitter, no bandwidth: a request is ~100 bytes).
 *    A request due in the future (the window opens later, or the download cap paces it) is simply scheduled for
 *    then plus the latency, so no wake-up timer per segment is needed.
 * 2. At the source the request is checked again (still up, still serving, still holds the segment, a free upload
 *    slot, uplink backlog within its "spare capacity"). If so the segment is one `net.send` of `segmentBytes` from
 *    source to viewer: the network's FIFO uplink is how a source's capacity is shared among its requesters, and its
 *    downlink FIFO limits the viewer. If not, the viewer re-picks (one more latency hop, counted as rerouted).
 *    The arrival ("net.deliver") updates playback, accounting and the peer's holdings, calls `hooks.served`, and
 *    requests what comes next.
 *
 * Piece selection and sources (stream mode):
 * - The open window is the missing segments less than `bufferSegments` ahead of the playhead; at most
 *   `parallelRequests` are in flight. Urgent segments (due within `urgentS`, or any before playback starts) go
 *   first, earliest deadline first; the rest follow in order ("sequential") or rarest first among the video's peers
 *   with a per-session tie-break ("rarest", WebTorrent's critical pieces + rarest first). A segment with no source
 *   now does not block the ones after it; the next segment beyond the window is requested for the time its window
 *   opens, if nothing earlier is blocked.
 * - Sources: online viewers that hold the segment (their current session or one of their `cacheVideos` cached
 *   videos; only with peer serving on) are preferred, probed at random (`candidates` probes) within the viewer's
 *   neighbourhood of `connectionsMax` peers, same region first with probability `sameRegionPreference`. If probed
 *   peers hold (or are fetching) it but none can send now and it is not urgent, the viewer waits for a peer —
 *   P2P first, origin when urgent, so origin capacity goes to what only the origin has. Otherwise the holder
 *   masternode with the earliest expected start (uplink backlog + latency); failing that, the viewer waits
 *   `retryBackoffS` (counted), and a session that has received nothing for `noSourceTimeoutS` ends "no-source".
 * - Why not plain sequential from any holder: viewers at the same point of a video then all ask the same few
 *   holders for the same segment and the swarm's upload goes unused (the streaming validation collapsed even at
 *   twice the needed capacity that way); rarest-first plus waiting for peers reaches the Kumar–Liu–Ross bound.
 * - Download mode (the fluid-model check) is peer-first, as BitTorrent: probe a peer with spare capacity, then ask
 *   it for a random piece it has and the viewer lacks (random-first, so any peer holding a useful piece can
 *   upload: sharing efficiency η ≈ 1); the origin serves a random missing piece when no peer can. Requests are
 *   paced to the download cap c. A finished leecher seeds for Exp(seedTimeMeanS) and leaves; a leecher aborts at
 *   rate θ.
 *
 * Playback is analytic, with no per-segment playback event: play starts when `startupSegments` are buffered
 * (contiguously from the first); `playEnd` = start + played segments × segment length + stalls so far is when the
 * contiguous buffer runs dry. A segment that arrives after `playEnd` (its deadline) adds the gap to the stall time.
 * A stream session ends "finished" at `playEnd` after its last segment arrived (one event per session), so viewers
 * are busy for as long as they watch.
 *
 * Failures: a viewer going down ends its session ("offline") and drops its cache (it stops serving). A source going
 * down while sending does not stop the network's delivery (store-and-forward), so each node has a count of times it
 * went down; an arrival from a source whose count changed since the send is treated as a cut transfer and
 * re-requested then. Lost messages and transfers dropped by a partition are caught by the request timeout: every
 * sent request enters a FIFO of deadlines (all deadlines are send time + the same timeout, so the FIFO is sorted)
 * checked by one watchdog event at most every timeout/4 — no timer per request.
 *
 * Decisions:
 * - State is struct-of-arrays indexed by node id (per request slot: id × parallelRequests + slot; per cache entry:
 *   id × cacheVideos + entry), grown by doubling when nodes arrive. A request's token packs (serial, slot), so a
 *   delivery or request event finds its slot in O(1) and stale ones (timed out, session over) are recognised.
 * - A video's peers are a dense array of cache-entry ids with swap-remove; order is event order, never hash order.
 * - `hooks.willServe(source)` is asked of every source, peer or masternode (the glue uses it for withholding
 *   masternodes and for viewers that do not serve).
 * - The `ServeEvent` passed to `hooks.served` is one reused object (no allocation per delivery): read it during
 *   the call, do not keep it.
 * - Upload slots are released when the viewer's request resolves (arrival, timeout, cut, or session end), not
 *   when the source's uplink drains; a session ending mid-transfer frees the slot early.
 * - A finished stream session's holdings are the contiguous prefix it received; out-of-order segments beyond it
 *   are not advertised once it is cached.
 * - "Rarest" uses a count per video and segment of the peers holding it (a tracker's view of the swarm, kept
 *   exact incrementally), not a per-neighbourhood have-map; a viewer also sees which peers are fetching a segment.
 * - A request scheduled for when its window opens picks its source when it is scheduled; if that source cannot
 *   serve when the request arrives, it is rerouted (≈ 5 % of requests at the economy's scale).
 */
import type { Kernel, KindId, Prng, SimContext } from "../../sim/kernel/index.ts";
import type { Counter, Histogram, Metrics } from "../../sim/kernel/metrics.ts";
import { exponential } from "../../sim/kernel/distributions.ts";
import { SECOND } from "../../sim/kernel/time.ts";
import { invariant } from "../../sim/kernel/invariant.ts";
import { ROLE_IDS, type NodeTable } from "../../sim/net/nodes.ts";
import type { Network } from "../../sim/net/network.ts";
import type { Faults } from "../../sim/faults/faults.ts";
import type { DistributionParams } from "./params.ts";

export interface SwarmWorld {
  kernel: Kernel;
  nodes: NodeTable;
  net: Network;
  faults: Faults;
  metrics: Metrics;
}

export interface SwarmVideo {
  id: number;
  creator: number;
  segments: number;
  segmentBytes: number;
  segmentS: number;
  /** Masternode node ids holding its shards (the "origin" set). */
  holders: readonly number[];
}

/** One delivered segment. The object is reused between calls: read it during `served`, do not keep it. */
export interface ServeEvent {
  viewer: number;
  source: number;
  video: number;
  segment: number;
  bytes: number;
  fromPeer: boolean;
}

export type SessionEndReason = "finished" | "offline" | "unpaid" | "withdrawn" | "no-source" | "aborted";

export interface SessionStats {
  video: number;
  /** Stream mode: segments played through; download mode: segments received. */
  segmentsPlayed: number;
  /** First play − watch() call, µs; −1 if playback never started (and always in download mode). */
  startupDelayUs: number;
  /** Time spent rebuffering after playback started, including a stall still going on at the end, µs. */
  stallUs: number;
  /** Time spent playing, µs. */
  playedUs: number;
  bytesFromPeers: number;
  bytesFromMasternodes: number;
  /** Time from watch() until the last segment arrived, or until the end if it never did, µs (download mode: time as a leecher). */
  downloadUs: number;
  /** "aborted" only in download mode (leechers abort at rate θ). */
  reason: SessionEndReason;
}

export interface SwarmHooks {
  /** A segment arrived at `viewer`. Return false if the viewer failed to pay: the session ends ("unpaid"). */
  served(ctx: SimContext, e: ServeEvent): boolean;
  sessionEnded?(ctx: SimContext, viewer: number, s: SessionStats): void;
  /** Whether `source` (masternode or peer) serves at all (withholding attackers, non-serving clients: false). Default true. */
  willServe?(source: number): boolean;
}

/** A segment's state within a session. */
const MISSING = 0;
const REQUESTED = 1;
const HAVE = 2;

/** A session's phase: none, fetching, or complete (stream: playing out its buffer; download: seeding). */
const IDLE = 0;
const FETCHING = 1;
const COMPLETE = 2;

/** pickStream results besides a node id: no source at all; peers hold the segment but are busy and it is not urgent yet. */
const NO_SOURCE = -1;
const WAIT_FOR_PEER = -2;

/** Holdings the checker recounts per call (videos are verified in rotation). */
const CHECK_HOLDS_BUDGET = 20_000;

const REASONS: readonly SessionEndReason[] = ["finished", "offline", "unpaid", "withdrawn", "no-source", "aborted"];

function growF64(a: Float64Array, cap: number, fill = 0) {
  const b = new Float64Array(cap);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}
function growI32(a: Int32Array, cap: number, fill = 0) {
  const b = new Int32Array(cap);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}
function growU32(a: Uint32Array, cap: number) {
  const b = new Uint32Array(cap);
  b.set(a);
  return b;
}
function growU8(a: Uint8Array, cap: number) {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}

export class Swarm {
  private readonly k: Kernel;
  private readonly nodes: NodeTable;
  private readonly net: Network;
  private readonly p: DistributionParams;
  private readonly hooks: SwarmHooks;
  private readonly willServe: ((source: number) => boolean) | undefined;
  private readonly download: boolean;
  private readonly peerServing: boolean;
  /** Request slots per viewer (parallelRequests) and cache entries per viewer (cacheVideos). */
  private readonly P: number;
  private readonly C: number;
  private readonly timeoutUs: number;
  private readonly backoffUs: number;
  private readonly noSourceUs: number;
  private readonly peerBacklogUs: number;
  private readonly mnBacklogUs: number;
  private readonly urgentUs: number;
  private readonly rarest: boolean;
  /** Scratch for fill(): candidate segments of the open window and their sort keys. */
  private readonly scratchSeg: Int32Array;
  private readonly scratchKey: Float64Array;
  private readonly rngPeers: Prng;
  private readonly rngPieces: Prng;
  private readonly rngTimes: Prng;

  // Videos, by internal index.
  private readonly videoIndex = new Map<number, number>();
  private readonly vId: number[] = [];
  private readonly vSegments: number[] = [];
  private readonly vBytes: number[] = [];
  private readonly vSegUs: number[] = [];
  private readonly vHolders: number[][] = [];
  /** Cache-entry ids (viewer × C + entry) of the viewers holding part of the video. */
  private readonly vPeers: number[][] = [];
  private readonly vLive: number[] = [];
  /** Per video and segment: how many peers' cache entries hold it (for rarest-first). */
  private readonly vCount: Int32Array[] = [];

  // Per node.
  private cap = 0;
  private active = new Uint16Array(0);
  private downs = new Uint32Array(0);
  // Per viewer session.
  private sVid = new Int32Array(0);
  private sEpoch = new Uint32Array(0);
  private sPhase = new Uint8Array(0);
  private sSegments = new Int32Array(0);
  private sNext = new Int32Array(0);
  private sContig = new Int32Array(0);
  /** Segments not requested and not held (download mode's piece picker). */
  private sMissing = new Int32Array(0);
  private sHave = new Int32Array(0);
  private sInflight = new Uint8Array(0);
  private sRetry = new Uint8Array(0);
  private sStarted = new Uint8Array(0);
  private sWatchAt = new Float64Array(0);
  private sPlayStart = new Float64Array(0);
  private sPlayEnd = new Float64Array(0);
  private sStall = new Float64Array(0);
  private sLastProgress = new Float64Array(0);
  private sDoneAt = new Float64Array(0);
  private sBytesPeer = new Float64Array(0);
  private sBytesMn = new Float64Array(0);
  private sPace = new Float64Array(0);
  private sNeigh = new Uint32Array(0);
  private readonly state: (Uint8Array | undefined)[] = [];
  // Per request slot.
  private rqToken = new Float64Array(0);
  private rqSeg = new Int32Array(0);
  private rqSrc = new Int32Array(0);
  /** The source's cache entry (peer) or −1 (masternode). */
  private rqEntry = new Int32Array(0);
  private rqDowns = new Uint32Array(0);
  private rqSent = new Uint8Array(0);
  private rqAt = new Float64Array(0);
  // Per cache entry.
  private cVid = new Int32Array(0);
  private cHave = new Int32Array(0);
  private cPos = new Int32Array(0);
  private cStamp = new Float64Array(0);
  private curEntry = new Int32Array(0);
  private cCount = new Uint8Array(0);
  private stampNext = 1;
  /** Next video whose holder counts the checker verifies. */
  private checkCursor = 0;
  private serialNext = 1;

  // Request deadlines (FIFO ring) and its watchdog.
  private ringV = new Int32Array(256);
  private ringTok = new Float64Array(256);
  private ringAt = new Float64Array(256);
  private ringHead = 0;
  private ringSize = 0;
  private watchdogArmed = false;

  // Results of the last pick (avoids allocating a tuple).
  private pickedEntry = -1;
  private pickedPiece = -1;
  private readonly serve: ServeEvent = { viewer: 0, source: 0, video: 0, segment: 0, bytes: 0, fromPeer: false };

  // Aggregates.
  private watching = 0;
  private complete = 0;
  private peersServing = 0;
  private peersHolding = 0;
  private stallUsTotal = 0;
  private playedUsTotal = 0;

  private readonly kinds: { request: KindId; retry: KindId; end: KindId; abort: KindId; watchdog: KindId };
  private readonly msgSegment: number;
  private readonly c: Record<
    "started" | "delivered" | "bytesPeers" | "bytesMn" | "requests" | "rerouted" | "refused" | "timeouts" | "cut" | "noSource" | "peerWaits" | "stalls" | "late",
    Counter
  >;
  private readonly ended: Counter[];
  private readonly h: Record<"startup" | "rebuffer" | "download" | "latency", Histogram>;

  constructor(world: SwarmWorld, params: DistributionParams, hooks: SwarmHooks) {
    this.k = world.kernel;
    this.nodes = world.nodes;
    this.net = world.net;
    this.p = params;
    this.hooks = hooks;
    this.willServe = hooks.willServe;
    this.download = params.mode === "download";
    this.peerServing = params.peers.serving;
    this.P = params.parallelRequests;
    this.C = params.peers.cacheVideos;
    this.timeoutUs = Math.round(params.requestTimeoutS * SECOND);
    this.backoffUs = Math.max(1, Math.round(params.retryBackoffS * SECOND));
    this.noSourceUs = Math.round(params.noSourceTimeoutS * SECOND);
    this.peerBacklogUs = params.peers.backlogMaxS * SECOND;
    this.mnBacklogUs = params.masternodes.backlogMaxS * SECOND;
    this.urgentUs = params.urgentS * SECOND;
    this.rarest = params.selection === "rarest";
    this.scratchSeg = new Int32Array(params.bufferSegments + 1);
    this.scratchKey = new Float64Array(params.bufferSegments + 1);
    const k = this.k;
    this.rngPeers = k.rng("distribution/peers");
    this.rngPieces = k.rng("distribution/pieces");
    this.rngTimes = k.rng("distribution/times");
    invariant(params.startupSegments <= params.bufferSegments, "distribution: startupSegments must not exceed bufferSegments");

    this.kinds = {
      request: k.register("distribution.request", (ctx, v, _d, token) => this.onRequest(ctx, v, token)),
      retry: k.register("distribution.retry", (ctx, v, _d, epoch) => this.onRetry(ctx, v, epoch)),
      end: k.register("distribution.end", (ctx, v, _d, epoch) => this.onEnd(ctx, v, epoch)),
      abort: k.register("distribution.abort", (ctx, v, _d, epoch) => this.onAbort(ctx, v, epoch)),
      watchdog: k.register("distribution.watchdog", (ctx) => this.onWatchdog(ctx)),
    };
    this.msgSegment = this.net.on<number>("distribution.segment", (ctx, to, from, token) => this.onSegment(ctx, to, from, token));

    const m = world.metrics;
    this.c = {
      started: m.counter("distribution.sessions_started"),
      delivered: m.counter("distribution.segments_delivered"),
      bytesPeers: m.counter("distribution.bytes_from_peers"),
      bytesMn: m.counter("distribution.bytes_from_masternodes"),
      requests: m.counter("distribution.requests_sent"),
      rerouted: m.counter("distribution.requests_rerouted"),
      refused: m.counter("distribution.requests_refused"),
      timeouts: m.counter("distribution.request_timeouts"),
      cut: m.counter("distribution.transfers_cut"),
      noSource: m.counter("distribution.no_source_waits"),
      peerWaits: m.counter("distribution.peer_waits"),
      stalls: m.counter("distribution.stalls"),
      late: m.counter("distribution.deliveries_stale"),
    };
    this.ended = REASONS.map((r) => m.counter(`distribution.sessions_ended_${r.replace("-", "_")}`));
    this.h = {
      startup: m.histogram("distribution.startup_delay_s"),
      rebuffer: m.histogram("distribution.rebuffer_ratio"),
      download: m.histogram("distribution.download_time_s"),
      latency: m.histogram("distribution.segment_latency_s"),
    };
    m.gauge("distribution.offload", () => this.offload());
    m.gauge("distribution.viewers_watching", () => this.watching);
    m.gauge("distribution.sessions_complete", () => this.complete);
    m.gauge("distribution.peers_serving", () => this.peersServing);
    m.gauge("distribution.peers_holding", () => this.peersHolding);

    world.faults.onArrive((_ctx, node) => this.ensure(node));
    world.faults.onChange((ctx, node, up) => this.onNodeChange(ctx, node, up));
    k.addChecker("distribution.accounting", () => this.check());
    this.ensure(Math.max(0, this.nodes.count - 1));
  }

  // ------------------------------------------------------------------ public API

  /** The video becomes watchable (again, after a withdrawal: its holders are replaced). */
  publish(v: SwarmVideo): void {
    invariant(v.segments >= 1 && v.segmentBytes >= 1 && v.segmentS > 0, () => `distribution.publish: bad video ${JSON.stringify(v)}`);
    let vi = this.videoIndex.get(v.id);
    if (vi === undefined) {
      vi = this.vId.length;
      this.videoIndex.set(v.id, vi);
      this.vId.push(v.id);
      this.vSegments.push(v.segments);
      this.vBytes.push(v.segmentBytes);
      this.vSegUs.push(Math.round(v.segmentS * SECOND));
      this.vHolders.push([...v.holders]);
      this.vPeers.push([]);
      this.vCount.push(new Int32Array(v.segments));
      this.vLive.push(1);
    } else {
      this.vHolders[vi] = [...v.holders];
      this.vLive[vi] = 1;
    }
    let maxId = 0;
    for (const h of v.holders) if (h > maxId) maxId = h;
    this.ensure(maxId);
  }

  /** Taken down: its sessions end ("withdrawn") and every peer drops it. */
  withdraw(videoId: number): void {
    const vi = this.videoIndex.get(videoId);
    if (vi === undefined || this.vLive[vi] === 0) return;
    this.vLive[vi] = 0;
    for (let v = 0; v < this.cap; v++) if (this.sPhase[v] !== IDLE && this.sVid[v] === vi) this.endSession(this.k, v, "withdrawn");
    const peers = this.vPeers[vi];
    while (peers.length > 0) this.cacheRemove(peers[peers.length - 1]);
  }

  /** Start a session: `viewer` watches the first `segments` segments (download mode: the whole video). */
  watch(ctx: SimContext, viewer: number, videoId: number, segments: number): boolean {
    const vi = this.videoIndex.get(videoId);
    if (vi === undefined || this.vLive[vi] === 0 || !this.nodes.isUp(viewer)) return false;
    this.ensure(viewer);
    if (this.sPhase[viewer] !== IDLE) return false;
    const total = this.vSegments[vi];
    const n = this.download ? total : Math.max(1, Math.min(total, Math.floor(segments)));
    const v = viewer;
    this.sVid[v] = vi;
    this.sEpoch[v]++;
    this.sPhase[v] = FETCHING;
    this.sSegments[v] = n;
    this.sNext[v] = 0;
    this.sContig[v] = 0;
    this.sMissing[v] = n;
    this.sHave[v] = 0;
    this.sInflight[v] = 0;
    this.sRetry[v] = 0;
    this.sStarted[v] = 0;
    this.sWatchAt[v] = ctx.now;
    this.sPlayStart[v] = 0;
    this.sPlayEnd[v] = 0;
    this.sStall[v] = 0;
    this.sLastProgress[v] = ctx.now;
    this.sDoneAt[v] = -1;
    this.sBytesPeer[v] = 0;
    this.sBytesMn[v] = 0;
    this.sPace[v] = ctx.now;
    this.sNeigh[v] = this.rngPeers.u32();
    // The whole video's worth is cleared (not just the n watched): peers read holdings of any segment.
    let st = this.state[v];
    if (st === undefined || st.length < total) {
      st = new Uint8Array(Math.max(total, 64));
      this.state[v] = st;
    } else st.fill(MISSING, 0, total);
    if (this.peerServing) this.curEntry[v] = this.cacheInsert(v, vi);
    this.watching++;
    this.c.started.add(1);
    if (this.download && this.p.download.abortRatePerS > 0) {
      ctx.schedule(exponential(this.rngTimes, SECOND / this.p.download.abortRatePerS), this.kinds.abort, v, undefined, this.sEpoch[v]);
    }
    this.fill(ctx, v);
    return true;
  }

  isWatching(viewer: number): boolean {
    return viewer < this.cap && this.sPhase[viewer] !== IDLE;
  }

  /** Leechers (fetching) and seeds (complete) right now — for the fluid-model check. */
  occupancy(): { fetching: number; complete: number } {
    return { fetching: this.watching - this.complete, complete: this.complete };
  }

  /** Summary metrics at the end of the run. Sessions still going are not ended (no hooks); they are counted. */
  finish(metrics: Metrics): void {
    metrics.summary("distribution.offload_ratio", this.offload());
    const all = this.stallUsTotal + this.playedUsTotal;
    metrics.summary("distribution.stall_ratio_total", all > 0 ? this.stallUsTotal / all : 0);
    metrics.summary("distribution.origin_egress_gb", this.c.bytesMn.value / 1e9);
    metrics.summary("distribution.peer_egress_gb", this.c.bytesPeers.value / 1e9);
    metrics.summary("distribution.sessions_active_at_end", this.watching);
    metrics.summary("distribution.videos_published", this.vLive.reduce((a, b) => a + b, 0));
  }

  // ------------------------------------------------------------------ requesting

  /**
   * Request what the session may request now, and schedule the next request for when its window opens.
   *
   * The open window is the missing segments less than `bufferSegments` ahead of the playhead (the first
   * `bufferSegments` before playback starts). They are tried in selection order (urgent ones earliest first, then
   * sequential or rarest first); one with no source now does not block the others (head-of-line blocking would
   * make every viewer at the same point wait on the same holders for the same segment). If nothing was blocked,
   * the next segment after the window is requested for the time its window opens (one request event, no timer).
   */
  private fill(ctx: SimContext, v: number): void {
    if (this.download) {
      this.fillDownload(ctx, v);
      return;
    }
    const P = this.P;
    if (this.sInflight[v] >= P) return;
    const vi = this.sVid[v];
    const n = this.sSegments[v];
    const st = this.state[v]!;
    const segUs = this.vSegUs[vi];
    const B = this.p.bufferSegments;
    const now = ctx.now;
    let i = this.sNext[v];
    while (i < n && st[i] !== MISSING) i++;
    this.sNext[v] = i;
    const started = this.sStarted[v] === 1;
    // Playback of segment s starts at base + s·segUs (stalls so far included); s may be requested from
    // base + (s − B + 1)·segUs on. The playhead never passes the first missing segment (a stall), so the window
    // [.., playhead + B) holds at most B segments.
    const contig = this.sContig[v];
    const base = started ? this.sPlayEnd[v] - contig * segUs : 0;
    let playhead = started ? Math.floor((now - base) / segUs) : 0;
    if (playhead > contig) playhead = contig;
    let end = playhead + B;
    if (end > n) end = n;
    const cand = this.scratchSeg, key = this.scratchKey;
    let count = 0;
    const rarest = this.rarest;
    const holders = this.vCount[vi];
    const rot = this.sNeigh[v] % n;
    for (let s = i; s < end; s++) {
      if (st[s] !== MISSING) continue;
      // Ties among the rarest are broken by a per-session rotation, so viewers at the same point pick different ones.
      const k = !rarest || this.urgent(v, s, now) ? s : n + holders[s] * n + ((s + rot) % n);
      let j = count++;
      while (j > 0 && key[j - 1] > k) {
        key[j] = key[j - 1];
        cand[j] = cand[j - 1];
        j--;
      }
      key[j] = k;
      cand[j] = s;
    }
    let blocked = 0; // NO_SOURCE or WAIT_FOR_PEER: the strongest reason a segment could not be requested
    for (let t = 0; t < count && this.sInflight[v] < P; t++) {
      const s = cand[t];
      const src = this.pickStream(v, vi, s, this.urgent(v, s, now));
      if (src >= 0) this.issue(ctx, v, s, src, this.pickedEntry, now);
      else if (blocked !== NO_SOURCE) blocked = src;
    }
    if (blocked === 0 && started) {
      let s = end;
      while (this.sInflight[v] < P && s < n) {
        if (st[s] === MISSING) {
          const at = base + (s - B + 1) * segUs;
          const src = this.pickStream(v, vi, s, this.urgent(v, s, at));
          if (src < 0) {
            blocked = src;
            break;
          }
          this.issue(ctx, v, s, src, this.pickedEntry, at > now ? at : now);
        }
        s++;
      }
    }
    if (blocked === WAIT_FOR_PEER) this.waitForPeer(ctx, v);
    else if (blocked === NO_SOURCE) this.noSource(ctx, v);
  }

  private fillDownload(ctx: SimContext, v: number): void {
    const P = this.P;
    const vi = this.sVid[v];
    const capMbps = this.p.download.capMbps;
    while (this.sInflight[v] < P && this.sMissing[v] > 0) {
      const src = this.pickDownload(v, vi);
      if (src < 0) {
        this.noSource(ctx, v);
        return;
      }
      let at: number = ctx.now;
      if (capMbps > 0) {
        if (this.sPace[v] > at) at = this.sPace[v];
        this.sPace[v] = at + (this.vBytes[vi] * 8) / capMbps;
      }
      this.issue(ctx, v, this.pickedPiece, src, this.pickedEntry, at);
    }
  }

  private issue(ctx: SimContext, v: number, seg: number, src: number, entry: number, at: number): void {
    const base = v * this.P;
    let slot = 0;
    while (this.rqToken[base + slot] !== 0) slot++;
    invariant(slot < this.P, "distribution: no free request slot");
    const j = base + slot;
    const token = this.serialNext++ * this.P + slot;
    this.rqToken[j] = token;
    this.rqSeg[j] = seg;
    this.rqSrc[j] = src;
    this.rqEntry[j] = entry;
    this.rqSent[j] = 0;
    this.rqAt[j] = at;
    this.state[v]![seg] = REQUESTED;
    this.sInflight[v]++;
    this.sMissing[v]--;
    ctx.scheduleAt(at + this.net.baseLatencyUs(v, src), this.kinds.request, v, undefined, token);
  }

  /** The request reaches its source: send the segment, or re-pick if the source can no longer serve it. */
  private onRequest(ctx: SimContext, v: number, token: number): void {
    const j = v * this.P + (token % this.P);
    if (this.rqToken[j] !== token) return;
    const seg = this.rqSeg[j];
    const src = this.rqSrc[j];
    const vi = this.sVid[v];
    if (!this.available(src, this.rqEntry[j], vi, seg, v)) {
      this.c.rerouted.add(1);
      const again = this.pickStream(v, vi, seg, this.download || this.urgent(v, seg, ctx.now));
      if (again < 0) {
        this.abandon(j, v);
        if (again === WAIT_FOR_PEER) this.waitForPeer(ctx, v);
        else this.noSource(ctx, v);
        return;
      }
      this.rqSrc[j] = again;
      this.rqEntry[j] = this.pickedEntry;
      ctx.schedule(this.net.baseLatencyUs(v, again), this.kinds.request, v, undefined, token);
      return;
    }
    const r = this.net.send(src, v, this.msgSegment, this.vBytes[vi], token);
    if (r !== "sent" && r !== "lost") {
      // Refused by the network at send time (its queue limit): the viewer learns at once and waits.
      this.c.refused.add(1);
      this.abandon(j, v);
      this.noSource(ctx, v);
      return;
    }
    this.c.requests.add(1);
    this.rqSent[j] = 1;
    this.rqDowns[j] = this.downs[src];
    if (this.active[src]++ === 0 && this.rqEntry[j] >= 0) this.peersServing++;
    this.pushDeadline(ctx, v, token);
  }

  /** Give up a request that was never sent (or is being cancelled): the segment becomes missing again. */
  private abandon(j: number, v: number): void {
    this.unsend(j);
    const seg = this.rqSeg[j];
    this.rqToken[j] = 0;
    this.sInflight[v]--;
    this.state[v]![seg] = MISSING;
    this.sMissing[v]++;
    if (seg < this.sNext[v]) this.sNext[v] = seg;
  }

  /** Release the source's upload slot held by request slot j, if it was sent. */
  private unsend(j: number): void {
    if (this.rqSent[j] === 0) return;
    this.rqSent[j] = 0;
    const src = this.rqSrc[j];
    if (--this.active[src] === 0 && this.rqEntry[j] >= 0) this.peersServing--;
  }

  private noSource(ctx: SimContext, v: number): void {
    this.c.noSource.add(1);
    if (ctx.now - this.sLastProgress[v] >= this.noSourceUs) {
      this.endSession(ctx, v, "no-source");
      return;
    }
    if (this.sRetry[v] === 0) {
      this.sRetry[v] = 1;
      ctx.schedule(this.backoffUs, this.kinds.retry, v, undefined, this.sEpoch[v]);
    }
  }

  /** Peers hold the segment but none can send it now, and it is not urgent: ask again after the backoff. */
  private waitForPeer(ctx: SimContext, v: number): void {
    this.c.peerWaits.add(1);
    if (this.sRetry[v] === 0) {
      this.sRetry[v] = 1;
      ctx.schedule(this.backoffUs, this.kinds.retry, v, undefined, this.sEpoch[v]);
    }
  }

  /** Whether segment `seg`, requested at time `at`, is due within the fallback deadline (or playback has not started). */
  private urgent(v: number, seg: number, at: number): boolean {
    if (this.sStarted[v] === 0) return true;
    const segUs = this.vSegUs[this.sVid[v]];
    const deadline = this.sPlayEnd[v] + (seg - this.sContig[v]) * segUs;
    return deadline - at < this.urgentUs;
  }

  private onRetry(ctx: SimContext, v: number, epoch: number): void {
    if (this.sEpoch[v] !== epoch || this.sPhase[v] !== FETCHING) return;
    this.sRetry[v] = 0;
    this.fill(ctx, v);
  }

  // ------------------------------------------------------------------ sources

  private backlogUs(src: number): number {
    const b = this.net.uplinkFreeAtUs(src) - this.k.now;
    return b > 0 ? b : 0;
  }

  /** Whether cache entry q (of viewer q / C) holds segment `seg`. */
  private holds(q: number, seg: number): boolean {
    const u = (q / this.C) | 0;
    if (this.curEntry[u] === q) return this.state[u]![seg] === HAVE;
    return seg < this.cHave[q];
  }

  /** Could peer u (entry q) upload to v now, capacity-wise? (Not whether it holds a given segment.) */
  private peerFree(u: number, v: number): boolean {
    return (
      u !== v &&
      this.active[u] < this.p.peers.uploadSlots &&
      this.nodes.isUp(u) &&
      this.backlogUs(u) <= this.peerBacklogUs &&
      !this.net.isPartitioned(u, v) &&
      (this.willServe === undefined || this.willServe(u))
    );
  }

  private masternodeFree(h: number, v: number): boolean {
    return (
      this.active[h] < this.p.masternodes.uploadSlots &&
      this.nodes.isUp(h) &&
      this.backlogUs(h) <= this.mnBacklogUs &&
      !this.net.isPartitioned(h, v) &&
      (this.willServe === undefined || this.willServe(h))
    );
  }

  /** Re-check at the source: can `src` (entry, or −1 for a masternode) serve segment `seg` of video vi to v now? */
  private available(src: number, entry: number, vi: number, seg: number, v: number): boolean {
    if (entry < 0) return this.masternodeFree(src, v);
    return this.cVid[entry] === vi && this.holds(entry, seg) && this.peerFree(src, v);
  }

  /**
   * A source for segment `seg`: a peer holding it (same region first with the configured probability); if probed
   * peers hold it but none can send and it is not `urgent`, WAIT_FOR_PEER; else the best origin (−1 if none).
   */
  private pickStream(v: number, vi: number, seg: number, urgent: boolean): number {
    let sawHolder = false;
    if (this.peerServing) {
      const list = this.vPeers[vi];
      const len = list.length;
      const C = this.C;
      if (len > 1 || (len === 1 && ((list[0] / C) | 0) !== v)) {
        const rng = this.rngPeers;
        const span = len < this.p.peers.connectionsMax ? len : this.p.peers.connectionsMax;
        const tries = this.p.peers.candidates;
        const pref = this.p.peers.sameRegionPreference;
        const local = pref >= 1 ? true : pref <= 0 ? false : rng.float() < pref;
        const region = this.nodes.region[v];
        const off = this.sNeigh[v] % len;
        // A neighbourhood no larger than the probe budget is scanned whole from a random start; else random probes.
        const scan = span <= tries;
        const start = scan ? rng.int(span) : 0;
        const n = scan ? span : tries;
        const cur = this.curEntry, cHave = this.cHave;
        let fallback = -1, fallbackEntry = -1;
        for (let t = 0; t < n; t++) {
          let jj = scan ? start + t : rng.int(span);
          if (jj >= span) jj -= span;
          let at = off + jj;
          if (at >= len) at -= len;
          const q = list[at];
          const u = (q / C) | 0;
          if (u === v) continue;
          // Looking for a local peer and already holding a remote fallback: a remote candidate is not worth checking.
          const remote = local && this.nodes.region[u] !== region;
          if (remote && fallback >= 0) continue;
          if (cur[u] === q) {
            // The peer's current session: it holds what it has received; one still fetching it will hold it soon,
            // which is worth waiting for while the segment is not urgent.
            const state = this.state[u]![seg];
            if (state !== HAVE) {
              if (state === REQUESTED) sawHolder = true;
              continue;
            }
          } else if (seg >= cHave[q]) continue;
          sawHolder = true;
          if (!this.peerFree(u, v)) continue;
          if (!remote) {
            this.pickedEntry = q;
            return u;
          }
          if (fallback < 0) {
            fallback = u;
            fallbackEntry = q;
          }
        }
        if (fallback >= 0) {
          this.pickedEntry = fallbackEntry;
          return fallback;
        }
      }
    }
    if (sawHolder && !urgent) return WAIT_FOR_PEER;
    return this.pickOrigin(v, vi);
  }

  /** The holder masternode with the earliest expected start of transfer (backlog + latency); −1 if none can serve. */
  private pickOrigin(v: number, vi: number): number {
    const holders = this.vHolders[vi];
    let best = -1, bestScore = Infinity;
    for (let t = 0; t < holders.length; t++) {
      const h = holders[t];
      if (!this.masternodeFree(h, v)) continue;
      const score = this.backlogUs(h) + this.net.baseLatencyUs(h, v);
      if (score < bestScore) {
        bestScore = score;
        best = h;
      }
    }
    this.pickedEntry = -1;
    return best;
  }

  /** Download mode: a free peer first, then a random piece it has and v lacks; else the origin and a random missing piece. */
  private pickDownload(v: number, vi: number): number {
    if (this.peerServing) {
      const list = this.vPeers[vi];
      const len = list.length;
      if (len > 1) {
        const rng = this.rngPeers;
        const span = len < this.p.peers.connectionsMax ? len : this.p.peers.connectionsMax;
        const off = this.sNeigh[v] % len;
        const tries = this.p.peers.candidates;
        for (let t = 0; t < tries; t++) {
          const q = list[(off + rng.int(span)) % len];
          const u = (q / this.C) | 0;
          if (!this.peerFree(u, v)) continue;
          const piece = this.usefulPiece(v, q);
          if (piece < 0) continue;
          this.pickedPiece = piece;
          this.pickedEntry = q;
          return u;
        }
      }
    }
    const origin = this.pickOrigin(v, vi);
    if (origin >= 0) this.pickedPiece = this.randomMissing(v);
    return origin;
  }

  /** A random piece v lacks (not requested) that entry q holds, or −1. */
  private usefulPiece(v: number, q: number): number {
    const n = this.sSegments[v];
    const st = this.state[v]!;
    const start = this.rngPieces.int(n);
    for (let t = 0; t < n; t++) {
      const i = start + t < n ? start + t : start + t - n;
      if (st[i] === MISSING && this.holds(q, i)) return i;
    }
    return -1;
  }

  private randomMissing(v: number): number {
    const n = this.sSegments[v];
    const st = this.state[v]!;
    const start = this.rngPieces.int(n);
    for (let t = 0; t < n; t++) {
      const i = start + t < n ? start + t : start + t - n;
      if (st[i] === MISSING) return i;
    }
    invariant(false, "distribution: no missing piece although the count says some");
  }

  // ------------------------------------------------------------------ arrivals

  private onSegment(ctx: SimContext, v: number, src: number, token: number): void {
    const j = v * this.P + (token % this.P);
    if (this.rqToken[j] !== token) {
      this.c.late.add(1);
      return;
    }
    const seg = this.rqSeg[j];
    const entry = this.rqEntry[j];
    const cut = this.downs[src] !== this.rqDowns[j];
    this.unsend(j);
    if (cut) {
      // The source went down while sending: the transfer broke; ask again now.
      this.c.cut.add(1);
      this.abandon(j, v);
      this.fill(ctx, v);
      return;
    }
    this.rqToken[j] = 0;
    this.sInflight[v]--;
    const st = this.state[v]!;
    if (st[seg] !== REQUESTED) invariant(false, `distribution: viewer ${v} received segment ${seg} in state ${st[seg]}`);
    st[seg] = HAVE;
    this.sHave[v]++;
    const vi = this.sVid[v];
    if (this.curEntry[v] >= 0) this.vCount[vi][seg]++;
    const bytes = this.vBytes[vi];
    const fromPeer = entry >= 0;
    if (fromPeer) {
      this.sBytesPeer[v] += bytes;
      this.c.bytesPeers.add(bytes);
    } else {
      this.sBytesMn[v] += bytes;
      this.c.bytesMn.add(bytes);
    }
    this.c.delivered.add(1);
    const now = ctx.now;
    this.h.latency.observe((now - this.rqAt[j]) / SECOND);
    this.sLastProgress[v] = now;
    const e = this.serve;
    e.viewer = v;
    e.source = src;
    e.video = this.vId[vi];
    e.segment = seg;
    e.bytes = bytes;
    e.fromPeer = fromPeer;
    const epoch = this.sEpoch[v];
    const paid = this.hooks.served(ctx, e);
    if (this.sEpoch[v] !== epoch) return; // the hook ended the session (e.g. withdrew the video)
    if (!paid) {
      this.endSession(ctx, v, "unpaid");
      return;
    }
    if (this.download) this.arrivedDownload(ctx, v);
    else this.arrivedStream(ctx, v, seg, vi);
  }

  private arrivedStream(ctx: SimContext, v: number, seg: number, vi: number): void {
    const now = ctx.now;
    const n = this.sSegments[v];
    const segUs = this.vSegUs[vi];
    if (seg === this.sContig[v]) {
      const st = this.state[v]!;
      let c = seg;
      while (c < n && st[c] === HAVE) c++;
      if (this.sStarted[v] === 1) {
        // Segment `seg` was due when the buffer ran dry (playEnd); arriving later stalled the player.
        if (now > this.sPlayEnd[v]) {
          this.sStall[v] += now - this.sPlayEnd[v];
          this.sPlayEnd[v] = now;
          this.c.stalls.add(1);
        }
        this.sPlayEnd[v] += (c - seg) * segUs;
      }
      this.sContig[v] = c;
      if (this.sStarted[v] === 0 && (c >= this.p.startupSegments || c === n)) {
        this.sStarted[v] = 1;
        this.sPlayStart[v] = now;
        this.sPlayEnd[v] = now + c * segUs;
        this.h.startup.observe((now - this.sWatchAt[v]) / SECOND);
      }
      if (c === n) {
        this.sPhase[v] = COMPLETE;
        this.complete++;
        this.sDoneAt[v] = now;
        ctx.scheduleAt(this.sPlayEnd[v], this.kinds.end, v, undefined, this.sEpoch[v]);
        return;
      }
    }
    this.fill(ctx, v);
  }

  private arrivedDownload(ctx: SimContext, v: number): void {
    if (this.sHave[v] < this.sSegments[v]) {
      this.fill(ctx, v);
      return;
    }
    this.sPhase[v] = COMPLETE;
    this.complete++;
    this.sDoneAt[v] = ctx.now;
    this.h.download.observe((ctx.now - this.sWatchAt[v]) / SECOND);
    const mean = this.p.download.seedTimeMeanS;
    if (mean <= 0) {
      this.endSession(ctx, v, "finished");
      return;
    }
    ctx.schedule(exponential(this.rngTimes, mean * SECOND), this.kinds.end, v, undefined, this.sEpoch[v]);
  }

  private onEnd(ctx: SimContext, v: number, epoch: number): void {
    if (this.sEpoch[v] !== epoch || this.sPhase[v] !== COMPLETE) return;
    this.endSession(ctx, v, "finished");
  }

  private onAbort(ctx: SimContext, v: number, epoch: number): void {
    if (this.sEpoch[v] !== epoch || this.sPhase[v] !== FETCHING) return;
    this.endSession(ctx, v, "aborted");
  }

  // ------------------------------------------------------------------ timeouts

  private pushDeadline(ctx: SimContext, v: number, token: number): void {
    if (this.ringSize === this.ringV.length) {
      const cap = this.ringV.length * 2;
      const rv = new Int32Array(cap), rt = new Float64Array(cap), ra = new Float64Array(cap);
      for (let t = 0; t < this.ringSize; t++) {
        const s = (this.ringHead + t) & (this.ringV.length - 1);
        rv[t] = this.ringV[s];
        rt[t] = this.ringTok[s];
        ra[t] = this.ringAt[s];
      }
      this.ringV = rv;
      this.ringTok = rt;
      this.ringAt = ra;
      this.ringHead = 0;
    }
    const s = (this.ringHead + this.ringSize) & (this.ringV.length - 1);
    this.ringV[s] = v;
    this.ringTok[s] = token;
    this.ringAt[s] = ctx.now + this.timeoutUs;
    this.ringSize++;
    if (!this.watchdogArmed) {
      this.watchdogArmed = true;
      ctx.schedule(this.timeoutUs, this.kinds.watchdog);
    }
  }

  private onWatchdog(ctx: SimContext): void {
    this.watchdogArmed = false;
    const mask = this.ringV.length - 1;
    while (this.ringSize > 0 && this.ringAt[this.ringHead] <= ctx.now) {
      const v = this.ringV[this.ringHead];
      const token = this.ringTok[this.ringHead];
      this.ringHead = (this.ringHead + 1) & mask;
      this.ringSize--;
      const j = v * this.P + (token % this.P);
      if (this.rqToken[j] !== token || this.rqSent[j] === 0) continue;
      this.c.timeouts.add(1);
      this.abandon(j, v);
      this.fill(ctx, v);
    }
    if (this.ringSize > 0 && !this.watchdogArmed) {
      this.watchdogArmed = true;
      const next = Math.max(this.ringAt[this.ringHead & (this.ringV.length - 1)], ctx.now + Math.max(1, Math.round(this.timeoutUs / 4)));
      ctx.scheduleAt(next, this.kinds.watchdog);
    }
  }

  // ------------------------------------------------------------------ sessions and nodes

  private endSession(ctx: SimContext, v: number, reason: SessionEndReason): void {
    const vi = this.sVid[v];
    const base = v * this.P;
    for (let s = 0; s < this.P; s++) {
      const j = base + s;
      if (this.rqToken[j] === 0) continue;
      this.unsend(j);
      this.rqToken[j] = 0;
    }
    this.sInflight[v] = 0;
    const now = ctx.now;
    const n = this.sSegments[v];
    let startup = -1, stall = 0, played = 0, segmentsPlayed = 0;
    if (this.download) {
      segmentsPlayed = this.sHave[v];
    } else if (this.sStarted[v] === 1) {
      const segUs = this.vSegUs[vi];
      startup = this.sPlayStart[v] - this.sWatchAt[v];
      stall = this.sStall[v];
      const playEnd = this.sPlayEnd[v];
      if (now >= playEnd) {
        played = playEnd - this.sPlayStart[v] - stall;
        if (this.sContig[v] < n) stall += now - playEnd; // still waiting for a segment
      } else played = now - this.sPlayStart[v] - stall;
      segmentsPlayed = Math.min(this.sContig[v], Math.floor(played / segUs + 1e-9));
      this.stallUsTotal += stall;
      this.playedUsTotal += played;
      if (stall + played > 0) this.h.rebuffer.observe(stall / (stall + played));
    }
    const done = this.sDoneAt[v];
    const stats: SessionStats = {
      video: this.vId[vi],
      segmentsPlayed,
      startupDelayUs: startup,
      stallUs: stall,
      playedUs: played,
      bytesFromPeers: this.sBytesPeer[v],
      bytesFromMasternodes: this.sBytesMn[v],
      downloadUs: (done >= 0 ? done : now) - this.sWatchAt[v],
      reason,
    };
    // A leecher that leaves unfinished still spent its time as a leecher (Little's law for the fluid check).
    if (this.download && done < 0) this.h.download.observe(stats.downloadUs / SECOND);
    if (this.sPhase[v] === COMPLETE) this.complete--;
    this.watching--;
    this.sPhase[v] = IDLE;
    this.sEpoch[v]++;
    // The session's cache entry: kept (stream, as the prefix it holds) or dropped (download: the seed leaves).
    const q = this.curEntry[v];
    if (q >= 0) {
      if (this.download || this.C === 1 || reason === "withdrawn" || reason === "offline") this.cacheRemove(q);
      else {
        const st = this.state[v]!, counts = this.vCount[vi], contig = this.sContig[v];
        for (let s = contig; s < n; s++) if (st[s] === HAVE) counts[s]--;
        this.cHave[q] = contig;
        this.curEntry[v] = -1;
      }
    }
    this.ended[REASONS.indexOf(reason)].add(1);
    this.hooks.sessionEnded?.(ctx, v, stats);
  }

  private onNodeChange(ctx: SimContext, node: number, up: boolean): void {
    this.ensure(node);
    if (up) return;
    this.downs[node]++;
    if (this.sPhase[node] !== IDLE) this.endSession(ctx, node, "offline");
    const base = node * this.C;
    for (let t = 0; t < this.C; t++) if (this.cVid[base + t] >= 0) this.cacheRemove(base + t);
  }

  /** Put video vi into viewer v's cache (evicting the same video, else the oldest entry); returns the entry id. */
  private cacheInsert(v: number, vi: number): number {
    const base = v * this.C;
    for (let t = 0; t < this.C; t++) if (this.cVid[base + t] === vi) this.cacheRemove(base + t);
    let free = -1, oldest = -1;
    for (let t = 0; t < this.C; t++) {
      const q = base + t;
      if (this.cVid[q] < 0) {
        free = q;
        break;
      }
      if (oldest < 0 || this.cStamp[q] < this.cStamp[oldest]) oldest = q;
    }
    if (free < 0) {
      this.cacheRemove(oldest);
      free = oldest;
    }
    const list = this.vPeers[vi];
    this.cVid[free] = vi;
    this.cHave[free] = 0;
    this.cStamp[free] = this.stampNext++;
    this.cPos[free] = list.length;
    list.push(free);
    if (this.cCount[v]++ === 0) this.peersHolding++;
    return free;
  }

  private cacheRemove(q: number): void {
    const vi = this.cVid[q];
    if (vi < 0) return;
    const list = this.vPeers[vi];
    const pos = this.cPos[q];
    const last = list.pop()!;
    if (last !== q) {
      list[pos] = last;
      this.cPos[last] = pos;
    }
    this.cVid[q] = -1;
    const v = (q / this.C) | 0;
    const counts = this.vCount[vi];
    if (this.curEntry[v] === q) {
      const st = this.state[v]!, n = this.sSegments[v];
      for (let s = 0; s < n; s++) if (st[s] === HAVE) counts[s]--;
      this.curEntry[v] = -1;
    } else {
      for (let s = 0, h = this.cHave[q]; s < h; s++) counts[s]--;
    }
    if (--this.cCount[v] === 0) this.peersHolding--;
  }

  private offload(): number {
    const all = this.c.bytesPeers.value + this.c.bytesMn.value;
    return all > 0 ? this.c.bytesPeers.value / all : 0;
  }

  /** Grow per-node state to cover node `id` (arrivals after t = 0). */
  private ensure(id: number): void {
    if (id < this.cap) return;
    let cap = Math.max(16, this.cap);
    while (cap <= id) cap *= 2;
    const P = this.P, C = this.C;
    this.active = (() => { const b = new Uint16Array(cap); b.set(this.active); return b; })();
    this.downs = growU32(this.downs, cap);
    this.sVid = growI32(this.sVid, cap, -1);
    this.sEpoch = growU32(this.sEpoch, cap);
    this.sPhase = growU8(this.sPhase, cap);
    this.sSegments = growI32(this.sSegments, cap);
    this.sNext = growI32(this.sNext, cap);
    this.sContig = growI32(this.sContig, cap);
    this.sMissing = growI32(this.sMissing, cap);
    this.sHave = growI32(this.sHave, cap);
    this.sInflight = growU8(this.sInflight, cap);
    this.sRetry = growU8(this.sRetry, cap);
    this.sStarted = growU8(this.sStarted, cap);
    this.sWatchAt = growF64(this.sWatchAt, cap);
    this.sPlayStart = growF64(this.sPlayStart, cap);
    this.sPlayEnd = growF64(this.sPlayEnd, cap);
    this.sStall = growF64(this.sStall, cap);
    this.sLastProgress = growF64(this.sLastProgress, cap);
    this.sDoneAt = growF64(this.sDoneAt, cap);
    this.sBytesPeer = growF64(this.sBytesPeer, cap);
    this.sBytesMn = growF64(this.sBytesMn, cap);
    this.sPace = growF64(this.sPace, cap);
    this.sNeigh = growU32(this.sNeigh, cap);
    this.rqToken = growF64(this.rqToken, cap * P);
    this.rqSeg = growI32(this.rqSeg, cap * P);
    this.rqSrc = growI32(this.rqSrc, cap * P);
    this.rqEntry = growI32(this.rqEntry, cap * P);
    this.rqDowns = growU32(this.rqDowns, cap * P);
    this.rqSent = growU8(this.rqSent, cap * P);
    this.rqAt = growF64(this.rqAt, cap * P);
    this.cVid = growI32(this.cVid, cap * C, -1);
    this.cHave = growI32(this.cHave, cap * C);
    this.cPos = growI32(this.cPos, cap * C);
    this.cStamp = growF64(this.cStamp, cap * C);
    this.curEntry = growI32(this.curEntry, cap, -1);
    this.cCount = growU8(this.cCount, cap);
    this.cap = cap;
  }

  /**
   * Invariants: upload slots match sent requests; in-flight counts match request slots; session, seed and cache
   * counters match their arrays; peer lists and holder counts match holdings (a rotating share of videos per call).
   */
  private check(): string | undefined {
    const sent = new Float64Array(this.cap);
    let watching = 0, complete = 0, serving = 0, holding = 0;
    for (let v = 0; v < this.cap; v++) {
      if (this.sPhase[v] !== IDLE) watching++;
      if (this.sPhase[v] === COMPLETE) complete++;
      let inflight = 0;
      for (let s = 0; s < this.P; s++) {
        const j = v * this.P + s;
        if (this.rqToken[j] === 0) continue;
        inflight++;
        if (this.rqSent[j] === 1) sent[this.rqSrc[j]]++;
      }
      if (inflight !== this.sInflight[v]) return `viewer ${v}: ${inflight} request slots in use but in-flight count ${this.sInflight[v]}`;
      if (this.sPhase[v] === IDLE && inflight > 0) return `viewer ${v}: idle with ${inflight} requests`;
      if (this.cCount[v] > 0) holding++;
    }
    for (let u = 0; u < this.cap; u++) {
      if (sent[u] !== this.active[u]) return `node ${u}: ${this.active[u]} upload slots taken but ${sent[u]} requests sent to it`;
      if (this.active[u] > 0 && this.nodes.role[u] !== ROLE_IDS.masternode) serving++;
    }
    if (watching !== this.watching) return `${watching} sessions but counter says ${this.watching}`;
    if (complete !== this.complete) return `${complete} complete sessions but counter says ${this.complete}`;
    if (holding !== this.peersHolding) return `${holding} viewers hold videos but counter says ${this.peersHolding}`;
    if (serving !== this.peersServing) return `${serving} peers upload but counter says ${this.peersServing}`;
    // Peer lists and holder counts: a rotating share of the videos per check (a bounded cost at any scale).
    const videos = this.vPeers.length;
    for (let budget = CHECK_HOLDS_BUDGET, done = 0; done < videos && budget > 0; done++) {
      const vi = this.checkCursor;
      this.checkCursor = (this.checkCursor + 1) % videos;
      const list = this.vPeers[vi];
      const counts = new Int32Array(this.vSegments[vi]);
      budget -= list.length * counts.length + 1;
      for (let t = 0; t < list.length; t++) {
        const q = list[t];
        if (this.cVid[q] !== vi || this.cPos[q] !== t) return `video ${this.vId[vi]}: peer list entry ${t} inconsistent`;
        for (let s = 0; s < counts.length; s++) if (this.holds(q, s)) counts[s]++;
      }
      for (let s = 0; s < counts.length; s++) if (counts[s] !== this.vCount[vi][s]) return `video ${this.vId[vi]} segment ${s}: ${counts[s]} peers hold it but the count says ${this.vCount[vi][s]}`;
    }
    return undefined;
  }
}
