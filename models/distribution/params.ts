/**
 * The distribution model's scenario section (`scenario.models.distribution`): its Effect Schema and its defaults.
 *
 * Purpose: every knob of swarm video delivery (models/distribution/swarm.ts) is data, validated with the rest of
 * the scenario (STYLE.md principle 8), with each default written down once, here, with its reason. The lead embeds
 * `DistributionParams` in scenarios/schema.ts and `DISTRIBUTION_DEFAULTS` in scenarios/defaults.ts; until then
 * `resolveDistributionParams` lays a partial section over the defaults and decodes it with the same schema.
 *
 * Units: durations in seconds (`…S`), rates per second (`…PerS`), bandwidth in Mbit/s (`…Mbps`), counts plain.
 *
 * Two modes:
 * - "stream" (the economy's): viewers fetch segments in order with a prefetch window, play as they arrive, and
 *   rebuffer when a segment misses its deadline; what they watched stays in a small cache they serve from.
 * - "download" (the fluid-model validation, DOMAIN.md §e): a leecher fetches the whole video as fast as its cap
 *   and the swarm allow, pieces in random order (BitTorrent's random-first, which keeps the sharing efficiency η
 *   near 1), then seeds for an exponential time and leaves; leechers abort at rate θ.
 */
import { Schema } from "effect";
import { decodeSection, mergeSection } from "../section.ts";

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));

/** Most parallel requests per viewer: request tokens carry the request slot in their low bits. */
export const PARALLEL_REQUESTS_MAX = 16;

export const DistributionParams = Schema.Struct({
  /** Whether the scenario uses the swarm. The agents' plugin builds the swarm when the agents run; off by default. */
  enabled: Schema.Boolean,
  /** "stream": play while fetching (QoE: startup delay, rebuffering). "download": fetch all, seed, leave (fluid model). */
  mode: Schema.Literals(["stream", "download"]),
  /**
   * Duration of one video segment, s — the unit of transfer, request and payment. DESIGN.md §6: segments of a few
   * seconds, not 16 KiB blocks; 10 s (HLS's classic target duration) keeps a day of 10,000 viewers at ~2 M deliveries.
   */
  segmentS: Positive,
  /** Prefetch target: segments requested ahead of the playhead (stream mode). 3 × 10 s = a 30 s buffer, as players keep. */
  bufferSegments: PositiveInt.check(Schema.isLessThanOrEqualTo(1000)),
  /**
   * Stream mode's piece selection inside the prefetch window. "sequential": earliest deadline first. "rarest":
   * urgent segments (see `urgentS`) earliest first, the rest rarest first among the video's peers — WebTorrent's
   * critical pieces + rarest first. Rarest spreads different segments over viewers who are at the same point of a
   * video, so they can trade them; sequential makes them all ask the same few holders for the same segment.
   */
  selection: Schema.Literals(["sequential", "rarest"]),
  /**
   * A segment due within this many seconds of playback (or before playback has started) is urgent: fetched first,
   * and from a masternode when no peer can send it now. A segment that is not urgent and that some probed peer
   * holds or is fetching waits for a peer (P2P first, origin when urgent: the hybrid CDN–P2P policy), which keeps
   * origin capacity for what peers cannot supply. A segment no probed peer has goes to a masternode at once.
   */
  urgentS: NonNegative,
  /** Segments buffered before playback starts (≤ bufferSegments). One 10 s segment: players start on a few seconds. */
  startupSegments: PositiveInt,
  /**
   * Requests a viewer keeps in flight at once. Two overlap one segment's request latency with the previous
   * transfer; download mode wants more (several slow uploaders at once to reach its cap).
   */
  parallelRequests: PositiveInt.check(Schema.isLessThanOrEqualTo(PARALLEL_REQUESTS_MAX)),
  /** A request without its segment after this long is given up and re-requested elsewhere (lost or cut transfers). */
  requestTimeoutS: Positive,
  /** Wait before asking again when no source has spare capacity; each such wait is counted. */
  retryBackoffS: Positive,
  /** A session that has received nothing for this long and still finds no source ends "no-source". */
  noSourceTimeoutS: Positive,
  peers: Schema.Struct({
    /** Viewers serve what they watched (ephemeral masternodes). Off: every segment comes from masternodes. */
    serving: Schema.Boolean,
    /** Unchoke slots: uploads a peer runs at once (BitTorrent's default of 4 unchoked peers). */
    uploadSlots: PositiveInt,
    /** Peers a viewer can reach per video (WebTorrent MAX_CONNS = 55): its neighbourhood in a large swarm. */
    connectionsMax: PositiveInt,
    /** Videos a viewer keeps and serves, counting the one it is watching (browser cache of a WebTorrent client). */
    cacheVideos: PositiveInt,
    /** Random peers probed per request before falling back to a masternode (a bound on work per request). */
    candidates: PositiveInt.check(Schema.isLessThanOrEqualTo(64)),
    /**
     * Spare capacity: a peer accepts a request only while its uplink backlog is at most this many seconds. Keeps
     * a home uplink from queueing far behind the requester's deadline.
     */
    backlogMaxS: NonNegative,
    /** Probability that a request prefers a peer in the viewer's own region (lower latency, cheaper transit). */
    sameRegionPreference: Probability,
  }),
  masternodes: Schema.Struct({
    /** Uploads a masternode (the origin) runs at once. */
    uploadSlots: PositiveInt,
    /** Spare capacity of a masternode: the most uplink backlog, s, at which it still accepts a request. */
    backlogMaxS: NonNegative,
  }),
  download: Schema.Struct({
    /** c: per-leecher download cap, Mbit/s (requests are paced to it); 0 = only the node's downlink limits. */
    capMbps: NonNegative,
    /** 1/γ: mean time a finished leecher seeds before leaving, s (exponential); 0 = leaves at once. */
    seedTimeMeanS: NonNegative,
    /** θ: rate at which a leecher aborts its download, per s (exponential clock from its arrival); 0 = never. */
    abortRatePerS: NonNegative,
  }),
});

export type DistributionParams = typeof DistributionParams.Type;

export const DISTRIBUTION_DEFAULTS: DistributionParams = {
  enabled: false,
  mode: "stream",
  segmentS: 10,
  bufferSegments: 3,
  selection: "rarest",
  // One default segment: a segment still 10 s from its deadline can wait for a peer.
  urgentS: 10,
  startupSegments: 1,
  parallelRequests: 2,
  // A 10 s segment at 2.5 Mbit/s is 3.1 MB: 2.5 s on a 10 Mbit/s home uplink plus up to its 2 s backlog; 15 s
  // leaves room for that and still re-requests before a 30 s buffer runs dry.
  requestTimeoutS: 15,
  retryBackoffS: 1,
  noSourceTimeoutS: 60,
  // Peers hold back to 2 s of backlog (a segment's worth on a home uplink); masternodes, with 20× the uplink, 2 s too.
  peers: { serving: true, uploadSlots: 4, connectionsMax: 55, cacheVideos: 3, candidates: 8, backlogMaxS: 2, sameRegionPreference: 0.8 },
    masternodes: { uploadSlots: 64, backlogMaxS: 2 },
  // Download mode only: no cap beyond the downlink, a 10-minute seeding habit, no aborts.
  download: { capMbps: 0, seedTimeMeanS: 600, abortRatePerS: 0 },
};


/** Cross-field rules the schema alone cannot express (paths relative to the section). */
export function distributionCrossCheck(p: DistributionParams): { path: string; value: unknown; expected: string }[] {
  const out: { path: string; value: unknown; expected: string }[] = [];
  if (p.startupSegments > p.bufferSegments) {
    out.push({ path: "models.distribution.startupSegments", value: p.startupSegments, expected: `at most bufferSegments (${p.bufferSegments}): playback starts from the prefetch window` });
  }
  return out;
}

/** A (possibly partial, possibly empty) distribution section laid over the defaults and decoded strictly. Throws on bad input. */
export function resolveDistributionParams(section: unknown = {}): DistributionParams {
  const value = decodeSection(DistributionParams, "distribution", DISTRIBUTION_DEFAULTS, section);
  const cross = distributionCrossCheck(value);
  if (cross.length > 0) throw new Error(`models.distribution: ${cross.map((q) => `${q.path}: got ${JSON.stringify(q.value)}; expected ${q.expected}`).join("; ")}`);
  return value;
}

/** Test and scenario helper: defaults with `enabled: true` and the given overrides. */
export function distributionParams(overrides: object = {}): DistributionParams {
  return resolveDistributionParams(mergeSection({ enabled: true }, overrides));
}
