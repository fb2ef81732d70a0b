/**
 * Closed-form expectations for the moderation model, so tests (and reports) can hold the simulation to theory.
 *
 * Purpose: a SuperDelegate quorum is n classifiers voting; the upload is published when at least q vote "pass".
 * With independent errors the number of "pass" votes is Binomial(n, 1 − P(block)), so every decision rate is a
 * binomial tail. With the model's error correlation ρ (a mixture: with probability ρ all SDs share one verdict,
 * otherwise they are independent; see params.ts) it is ρ·(single-reviewer rate) + (1 − ρ)·(binomial tail).
 * Colluders that always vote "block" on a target simply remove themselves from the honest voters.
 *
 * Also here: the quorum size for each rule (integer arithmetic, so ⌊2n/3⌋ + 1 is exact), the quorum decision's
 * recall / FPR / precision per class, the expected outcome mix of an upload stream, and the Pollaczek–Khinchine
 * mean wait of one SD's GPU queue (M/G/1: M/D/1 and M/M/1 are its cs² = 0 and 1 cases).
 */
import { logGamma } from "../../sim/kernel/distributions.ts";
import { falsePositiveRate, precisionOf, type ContentClass, type ModerationParams } from "./params.ts";

export type QuorumRule = ModerationParams["superDelegates"]["quorumRule"];

/** q: "pass" votes needed out of n reviewers (1 ≤ q ≤ n for n ≥ 1). */
export function quorumSize(n: number, rule: QuorumRule, fraction = 2 / 3): number {
  if (n <= 0) return 0;
  switch (rule) {
    case "bft": return Math.floor((2 * n) / 3) + 1;
    case "majority": return Math.floor(n / 2) + 1;
    case "unanimous": return n;
    // ⌈f·n⌉ with a tolerance for float products such as (2/3)·6 = 3.9999999999999996.
    case "fraction": return Math.min(n, Math.max(1, Math.ceil(fraction * n - 1e-9)));
  }
}

/** b = n − q + 1: "block" votes that make the pass quorum unreachable (and colluders needed to censor). */
export function blockingSize(n: number, q: number): number {
  return n - q + 1;
}

/** P[Binomial(n, p) ≥ k], summed exactly term by term in log space (n up to thousands). */
export function binomialTailAtLeast(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p), lq = Math.log(1 - p), lnf = logGamma(n + 1);
  let s = 0;
  for (let i = k; i <= n; i++) s += Math.exp(lnf - logGamma(i + 1) - logGamma(n - i + 1) + i * lp + (n - i) * lq);
  return Math.min(1, s);
}

export interface QuorumInput {
  /** Reviewing SDs. */
  n: number;
  /** Pass votes needed. */
  q: number;
  /** One honest SD's probability of voting "block" on this kind of upload. */
  pBlock: number;
  /** ρ, the error correlation (params.ts). */
  correlation: number;
  /** Colluders among the n that vote "block" whatever the content (default 0). */
  blockers?: number;
}

/** Probability the upload is published. */
export function quorumPassProbability({ n, q, pBlock, correlation, blockers = 0 }: QuorumInput): number {
  const honest = n - blockers;
  // Shared verdict: all honest SDs pass together (prob 1 − pBlock), which publishes iff they are enough.
  const shared = honest >= q ? 1 - pBlock : 0;
  const independent = binomialTailAtLeast(honest, q, 1 - pBlock);
  return correlation * shared + (1 - correlation) * independent;
}

export interface ClassRates {
  /** One SD's false-positive rate (from recall, precision, base rate). */
  fpr: number;
  /** Probabilities that a benign / harmful (non-adversarial) / adversarial upload is published. */
  passBenign: number;
  passHarmful: number;
  passAdversarial: number;
  /** The quorum decision's recall, FPR and precision on the class's natural (non-adversarial) population. */
  recallQuorum: number;
  fprQuorum: number;
  precisionQuorum: number;
}

/** Decision rates of an n-SD quorum on one content class. */
export function classRates(c: ContentClass, n: number, q: number, correlation: number, recallMultiplier = 1): ClassRates {
  const fpr = falsePositiveRate(c.recall, c.precision, c.harmfulRate);
  const passBenign = quorumPassProbability({ n, q, pBlock: fpr, correlation });
  const passHarmful = quorumPassProbability({ n, q, pBlock: c.recall, correlation });
  const passAdversarial = quorumPassProbability({ n, q, pBlock: c.recall * recallMultiplier, correlation });
  const recallQuorum = 1 - passHarmful, fprQuorum = 1 - passBenign;
  return { fpr, passBenign, passHarmful, passAdversarial, recallQuorum, fprQuorum, precisionQuorum: precisionOf(recallQuorum, fprQuorum, c.harmfulRate) };
}

export interface OutcomeRates {
  /** Per upload: probability of being published by the quorum, of being harmful and published, of being benign and taken down. */
  published: number;
  harmfulPublished: number;
  wrongfulTakedown: number;
  /** Per upload: probability of being harmful at all. */
  harmful: number;
}

/**
 * Expected first-decision mix of an upload stream (no colluders, no appeals): classes by share, adversarial uploads
 * at `adversarial.share` (harmful, recall × multiplier), the rest harmful at the class base rate.
 */
export function expectedOutcomes(p: ModerationParams, n: number): OutcomeRates {
  const sd = p.superDelegates;
  const q = quorumSize(n, sd.quorumRule, sd.quorumFraction);
  let total = 0;
  for (const c of p.classes) total += c.share;
  const a = p.adversarial.share;
  let published = 0, harmfulPublished = 0, wrongful = 0, harmful = 0;
  for (const c of p.classes) {
    const w = c.share / total;
    const r = classRates(c, n, q, sd.errorCorrelation, p.adversarial.recallMultiplier);
    const h = c.harmfulRate;
    published += w * (a * r.passAdversarial + (1 - a) * (h * r.passHarmful + (1 - h) * r.passBenign));
    harmfulPublished += w * (a * r.passAdversarial + (1 - a) * h * r.passHarmful);
    wrongful += w * (1 - a) * (1 - h) * (1 - r.passBenign);
    harmful += w * (a + (1 - a) * h);
  }
  return { published, harmfulPublished, wrongfulTakedown: wrongful, harmful };
}

export interface Mg1 {
  /** Utilisation λ·E[S]. */
  rho: number;
  /** Mean wait before service starts (s); Infinity when ρ ≥ 1. */
  waitS: number;
  /** Mean time in the system, wait + service (s). */
  sojournS: number;
}

/** Pollaczek–Khinchine: Wq = ρ·E[S]·(1 + cs²) / (2(1 − ρ)) for Poisson arrivals at λ per second. */
export function mg1({ lambdaPerS, serviceMeanS, serviceCv2 }: { lambdaPerS: number; serviceMeanS: number; serviceCv2: number }): Mg1 {
  const rho = lambdaPerS * serviceMeanS;
  if (rho >= 1) return { rho, waitS: Infinity, sojournS: Infinity };
  const waitS = (rho * serviceMeanS * (1 + serviceCv2)) / (2 * (1 - rho));
  return { rho, waitS, sojournS: waitS + serviceMeanS };
}
