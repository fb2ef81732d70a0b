/**
 * The scenario schema: one typed, validated description of a whole run.
 *
 * Purpose: a scenario is data (STYLE.md principle 8). Everything a run depends on — duration, seed, population,
 * regions, network, churn, the fault timeline and one section per model — is here, with its defaults written
 * down in `defaults.ts`, so a run's identity is (resolved scenario, seed, code version).
 *
 * Method: a scenario file is a *partial* document laid over the full defaults (objects merge key by key, arrays
 * and scalars replace). `--set path=value` overrides are applied to the same document. The result is decoded by
 * the strict Effect Schema below: unknown keys, wrong types, NaN, negative counts, probabilities outside [0,1],
 * malformed or too-long durations and empty populations are all rejected, and every problem is reported with its
 * path, the value given and what was expected. Cross-field rules (timeline times within the duration, region
 * names that exist) are checked after decoding, with the same message format.
 */
import { Schema } from "effect";
import { parseDuration, DAY } from "../sim/kernel/time.ts";
import { REGION_NAMES } from "../sim/net/regions.ts";
import { StorageParams } from "../models/storage/params.ts";
import { ChainParams } from "../models/chain/params.ts";
import { AgentsParams } from "../models/agents/params.ts";
import { DistributionParams } from "../models/distribution/params.ts";
import { ChannelsParams } from "../models/channels/params.ts";
import { ModerationParams } from "../models/moderation/params.ts";
import { EconomyParams } from "../models/economy/params.ts";
import { SecondsDist } from "../models/section.ts";

/** The longest simulated duration a scenario may ask for (a limit on everything). */
export const DURATION_MAX_TICKS = 10 * 365 * DAY;
/** The largest population of any one role. */
export const ROLE_COUNT_MAX = 2_000_000;

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const Count = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: ROLE_COUNT_MAX }));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));

/** A duration string such as "250ms", "90s", "15min", "2h", "1.5d", "1y" (≤ 10 years). */
export const Duration = Schema.String.check(
  Schema.makeFilter((s: string) => {
    const t = parseDuration(s);
    if (t === undefined) return 'expected a duration such as "250ms", "90s", "15min", "2h", "1d" or "1y"';
    if (t > DURATION_MAX_TICKS) return "expected a duration of at most 10 years (3650d)";
    return true;
  }),
);

export const Role = Schema.Literals(["viewer", "creator", "masternode", "delegate"]);
export type Role = typeof Role.Type;
export const ROLES: readonly Role[] = ["viewer", "creator", "masternode", "delegate"];

/** A distribution given as data (seconds for durations). Mirrors sim/kernel/distributions.ts `DistSpec`. */
export const DistSpec = SecondsDist;

const RegionName = Schema.Literals(REGION_NAMES);

export const Region = Schema.Struct({
  /** A region from the built-in latency table (sim/net/regions.ts). */
  name: RegionName,
  /** Relative share of every role's nodes placed in this region. */
  weight: NonNegative,
});

const Bandwidth = Schema.Struct({ upMbps: Positive, downMbps: Positive });

export const Network = Schema.Struct({
  /** Jitter: one-way latency is multiplied by a lognormal factor with mean 1 and this coefficient of variation. */
  jitterCv: NonNegative,
  /** Probability that any one message is lost. */
  loss: Probability,
  /** Fixed per-message overhead in bytes (headers, framing). */
  headerBytes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Per-role access-link bandwidth. */
  bandwidth: Schema.Struct({ viewer: Bandwidth, creator: Bandwidth, masternode: Bandwidth, delegate: Bandwidth }),
  /** Upper bound on bytes queued on one node's uplink; beyond it messages are dropped (a limit on everything). */
  uplinkQueueBytesMax: PositiveInt,
});

const ChurnRole = Schema.Struct({
  enabled: Schema.Boolean,
  /** Length of an online session, in seconds. */
  online: DistSpec,
  /** Length of an offline gap, in seconds. */
  offline: DistSpec,
  /** Probability that a session ends in permanent departure instead of a gap. */
  departure: Probability,
  /** New nodes of this role arriving per simulated day (Poisson), up to the role's spare capacity. */
  arrivalsPerDay: NonNegative,
  /** Fraction of nodes of this role online at t = 0. */
  initialOnline: Probability,
});

export const Churn = Schema.Struct({ viewer: ChurnRole, creator: ChurnRole, masternode: ChurnRole, delegate: ChurnRole });

export const FaultAction = Schema.Literals(["crash", "recover", "depart", "arrive", "region-outage", "region-restore", "partition", "heal"]);
export type FaultAction = typeof FaultAction.Type;

export const FaultEvent = Schema.Struct({
  /** When, from the start of the run. */
  at: Duration,
  action: FaultAction,
  /** Which nodes (crash, recover, depart, arrive): a role or "all". */
  role: Schema.Literals(["viewer", "creator", "masternode", "delegate", "all"]),
  /** Fraction of the role's eligible nodes affected (used when count is 0). */
  fraction: Probability,
  /** Exact number of nodes affected (0 = use fraction). */
  count: Count,
  /** Region for region-outage / region-restore; first side of a partition. */
  region: Schema.String,
  /** Other side of a partition: a list of regions ([] = every other region). */
  regions: Schema.Array(Schema.String),
  /** For crash, region-outage and partition: undo automatically after this long ("0s" = never). */
  for: Duration,
});
export type FaultEvent = typeof FaultEvent.Type;

export const Traffic = Schema.Struct({
  /** Probe workload: online viewers fetch segments from masternodes through the network model. */
  enabled: Schema.Boolean,
  /** Size of one fetched segment. */
  segmentBytes: PositiveInt,
  /** Mean gap between an online viewer's fetches (exponential), in seconds. */
  fetchIntervalMeanS: Positive,
  /** A fetch with no answer after this long counts as a timeout. */
  timeout: Duration,
  /** Prefer a masternode in the viewer's own region with this probability. */
  sameRegionPreference: Probability,
});

/** A safety guardrail checked by `popsim compare` (and reports) against a metric's mean over seeds. */
export const Guardrail = Schema.Struct({
  /** Metric name, e.g. "storage.p_any_segment_lost" or "chain.finality_latency_s.p99". */
  metric: Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/)),
  op: Schema.Literals(["<=", "<", ">=", ">"]),
  value: Schema.Finite,
  /** Why this bound exists, in words for reviewers. */
  description: Schema.String,
});
export type Guardrail = typeof Guardrail.Type;

export const Scenario = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9._-]*$/)),
  description: Schema.String,
  seed: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  duration: Duration,
  limits: Schema.Struct({
    /** Maximum events processed; hitting it ends the run with status "event-limit" (a liveness failure). */
    eventsMax: PositiveInt,
  }),
  metrics: Schema.Struct({
    /** Time-series sampling interval. */
    interval: Duration,
  }),
  check: Schema.Struct({
    /** "every-event" runs every invariant checker after every event; "sampled" every `every` events. */
    mode: Schema.Literals(["sampled", "every-event"]),
    every: PositiveInt,
  }),
  population: Schema.Struct({ viewers: Count, creators: Count, masternodes: Count, delegates: Count }),
  regions: Schema.Array(Region),
  network: Network,
  churn: Churn,
  faults: Schema.Struct({ timeline: Schema.Array(FaultEvent) }),
  traffic: Traffic,
  /** Safety guardrails a proposal must keep (checked by `popsim compare`). */
  guardrails: Schema.Array(Guardrail),
  /** One section per protocol model; each model adds its fields with defaults when it lands. */
  models: Schema.Struct({
    /** Erasure-coded storage: coding, placement, audits, repair, attacker, tolerance (models/storage/params.ts). */
    storage: StorageParams,
    /** SDPoS consensus: election, schedule, blocks, finality, slashing, attacks (models/chain/params.ts). */
    chain: ChainParams,
    /** Viewers, creators, masternodes, ephemeral masternodes: who watches, uploads and serves (models/agents/params.ts). */
    agents: AgentsParams,
    /** Swarm delivery: segments, piece selection, peers and origins, QoE (models/distribution/params.ts). */
    distribution: DistributionParams,
    /** Payment channels and probabilistic tickets in the EVM (models/channels/params.ts). */
    channels: ChannelsParams,
    /** Screening by SuperDelegates: classifier, quorum, queue, appeals (models/moderation/params.ts). */
    moderation: ModerationParams,
    /** Rewards through the RewardPool, operator P&L, token metrics (models/economy/params.ts). */
    economy: EconomyParams,
  }),
});

export type Scenario = typeof Scenario.Type;
export type ChurnRole = typeof ChurnRole.Type;
export type NetworkParams = typeof Network.Type;
export type TrafficParams = typeof Traffic.Type;
