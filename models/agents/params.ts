/**
 * The agents' scenario section (`scenario.models.agents`): who watches, who uploads, who serves, and at what price.
 *
 * Purpose: the streaming economy's behaviour is data (STYLE.md principle 8). This section describes the people and
 * machines of the network — viewers, creators, masternodes, and viewers acting as ephemeral masternodes — with each
 * default written down once, here, with its reason. The protocol itself (swarm, channels, moderation, rewards) has
 * its own sections; this one only says how agents use it.
 *
 * What is *not* here, because another section already owns it:
 * - who is online when: `churn.<role>` (the faults model turns nodes up and down; viewers watch only while up);
 * - upload and download bandwidth: `network.bandwidth.<role>`;
 * - stakes (a creator's initial stake, a masternode's stake) and liquid POP at genesis — a viewer's wallet:
 *   `models.chain.stake` and `models.chain.evm.liquidPop`; what a wallet may lock in channels: `models.channels`;
 * - operator costs and the POP/USD price path: `models.economy`.
 *
 * Units: durations in seconds (`…S`) or DistSpec (seconds), token amounts in whole POP, bitrates in kbit/s.
 */
import { Schema } from "effect";
import { decodeSection, SecondsDist } from "../section.ts";


const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));


export const AgentsParams = Schema.Struct({
  /** Run the streaming economy's agents at all (and with them the swarm, payments, moderation and rewards). */
  enabled: Schema.Boolean,
  viewers: Schema.Struct({
    /** Gap before a viewer that is online starts its next viewing session (and after it comes online). */
    sessionGap: SecondsDist,
    /** How long a viewer intends to watch one video (capped at the video's length). */
    watchTime: SecondsDist,
    /** Zipf exponent of creators' popularity: the creator of rank r is chosen with weight r^(−s). */
    creatorZipf: NonNegative,
    /** Fraction of viewers whose client serves what it has watched (ephemeral masternodes). */
    servingFraction: Probability,
  }),
  creators: Schema.Struct({
    /** Videos each creator has published before the run starts (pre-moderated; mean of a Poisson draw). */
    initialVideos: NonNegative,
    /** New uploads per creator per day (Poisson); each goes through moderation before it can be watched. */
    uploadsPerDay: NonNegative,
    /** Length of a video. */
    videoLength: SecondsDist,
    /** Encoding bitrate of every video. */
    bitrateKbps: Positive,
    /** Price a viewer pays the creator per minute watched, in POP: the mean over creators. */
    pricePerMinutePop: NonNegative,
    /** Creators' prices vary lognormally around the mean with this coefficient of variation (0 = one price). */
    priceCv: NonNegative,
  }),
  masternodes: Schema.Struct({
    /** Masternodes holding a video's shards, when the storage model is off (with it on: its `n`). */
    holdersPerVideo: PositiveInt,
    /** Price a viewer pays a serving node (masternode or ephemeral peer) per GB delivered, in POP. */
    servingPricePopPerGb: NonNegative,
    /**
     * Attack: fraction of masternodes that withhold — they hold shards and collect storage-side standing but refuse
     * to serve video. The swarm falls back to other holders and peers; they earn no serving pay or serving rewards.
     */
    withholdFraction: Probability,
  }),
  /** Viewers watch only videos published before this much time has passed since their upload (0 = immediately). */
  publishDelayS: NonNegative,
  /** Most videos in the catalog (a limit on everything): uploads beyond it are not made. */
  catalogMax: NonNegativeInt,
});
export type AgentsParams = typeof AgentsParams.Type;

export const AGENTS_DEFAULTS: AgentsParams = {
  enabled: false,
  viewers: {
    // A viewer online for ~30 min (the default churn) starts a video within a couple of minutes and browses between.
    sessionGap: { dist: "exponential", mean: 120 },
    // Online video watch times are heavy-tailed; a 6-minute mean with a long tail is typical of short-form VOD.
    watchTime: { dist: "lognormal", mean: 360, cv: 1.5 },
    // Creator popularity is close to Zipf with exponent ~0.8–1 on UGC platforms (Cha et al., IMC 2007).
    creatorZipf: 0.9,
    // WebTorrent-style clients serve while open; assume most do.
    servingFraction: 0.8,
  },
  creators: {
    initialVideos: 5,
    uploadsPerDay: 1,
    videoLength: { dist: "lognormal", mean: 600, cv: 1 },
    // 720p H.264.
    bitrateKbps: 2500,
    // 0.01 POP a minute: a 10-minute video costs a viewer 0.1 POP (illustrative; tune with the POP/USD price).
    pricePerMinutePop: 0.01,
    priceCv: 0.5,
  },
  masternodes: {
    holdersPerVideo: 16,
    // 1 POP per GB served: at 2.5 Mbit/s a viewer uses ~1.1 GB an hour.
    servingPricePopPerGb: 1,
    withholdFraction: 0,
  },
  publishDelayS: 0,
  catalogMax: 200_000,
};


/** A (possibly partial) agents section laid over the defaults and decoded strictly. Throws on bad input. */
export function resolveAgentsParams(section: unknown = {}): AgentsParams {
  const value = decodeSection(AgentsParams, "agents", AGENTS_DEFAULTS, section);
  return value;
}
