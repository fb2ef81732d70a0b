/**
 * The moderation model's scenario section (`scenario.models.moderation`): its Effect Schema and its defaults.
 *
 * Purpose: uploads are screened by the SuperDelegates' AI classifiers before distribution (DOMAIN.md §c, the POP
 * blog's "SuperDelegates: The Gatekeepers"). The classifier is a *statistical* model, not code (DESIGN.md §4), so
 * every number that describes it — base rates, recall, precision, latency, GPU throughput, error correlation, the
 * appeal process, evasive uploaders and censoring SuperDelegates — is data here, validated with the rest of the
 * scenario, each default written down once with its reason. The lead embeds `ModerationParams` in
 * scenarios/schema.ts and `MODERATION_DEFAULTS` in scenarios/defaults.ts; until then `resolveModerationParams` lays a
 * partial section over the defaults and decodes it with the same schema (the pattern of models/chain/params.ts).
 * Arrays (`classes`, `colluders.targetCreators`) and distributions (objects with a `dist` tag) are replaced whole by
 * an override, never merged field- or element-wise.
 *
 * Precision → false-positive rate. A classifier's quality is usually quoted as recall (TPR) and precision at a
 * class's base rate p. One SuperDelegate's false-positive rate (benign content voted "block") follows from Bayes:
 *   precision = TPR·p / (TPR·p + FPR·(1−p))   ⇔   FPR = TPR·p·(1 − precision) / (precision·(1 − p)).
 * `falsePositiveRate` computes it; a class whose numbers give FPR > 1 is rejected (that precision is unattainable
 * at that recall and base rate). Edge cases: p = 0 (no harmful content in the class) gives FPR = 0 — precision is
 * undefined there, so a class that should still produce false positives needs a small p > 0; p = 1 (no benign
 * content) gives FPR = 0 as well (there is nothing to misclassify). The identity is tested in params.test.ts.
 *
 * Units: durations in seconds (`…S`, or a DistSpec in seconds), rates per hour (`…PerHour`), probabilities and
 * shares as fractions.
 */
import { Schema } from "effect";
import { decodeSection, mergeSection, SecondsDist } from "../section.ts";


const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
/** Precision: (0, 1]. Zero precision would mean the classifier never blocks anything harmful. */
const Precision = Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1));


/**
 * One SuperDelegate's false-positive rate from its recall, precision and the class's harmful base rate p (Bayes):
 * FPR = recall·p·(1 − precision) / (precision·(1 − p)). 0 when p is 0 or 1 (see the file header).
 */
export function falsePositiveRate(recall: number, precision: number, baseRate: number): number {
  if (baseRate <= 0 || baseRate >= 1) return 0;
  return (recall * baseRate * (1 - precision)) / (precision * (1 - baseRate));
}

/** The inverse: precision from recall, FPR and base rate (1 when nothing is ever blocked). */
export function precisionOf(recall: number, fpr: number, baseRate: number): number {
  const tp = recall * baseRate, fp = fpr * (1 - baseRate);
  return tp + fp > 0 ? tp / (tp + fp) : 1;
}

export const ContentClass = Schema.Struct({
  /** A label for reports ("general", "mature", …). */
  name: Schema.String,
  /** Relative share of uploads in this class (weights; normalised over the classes). */
  share: NonNegative,
  /** p: fraction of this class's (non-adversarial) uploads that are harmful, i.e. should be blocked. */
  harmfulRate: Probability,
  /** One SuperDelegate's classifier recall (true-positive rate) on harmful uploads of this class. */
  recall: Probability,
  /** One SuperDelegate's classifier precision at this class's base rate; with recall it fixes the FPR (header). */
  precision: Precision,
  /**
   * Classifier latency of one review, seconds: the part of a review that does not occupy the SD's GPU queue
   * (fetching the upload, decoding, posting the vote). The GPU part is `superDelegates.reviewsPerHour`.
   */
  latencyS: SecondsDist,
}).check(
  Schema.makeFilter((c: { recall: number; precision: number; harmfulRate: number }) => {
    const fpr = falsePositiveRate(c.recall, c.precision, c.harmfulRate);
    return fpr <= 1 ? true : `precision ${c.precision} is unattainable at recall ${c.recall} and base rate ${c.harmfulRate} (FPR would be ${fpr.toFixed(3)} > 1)`;
  }),
);
export type ContentClass = typeof ContentClass.Type;

export const ModerationParams = Schema.Struct({
  /** Screen uploads at all. Off by default: a scenario opts in (uploads are then published directly by the glue). */
  enabled: Schema.Boolean,
  /** Content classes, each with its own base rate and classifier quality. At least one. */
  classes: Schema.Array(ContentClass).check(Schema.isMinLength(1)),
  superDelegates: Schema.Struct({
    /**
     * Reviewers when the chain is off or its SuperDelegate set is empty: this many always-up virtual SDs. Matches
     * the chain's default `superDelegates` (7) so a run with and without the chain screens alike.
     */
    fallbackCount: PositiveInt.check(Schema.isLessThanOrEqualTo(1000)),
    /**
     * Votes "pass" needed to publish, q, out of the n reviewing SDs: "bft" = ⌊2n/3⌋ + 1 (DOMAIN.md §c),
     * "majority" = ⌊n/2⌋ + 1, "unanimous" = n, "fraction" = ⌈quorumFraction·n⌉ (at least 1). An upload is taken
     * down as soon as n − q + 1 SDs vote "block" (the pass quorum can then no longer be reached): the blocking
     * minority b = n − q + 1 is also how many colluders it takes to censor.
     */
    quorumRule: Schema.Literals(["bft", "majority", "unanimous", "fraction"]),
    /** Used by quorumRule "fraction" only. */
    quorumFraction: Probability,
    /**
     * GPU throughput of one SD: reviews it can start per hour. Every reviewing SD screens every upload, each in its
     * own FIFO queue (a single-server queue per SD, service time 3600/reviewsPerHour s on average).
     */
    reviewsPerHour: Positive,
    /** Service-time law of that GPU queue: "deterministic" (M/D/1, a fixed per-item cost) or "exponential" (M/M/1). */
    service: Schema.Literals(["deterministic", "exponential"]),
    /**
     * ρ: correlation of the SDs' classifier errors. Per upload, with probability ρ every SD shares one verdict (the
     * same model on the same input fails the same way); otherwise each SD draws its own. Each SD's recall and FPR are
     * unchanged, and the pairwise correlation of two SDs' errors is exactly ρ. 0 = independent models; 1 = one
     * shared model (a quorum then adds nothing over one reviewer).
     */
    errorCorrelation: Probability,
  }),
  queue: Schema.Struct({
    /**
     * Most uploads under review at once (admitted to the SDs' queues, not yet decided). Uploads beyond it wait in
     * the backlog, FIFO, and are admitted as decisions free places; their time-to-publish includes that wait.
     */
    reviewMax: PositiveInt,
    /** Most uploads waiting in the backlog; an upload arriving with the backlog full is rejected (0 = reject at once). */
    backlogMax: NonNegativeInt,
    /** When every SuperDelegate is down, an admitted upload retries after this long. */
    retryS: Positive,
  }),
  appeals: Schema.Struct({
    /** Probability that a creator appeals a takedown (harmful or not). */
    probability: Probability,
    /** Time from the takedown to the appeal's verdict, seconds. */
    latencyS: SecondsDist,
    /**
     * Probability that the appeal review decides correctly: a wrongful takedown is overturned with this
     * probability, a correct one (harmful content) is wrongly overturned with 1 − accuracy.
     */
    accuracy: Probability,
  }),
  adversarial: Schema.Struct({
    /** Fraction of all uploads that are harmful *and* crafted to evade the classifier. */
    share: Probability,
    /** Each SD's recall on those uploads is its class recall times this (adversarial examples evade). */
    recallMultiplier: Probability,
  }),
  colluders: Schema.Struct({
    /**
     * SuperDelegates that censor (the DOMAIN.md §c attack): the first `count` of the current SD set — the top-ranked
     * delegates, as the chain lists them; with the fallback set, virtual SDs 0..count−1. They vote "block" on every
     * upload of a target creator, and on any other upload with `blockRandomProbability`; otherwise they vote their
     * classifier's honest verdict. count ≥ n − q + 1 censors every target.
     */
    count: NonNegativeInt,
    /** Fraction of creators targeted, chosen by a seeded hash of the creator id (stable, order-independent). */
    targetCreatorShare: Probability,
    /** Creators (world node ids) targeted in addition. */
    targetCreators: Schema.Array(NonNegativeInt),
    /** Probability that a colluder votes "block" on a non-target upload regardless of its content. */
    blockRandomProbability: Probability,
    /** Colluders also deny a target's appeals while they hold a blocking minority of the current SD set. */
    blockAppeals: Schema.Boolean,
  }),
});

export type ModerationParams = typeof ModerationParams.Type;

export const MODERATION_DEFAULTS: ModerationParams = {
  enabled: false,
  // Illustrative classes (tune per scenario): most uploads are ordinary and rarely harmful, so even a good classifier
  // has modest precision there (low base rate); "mature" content is more often policy-violating and easier to
  // recognise; news/politics is where classifiers are least sure and where censorship matters most. Latencies are a
  // few tens of seconds of fetching and decoding a short video around the GPU work.
  // Per-SD FPRs implied (falsePositiveRate): general ≈ 0.08 %, mature ≈ 0.52 %, news-politics ≈ 1.09 %.
  classes: [
    { name: "general", share: 0.85, harmfulRate: 0.002, recall: 0.9, precision: 0.7, latencyS: { dist: "lognormal", mean: 20, cv: 0.5 } },
    { name: "mature", share: 0.12, harmfulRate: 0.03, recall: 0.95, precision: 0.85, latencyS: { dist: "lognormal", mean: 30, cv: 0.5 } },
    { name: "news-politics", share: 0.03, harmfulRate: 0.02, recall: 0.8, precision: 0.6, latencyS: { dist: "lognormal", mean: 60, cv: 0.7 } },
  ],
  superDelegates: {
    fallbackCount: 7,
    quorumRule: "bft",
    quorumFraction: 2 / 3,
    // One GPU sampling frames of a short video: ~6 s of GPU time per upload. 1,000 creators × 1 upload/day is
    // ~42 uploads/h, a utilisation of ~7 %: screening is fast unless a scenario overloads it.
    reviewsPerHour: 600,
    service: "deterministic",
    // SDs plausibly run the same reference model on slightly different inputs: half their errors are common-mode.
    errorCorrelation: 0.5,
  },
  queue: { reviewMax: 10_000, backlogMax: 100_000, retryS: 60 },
  // A third of takedowns appealed; appeals take hours (a second, slower review) and are usually right.
  appeals: { probability: 0.3, latencyS: { dist: "lognormal", mean: 21_600, cv: 1 }, accuracy: 0.9 },
  // No adversary by default; when on, evasion cuts recall to 30 % of its class value.
  adversarial: { share: 0, recallMultiplier: 0.3 },
  colluders: { count: 0, targetCreatorShare: 0, targetCreators: [], blockRandomProbability: 0, blockAppeals: true },
};


/** A (possibly partial, possibly empty) moderation section laid over the defaults and decoded strictly. Throws on bad input. */
export function resolveModerationParams(section: unknown = {}): ModerationParams {
  const value = decodeSection(ModerationParams, "moderation", MODERATION_DEFAULTS, section);
  const p = value;
  let shares = 0;
  for (const c of p.classes) shares += c.share;
  if (!(shares > 0)) throw new Error("models.moderation: classes: the shares sum to zero");
  return p;
}

/** Test and scenario helper: defaults with `enabled: true` and the given overrides. */
export function moderationParams(overrides: object = {}): ModerationParams {
  return resolveModerationParams(mergeSection({ enabled: true }, overrides));
}
