/**
 * The economy model's scenario section (`scenario.models.economy`): its Effect Schema and its defaults.
 *
 * Purpose: every knob of the reward operator, the members' claim policy, the POP/USD price path, the masternode
 * operators' costs and the sybil-receipt attack is data, validated with the rest of the scenario (STYLE.md principle
 * 8), each default written down once, here, with its reason. The lead embeds `EconomyParams` in scenarios/schema.ts
 * and `ECONOMY_DEFAULTS` in scenarios/defaults.ts; until then `resolveEconomyParams` lays a partial section over the
 * defaults and decodes it with the same schema (the pattern of models/chain/params.ts).
 *
 * What is *not* here, because another section owns it: the serving price (POP per GB) and the content price (POP per
 * minute) are the agents' (`models.agents.masternodes.servingPricePopPerGb`, `models.agents.creators.pricePerMinutePop`)
 * — the glue reports every accepted payment to the economy with `Rewards.notePayment`; the reward pool itself (size,
 * emission schedule, role basis points) is the chain genesis's (models/evm/genesis.ts `genesisDefaults`,
 * `REWARD_ROLES_DEFAULT`: masternode 35 %, delegate 15 %, staker 20 %, ephemeral 30 %).
 *
 * Units: durations in seconds (`…S`), bytes (`…Bytes`), whole POP (`…Pop`, numbers, converted to bigint wei inside
 * the model), US dollars (`…Usd`), rates per year as fractions (0.05 = 5 %/yr).
 */
import { Schema } from "effect";
import { decodeSection, mergeSection } from "../section.ts";

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));

/** One point of a piecewise-linear POP/USD path. */
export const PricePoint = Schema.Struct({
  /** Simulated time of the point, seconds since the start of the run. */
  atS: NonNegative,
  /** POP price in US dollars at that time. */
  usd: Positive,
});

export const EconomyParams = Schema.Struct({
  /** Run the reward operator and the economy's accounting at all. Off by default: a scenario opts in. */
  enabled: Schema.Boolean,
  rewards: Schema.Struct({
    /**
     * The economy's clock: every interval the POP/USD price steps, the interval's flows are valued in USD, members
     * check whether to claim, and (every `postEvery` intervals per role) the operator posts shares.
     */
    intervalS: Positive,
    /**
     * How many intervals between two postings of a role's shares (RewardPool.setSharesBatch). A role's share is the
     * work it did since its previous posting, so this is also the role's accounting period. Longer periods cost
     * fewer on-chain calls (each changed share is one entry, ~0.25 ms of EVM time) and pay one period later.
     */
    postEvery: Schema.Struct({
      /** Masternodes: bytes served to viewers (viewer-signed receipts) + storage credit. */
      masternode: PositiveInt,
      /** Delegates: blocks produced (and made irreversible) in the period. */
      delegate: PositiveInt,
      /** Stakers: staked POP (wei) of every holder; changes only with stake top-ups and slashing. */
      staker: PositiveInt,
      /** Ephemeral masternodes (viewers serving what they watched): bytes served as peers in the period. */
      ephemeral: PositiveInt,
    }),
    /** Most entries per setSharesBatch call (≤ 200: ~8 M gas, under a block's worth). */
    batchMax: PositiveInt.check(Schema.isLessThanOrEqualTo(200)),
    /**
     * Re-post an account's share only when it moved by more than this fraction of the share last posted (0 = any
     * change; a share becoming or leaving 0 is always posted). Trades exactness of the split for on-chain calls.
     */
    shareChangeMin: Probability,
    /**
     * Which key posts shares. The RewardPool's operator is the chain's `system/economy` key, but every transaction
     * burns LIT from its sender and LIT comes from stake only: "economy-key" keeps that key (it needs stake of its own,
     * or LIT costing 0); "top-delegate" hands the operator role, at a genesis-time call before any block executes
     * (`RewardPool.setOperator`), to the self-account of the delegate with the most stake (the foundation's delegate,
     * whose LIT pays for the posting); "auto" keeps the economy key if it has LIT capacity, else the top delegate.
     */
    operator: Schema.Literals(["auto", "economy-key", "top-delegate"]),
    masternode: Schema.Struct({
      /**
       * Share credited per storage audit passed, in bytes-served equivalents (the storage side of a masternode's
       * work). Without a storage view (Rewards.useStorage) a masternode earns one credit per interval it is up and
       * has not failed an audit.
       */
      storageCreditBytes: NonNegative,
      /** Only masternodes bonded in the Staking contract (MasternodeRegistered) earn masternode shares (EVM only). */
      requireBond: Schema.Boolean,
    }),
    staker: Schema.Struct({
      /**
       * Holders with less stake than this get no staker share (0 = every holder). Each staker is one entry at start
       * (the baseline's 10,000 viewers staking 1,000 POP each: ~2.7 s of EVM time); 10,000 leaves them out.
       */
      minStakePop: NonNegative,
    }),
    ephemeral: Schema.Struct({
      /** Peers that served fewer bytes than this in the period get no share (dust; saves calls). */
      minBytes: NonNegative,
    }),
    claim: Schema.Struct({
      /** A member claims (RewardPool.claim, from its own address) once its pending reward reaches this. */
      thresholdPop: NonNegative,
      /** …and at most once per this long (a wallet's claim habit; bounds claim transactions per member). */
      minGapS: NonNegative,
    }),
  }),
  price: Schema.Struct({
    /**
     * "gbm": geometric Brownian motion stepped at every interval from the "economy/price" stream,
     * p ← p·exp((μ − σ²/2)·Δt + σ·√Δt·Z), Δt in years. "points": piecewise-linear through `points` (flat
     * outside them).
     */
    model: Schema.Literals(["gbm", "points"]),
    /** POP/USD at t = 0 (gbm). */
    startUsd: Positive,
    /** μ: annual drift of the log price (gbm). */
    driftPerYear: Schema.Finite,
    /** σ: annual volatility (gbm). */
    volatilityPerYear: NonNegative,
    /** The path for "points", in increasing `atS`. */
    points: Schema.Array(PricePoint),
  }),
  costs: Schema.Struct({
    /** A masternode's egress price per GB (10^9 bytes) it serves. */
    bandwidthUsdPerGb: NonNegative,
    /** Disk per GB stored per 30-day month. */
    storageUsdPerGbMonth: NonNegative,
    /** Server, power, operator time: per day while the masternode exists (up or down). */
    fixedUsdPerDay: NonNegative,
    /** GB a masternode stores, when no storage view reports it. */
    storedGbPerMasternode: NonNegative,
    /** Opportunity cost of locked POP (a masternode's bond; a sybil attacker's stake and deposits), per year. */
    capitalCostPerYear: NonNegative,
  }),
  /**
   * Attack: masternodes inflate their receipts with sybil viewers they control. A sybil "watches" from its own
   * masternode and signs receipts for fake bytes; to make them indistinguishable from real ones it funds a real
   * channel, pays real vouchers (the serving ones go back to the attacker; the content ones go to creators, a real
   * cost) and needs LIT for its channel transactions, i.e. stake. Gain: the extra reward POP the fake bytes win
   * (exact, against a shadow pool without them). Cost: content payments + the capital cost of deposits and stake.
   */
  sybil: Schema.Struct({
    /** Fraction of masternodes that attack (chosen by the "economy/sybil" stream). */
    masternodeFraction: Probability,
    /** Sybil viewers per attacking masternode. */
    sybilsPerMasternode: NonNegativeInt,
    /** Fake bytes one sybil "downloads" per hour, in GB. */
    fakeGbPerSybilPerHour: NonNegative,
    /** Content payment per fake GB, POP (what a real viewer pays creators per GB watched). */
    contentPopPerGb: NonNegative,
    /** On-chain transactions (channel open, claim, settle) per sybil per day; each burns LIT. */
    channelTxsPerSybilPerDay: NonNegative,
    /** POP each sybil keeps locked in its channel. */
    depositPopPerSybil: NonNegative,
  }),
});

export type EconomyParams = typeof EconomyParams.Type;

export const ECONOMY_DEFAULTS: EconomyParams = {
  enabled: false,
  rewards: {
    // Hourly: fine enough for a day's price path and claim checks, ~24 cheap events a day.
    intervalS: 3_600,
    // Masternodes and delegates every 6 h (4 postings a day: work is paid within a quarter day), peers every 12 h
    // (thousands of them, coming and going: each posting re-posts most of them at ~0.27 ms of EVM time per entry),
    // stakers daily (stake changes slowly; the first posting is at start). Measured at the economy-baseline's shape
    // (rewards.bench.ts): ~27,600 entries and ~660 transactions a day, ~9 s of EVM time.
    postEvery: { masternode: 6, delegate: 6, staker: 24, ephemeral: 12 },
    batchMax: 200,
    // 10 %: a share moving less than that between periods is within the Poisson noise of a period's serving.
    shareChangeMin: 0.1,
    operator: "auto",
    // 100 MB per audit (or per up hour): storing is worth about an hour of a small node's serving.
    masternode: { storageCreditBytes: 100_000_000, requireBond: true },
    staker: { minStakePop: 0 },
    // 50 MB (~40 segments, ~3 min of 2.5 Mbit/s video) per 12 h: a peer that served less earns dust that would
    // take weeks to reach the claim threshold, and costs an entry (or two: on and off) every period.
    ephemeral: { minBytes: 50_000_000 },
    // 100 POP, at most daily: a masternode (~300 POP/day at the default halving pool) claims about daily; small
    // holders accumulate for weeks — the claim transactions a day stay O(active earners).
    claim: { thresholdPop: 100, minGapS: 86_400 },
  },
  // Illustrative: a cent per POP, no drift, 80 %/yr volatility (typical of small-cap tokens).
  price: { model: "gbm", startUsd: 0.01, driftPerYear: 0, volatilityPerYear: 0.8, points: [] },
  // Dedicated-server prices (cloud egress is 5–9× the bandwidth figure); 1 TB of shards per masternode; the
  // capital cost of locked POP at 5 %/yr.
  costs: { bandwidthUsdPerGb: 0.01, storageUsdPerGbMonth: 0.006, fixedUsdPerDay: 2, storedGbPerMasternode: 1_000, capitalCostPerYear: 0.05 },
  // Off. When on: 10 sybils per attacker, each faking one 2.5 Mbit/s stream (~1.1 GB/h), paying 0.01 POP per minute
  // watched (≈ 0.53 POP/GB), two channel transactions a day and 100 POP locked (a viewer's budget).
  sybil: { masternodeFraction: 0, sybilsPerMasternode: 10, fakeGbPerSybilPerHour: 1.1, contentPopPerGb: 0.53, channelTxsPerSybilPerDay: 2, depositPopPerSybil: 100 },
};


/** A (possibly partial, possibly empty) economy section laid over the defaults and decoded strictly. Throws on bad input. */
export function resolveEconomyParams(section: unknown = {}): EconomyParams {
  const value = decodeSection(EconomyParams, "economy", ECONOMY_DEFAULTS, section);
  const p = value;
  if (p.price.model === "points") {
    if (p.price.points.length === 0) throw new Error("models.economy: price.model \"points\" needs at least one point");
    for (let i = 1; i < p.price.points.length; i++) {
      if (!(p.price.points[i].atS > p.price.points[i - 1].atS)) throw new Error("models.economy: price.points must be in strictly increasing atS");
    }
  }
  return p;
}

/** Test and scenario helper: defaults with `enabled: true` and the given overrides. */
export function economyParams(overrides: object = {}): EconomyParams {
  return resolveEconomyParams(mergeSection({ enabled: true }, overrides));
}
