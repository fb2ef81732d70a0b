/**
 * The storage model's scenario section (`models.storage`): schema, defaults and cross-field rules.
 *
 * Purpose: everything a storage run depends on is data (STYLE.md principle 8) — the code (k ≤ m ≤ o ≤ n, as in
 * Storj's `k/m/o/n`, DOMAIN.md §a), the content (videos × segments × bytes), placement, stakes, audits, repair,
 * corruption, the attacker and the tolerance experiment — validated with the rest of the scenario.
 *
 * Method: an Effect Schema struct decoded by scenarios/schema.ts; defaults in `STORAGE_DEFAULTS` (disabled, so a
 * scenario that does not ask for storage runs exactly as before). Rules that span fields or sections (k ≤ m ≤ o ≤ n,
 * n ≤ masternodes, byte-mode memory) are in `storageCrossCheck`, which the loader calls and which names each
 * problem's path (`models.storage.m`) like every other loader message.
 *
 * Why a local `Duration`: scenarios/schema.ts imports this file, so importing its `Duration` back would be a
 * module cycle evaluated before the value exists.
 */
import { Schema } from "effect";
import { DAY, parseDuration } from "../../sim/kernel/time.ts";

/** The largest number of segments one run may hold (a limit on everything: typed arrays of M·n entries). */
export const STORAGE_SEGMENTS_MAX = 2_000_000;
/** Byte mode keeps every shard in memory: cap the stored bytes. */
export const BYTE_MODE_BYTES_MAX = 512 * 1024 * 1024;
/** The tolerance grid has at most this many points. */
const TOLERANCE_GRID_MAX = 200;
const DURATION_MAX = 10 * 365 * DAY;

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
/** Shard counts: Reed–Solomon over GF(2^8) allows at most 255 shards. */
const ShardCount = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 255 }));
const Duration = Schema.String.check(
  Schema.makeFilter((s: string) => {
    const t = parseDuration(s);
    if (t === undefined) return 'expected a duration such as "250ms", "90s", "15min", "2h", "1d" or "1y"';
    if (t > DURATION_MAX) return "expected a duration of at most 10 years (3650d)";
    return true;
  }),
);

export const StorageParams = Schema.Struct({
  /** Run the storage model at all (default false: no kinds, metrics or draws, so other scenarios are unchanged). */
  enabled: Schema.Boolean,
  /** "metadata": shard identities only (100k+ segments); "bytes": real sealed shards through the same code. */
  mode: Schema.Literals(["metadata", "bytes"]),
  /** Shards needed to rebuild a segment. */
  k: ShardCount,
  /** Repair threshold: a segment with fewer than m healthy shards is queued for repair. */
  m: ShardCount,
  /** Success threshold: uploads and repairs stop once o shards are stored (the n − o long tail is cancelled). */
  o: ShardCount,
  /** Shards the code defines (index space); at most the number of masternodes. */
  n: ShardCount,
  videos: NonNegativeInt,
  segmentsPerVideo: PositiveInt,
  /** Plaintext bytes per segment (byte mode encrypts and codes exactly this many; metadata mode moves as many). */
  segmentBytes: PositiveInt,
  /** Holder choice: rendezvous hashing with failure-domain caps, or uniform random (the hypergeometric baseline). */
  placement: Schema.Literals(["rendezvous", "random"]),
  /** Bonded stake a masternode needs to receive shards, in whole POP. */
  stakeMinPop: NonNegativeInt,
  stake: Schema.Struct({
    /** Fraction of masternodes whose bond is below the minimum (drawn uniform in [min/2, min)): ineligible. */
    belowMinFraction: Probability,
    /** The others bond the minimum plus an exponential extra with this mean, in POP. */
    extraMeanPop: NonNegative,
  }),
  /** Shards one masternode is willing to hold. */
  capacityShardsPerNode: PositiveInt,
  /** Masternodes grouped per operator (consecutive storage slots): the operator failure domain. */
  masternodesPerOperator: PositiveInt,
  audit: Schema.Struct({
    enabled: Schema.Boolean,
    /** Every masternode is challenged once per interval (random phase). */
    interval: Duration,
    /** "range-hash": H(nonce ‖ a random byte range of a random held shard); "shard-hash": H(nonce ‖ whole shard). */
    challenge: Schema.Literals(["range-hash", "shard-hash"]),
    rangeBytes: PositiveInt,
    /** After this many failed audits a masternode is ineligible and all its shards are dropped (caught). */
    failuresBeforeIneligible: PositiveInt,
  }),
  repair: Schema.Struct({
    enabled: Schema.Boolean,
    /** A down holder's shards count as healthy for this long (transient); after it they are suspect (lost). */
    detectionDelay: Duration,
    /** Repairs in flight at once, network-wide. */
    concurrencyMax: PositiveInt,
    /** Per phase (fetch, upload): requests unanswered this long count as failed. */
    timeout: Duration,
    /** A repair that could not start or failed is retried after this long. */
    retryInterval: Duration,
  }),
  corruption: Schema.Struct({
    /** Shards silently corrupted per day, network-wide (Poisson); audits and repair fetches detect them. */
    shardsPerDay: NonNegative,
  }),
  attacker: Schema.Struct({
    enabled: Schema.Boolean,
    /** POP the attacker can bond: it runs floor(budget / stakeMin) masternodes at exactly the minimum each. */
    budgetPop: NonNegativeInt,
    /** "spread": plain nodes that withhold whatever they get; "targeted": node ids ground to hold chosen segments. */
    strategy: Schema.Literals(["spread", "targeted"]),
    /** Targeted: the segments attacked (the first ones of video 0), each with o − k + 1 attacker holders if affordable. */
    targetSegments: PositiveInt,
    /** Refuse to serve shards (repair fetches) from `startAt`. */
    withhold: Schema.Boolean,
    startAt: Duration,
    /** Keep the data and pass audits until this time, then discard it (and fail every audit after). */
    answerAuditsUntil: Duration,
  }),
  tolerance: Schema.Struct({
    /** Run the failure-tolerance experiment over the initial placement (at setup; tolerance.ts). */
    enabled: Schema.Boolean,
    /** Failed fractions f = 0, fStep, 2·fStep, … ≤ fMax. */
    fMax: Probability,
    fStep: Schema.Finite.check(Schema.isBetween({ minimum: 0.001, maximum: 1 })),
    /** Independent failure sets per f for the random model. */
    trials: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000_000 })),
    /**
     * Failure sets per f for the targeted model: the greedy adversary's outcome varies only through tie-breaking,
     * so fewer trials buy the same precision, and each costs more (the adversary re-ranks segments per failure).
     */
    targetedTrials: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000_000 })),
    /** Target: P(any segment lost) ≤ ε. */
    epsilon: Schema.Finite.check(Schema.isBetween({ minimum: 1e-300, maximum: 0.5 })),
  }),
  durability: Schema.Struct({
    /** At the end, compare segments lost with the lazy-repair Markov chain's MTTDL (measured α, γ). */
    enabled: Schema.Boolean,
  }),
});

export type StorageParams = typeof StorageParams.Type;

export const STORAGE_DEFAULTS: StorageParams = {
  enabled: false,
  mode: "metadata",
  // RS(10, 16) with repair below 12 and uploads stopping at 14: expansion 1.4 as stored, four shards of slack.
  k: 10,
  m: 12,
  o: 14,
  n: 16,
  videos: 20,
  segmentsPerVideo: 50,
  // Four seconds of 2 Mbit/s video, as the probe traffic fetches.
  segmentBytes: 1_000_000,
  placement: "rendezvous",
  // The POP whitepaper's masternode bond.
  stakeMinPop: 50_000,
  stake: { belowMinFraction: 0, extraMeanPop: 10_000 },
  capacityShardsPerNode: 1_000_000,
  masternodesPerOperator: 1,
  audit: { enabled: true, interval: "1h", challenge: "range-hash", rangeBytes: 256, failuresBeforeIneligible: 3 },
  repair: { enabled: true, detectionDelay: "1h", concurrencyMax: 16, timeout: "5min", retryInterval: "15min" },
  corruption: { shardsPerDay: 0 },
  attacker: {
    enabled: false,
    budgetPop: 1_000_000,
    strategy: "spread",
    targetSegments: 1,
    withhold: true,
    startAt: "0s",
    answerAuditsUntil: "0s",
  },
  // 13 grid points from 0 to 0.6; ε as the issue asks.
  tolerance: { enabled: false, fMax: 0.6, fStep: 0.05, trials: 1000, targetedTrials: 100, epsilon: 1e-6 },
  durability: { enabled: false },
};

export interface StorageProblem {
  path: string;
  /** The offending value (the loader formats it). */
  value: unknown;
  expected: string;
}

/** What the cross-check needs from the rest of the scenario. */
export interface StorageCheckContext {
  masternodes: number;
  durationUs: number;
}

/** Cross-field rules for `models.storage`; paths are full dotted paths from the scenario root. */
export function storageCrossCheck(p: StorageParams, c: StorageCheckContext): StorageProblem[] {
  const out: StorageProblem[] = [];
  const at = (field: string) => `models.storage.${field}`;
  if (p.m < p.k) out.push({ path: at("m"), value: p.m, expected: `k ≤ m (k is ${p.k})` });
  if (p.o < p.m) out.push({ path: at("o"), value: p.o, expected: `m ≤ o (m is ${p.m})` });
  if (p.n < p.o) out.push({ path: at("n"), value: p.n, expected: `o ≤ n (o is ${p.o})` });
  if (p.tolerance.fStep > 0 && p.tolerance.fMax / p.tolerance.fStep > TOLERANCE_GRID_MAX) {
    out.push({ path: at("tolerance.fStep"), value: p.tolerance.fStep, expected: `a step giving at most ${TOLERANCE_GRID_MAX} grid points up to fMax ${p.tolerance.fMax}` });
  }
  if (!p.enabled) return out;
  if (p.n > c.masternodes) out.push({ path: at("n"), value: p.n, expected: `n ≤ population.masternodes (${c.masternodes}): shards go to distinct masternodes` });
  const segments = p.videos * p.segmentsPerVideo;
  if (segments > STORAGE_SEGMENTS_MAX) out.push({ path: at("videos"), value: p.videos, expected: `videos × segmentsPerVideo ≤ ${STORAGE_SEGMENTS_MAX.toLocaleString("en-US")} (got ${segments})` });
  if (p.mode === "bytes") {
    const stored = segments * Math.ceil((p.segmentBytes + 16) / p.k) * p.n;
    if (stored > BYTE_MODE_BYTES_MAX) out.push({ path: at("segmentBytes"), value: p.segmentBytes, expected: `byte mode holding at most ${BYTE_MODE_BYTES_MAX / 1024 / 1024} MiB of shards (this asks for ${Math.ceil(stored / 1024 / 1024)} MiB; use mode "metadata")` });
  }
  if (p.attacker.enabled && p.stakeMinPop === 0) out.push({ path: at("stakeMinPop"), value: 0, expected: "a positive minimum stake when the attacker is enabled (its node count is budget ÷ stake)" });
  for (const field of ["startAt", "answerAuditsUntil"] as const) {
    const t = parseDuration(p.attacker[field])!;
    if (p.attacker.enabled && t > c.durationUs) out.push({ path: at(`attacker.${field}`), value: p.attacker[field], expected: "a time within the scenario's duration" });
  }
  if (p.audit.enabled && parseDuration(p.audit.interval)! <= 0) out.push({ path: at("audit.interval"), value: p.audit.interval, expected: "a positive interval" });
  if (p.repair.enabled && parseDuration(p.repair.timeout)! <= 0) out.push({ path: at("repair.timeout"), value: p.repair.timeout, expected: "a positive timeout" });
  if (p.repair.enabled && parseDuration(p.repair.retryInterval)! <= 0) out.push({ path: at("repair.retryInterval"), value: p.repair.retryInterval, expected: "a positive interval" });
  return out;
}
