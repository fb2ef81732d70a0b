/**
 * The channels model's scenario section (`scenario.models.channels`): its Effect Schema and its defaults.
 *
 * Purpose: how viewers pay for video — Machinomy payment channels straight to each payee ("direct"), through one
 * hub ("hub"), or with probabilistic tickets from one deposit ("tickets") — is data, validated with the rest of the
 * scenario (STYLE.md principle 8), with each default written down once, here, with its reason. The lead embeds
 * `ChannelsParams` in scenarios/schema.ts and `CHANNELS_DEFAULTS` in scenarios/defaults.ts; until then
 * `resolveChannelsParams` lays a partial section over the defaults and decodes it with the same schema.
 *
 * What is *not* here: a wallet's money. A node's budget is the liquid POP the chain's genesis gives its account
 * (`models.chain.evm.liquidPop.<role>`), optionally capped by `viewerBudgetPop`; LIT fees per transaction are
 * `models.chain.evm.lit.costPerTx`; the channel contract's minimum settling period and the ticket broker's unlock
 * period are genesis constants (models/evm/genesis.ts, both 1,200 blocks).
 *
 * Units: token amounts in whole POP (numbers; wei inside the model), durations in seconds (`…S`), chain time in
 * blocks (`…Blocks`), rates as probabilities or fractions.
 */
import { Schema } from "effect";
import { decodeSection, mergeSection } from "../section.ts";

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
/** A fraction strictly inside (0, 1]. */
const Fraction = Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1));

/** One adversarial behaviour: the fraction of viewers that adopt it and how often they act. */
const Behaviour = Schema.Struct({
  /** Fraction of viewers (chosen by the "channels/adversary" stream) that behave this way. */
  fraction: Probability,
  /** Per payment, the probability that the adversary acts (stop-paying, stale-voucher); unused by the others. */
  probability: Probability,
});

export const ChannelsParams = Schema.Struct({
  /** Run payments at all. Needs `models.chain.evm.enabled` (channels and tickets are real contracts). */
  enabled: Schema.Boolean,
  /**
   * How viewers pay: "direct" = one channel per (viewer, payee) pair (O(pairs) transactions — the POP design as
   * written); "hub" = one channel per viewer to a hub and one per payee from the hub; "tickets" = one TicketBroker
   * deposit per viewer, winning tickets redeemed in batches.
   */
  policy: Schema.Literals(["direct", "hub", "tickets"]),
  /** Cap on what a viewer's wallet locks in channels or tickets, in POP (0 = its whole genesis liquid POP). */
  viewerBudgetPop: NonNegative,
  direct: Schema.Struct({
    /** A new channel is funded with this many times its first payment (Machinomy: 10), clamped below. */
    depositPayments: PositiveInt,
    depositMinPop: Positive,
    depositMaxPop: Positive,
  }),
  hub: Schema.Struct({
    /** The hub is an existing node: the `index`-th node of this role (a large stake gives it LIT for its txs). */
    role: Schema.Literals(["delegate", "masternode", "creator"]),
    index: NonNegativeInt,
    /** Fee the hub keeps on each forwarded payment, in basis points. */
    feeBps: NonNegativeInt.check(Schema.isLessThan(10_000)),
    /** POP the hub commits to its payee channels (capped by its genesis liquid POP); refilled by its claims. */
    floatPop: Positive,
    /** Deposit of a viewer's channel to the hub. */
    viewerDepositPop: Positive,
    /** Deposit of the hub's channel to one payee (and of each top-up). */
    payeeDepositPop: Positive,
    /** Credit a payee extends to the hub while the hub's channel to it opens or tops up (it trusts the hub more). */
    creditLimitPop: NonNegative,
  }),
  tickets: Schema.Struct({
    /** What a winning ticket pays. */
    faceValuePop: Positive,
    /**
     * Expected value of one ticket: a payer owes each payee off chain and sends a ticket per `ticketEvPop` owed,
     * so winProb = ticketEvPop / faceValuePop and tickets ≈ value / EV (the residue below one EV is the payee's
     * credit, at most one EV). A slot evicted from the payer's small cache is paid with one ticket of EV = residue.
     */
    ticketEvPop: Positive,
    depositPop: Positive,
    reservePop: NonNegative,
    /** Most winning tickets in one `batchRedeemWinningTickets` transaction (gas ~60 k each). */
    redeemBatchMax: PositiveInt.check(Schema.isLessThanOrEqualTo(200)),
    /** A recipient redeems its winning tickets this long after the first pending one (or at a full batch). */
    redeemDelayS: Positive,
    /** A ticket expires this many blocks after it is issued (a recipient offline longer loses it). */
    validityBlocks: PositiveInt,
    /**
     * Viewers start with their deposit and reserve already in the TicketBroker, as if funded before the run: written
     * at genesis with `fundBatchFor` (200 viewers per call, paid by the treasury, counted against each viewer's
     * budget) instead of an approve + fund transaction per viewer on day 1 — the steady state, where only newcomers
     * onboard, and ~20 k fewer EVM transactions for 10 k viewers. Needs `Payments.fundAtGenesis()` before the run.
     */
    fundAtGenesis: Schema.Boolean,
  }),
  /** A sender adds to a channel (deposit) when less than this fraction of its value is left. */
  topUpFraction: Probability,
  /** Settling period a sender opens channels with (≥ the contract minimum, 1,200 blocks by default). */
  settlingPeriodBlocks: PositiveInt,
  claim: Schema.Struct({
    /** A receiver claims (closing the channel) once the voucher reaches this fraction of the channel's value. */
    fraction: Fraction,
    /** Delay between a DidStartSettling / Unlock log and the receiver's reaction (watcher polling, processing). */
    watcherLatencyS: NonNegative,
  }),
  /** Credit a payee gives a viewer while the viewer's channel (or deposit) is opening or topping up. */
  creditLimitPop: NonNegative,
  /** A sender starts settling a channel idle this long (then settles after the period); 0 = leave channels open. */
  idleCloseS: NonNegative,
  /** Fraction of honest vouchers (tickets) the receiver verifies with real secp256k1 recovery (see payments.ts). */
  verifySampleRate: Probability,
  retry: Schema.Struct({
    /** A transaction refused (LIT short, pool full) or a wallet offline is retried after this long. */
    delayS: Positive,
    /** Most attempts of one open or funding before the wallet gives up (a limit on everything). */
    max: PositiveInt,
  }),
  adversary: Schema.Struct({
    /** Stops paying: refuses to pay for a segment it was just served (gains it; the payee loses it). */
    stopPaying: Behaviour,
    /** Sends a voucher whose cumulative value does not increase, or one signed for its previous channel. */
    staleVoucher: Behaviour,
    /**
     * Starts settling (tickets: unlocks) right after being served, `afterPayments` payments into a channel (deposit),
     * and settles (withdraws) as soon as the period is over, hoping the receiver misses the window.
     */
    earlySettle: Schema.Struct({ fraction: Probability, afterPayments: PositiveInt }),
    /** Front-runs honest `open`s with the victim's channel id: each honest open is griefed with `probability`. */
    grief: Behaviour,
  }),
});

export type ChannelsParams = typeof ChannelsParams.Type;
export type ChannelsPolicy = ChannelsParams["policy"];

export const CHANNELS_DEFAULTS: ChannelsParams = {
  enabled: false,
  // Machinomy's own answer to O(#nodes) channels per viewer (DOMAIN.md §b, topology): O(viewers + payees) txs.
  policy: "hub",
  viewerBudgetPop: 0,
  // A segment costs ~0.001–0.002 POP: 200 segments ≈ 10–15 minutes of one source, within [0.2, 5] POP.
  direct: { depositPayments: 200, depositMinPop: 0.2, depositMaxPop: 5 },
  // A delegate: 1 M POP staked (LIT for ~100 k txs a day at the chain defaults) and 100 k POP liquid; 1 % fee. A payee
  // earns ~0.4 POP a day on average (4 k POP over ~11 k payees in the baseline): 0.5-POP channels topped up as needed.
  hub: { role: "delegate", index: 0, feeBps: 100, floatPop: 50_000, viewerDepositPop: 5, payeeDepositPop: 0.5, creditLimitPop: 1 },
  // EV 0.02 POP ≈ 10–20 segments per ticket; face value 1 POP ⇒ 1 winner per 50 tickets; ~a day of validity.
  tickets: { faceValuePop: 1, ticketEvPop: 0.02, depositPop: 5, reservePop: 5, redeemBatchMax: 50, redeemDelayS: 600, validityBlocks: 28_800, fundAtGenesis: true },
  topUpFraction: 0.2,
  // The contract minimum (genesis: 1,200 blocks = 1 h at 3 s): a longer period only delays the sender's refund.
  settlingPeriodBlocks: 1_200,
  claim: { fraction: 0.9, watcherLatencyS: 30 },
  // About a minute of video from one source at ~0.002 POP per 4-s segment: covers an open's finality (~1 min).
  creditLimitPop: 0.05,
  idleCloseS: 0,
  // One voucher in a thousand: ~4 k real recoveries in a 4 M-payment day (~0.3 s), enough to catch a broken signer.
  verifySampleRate: 0.001,
  retry: { delayS: 120, max: 30 },
  adversary: {
    stopPaying: { fraction: 0, probability: 0.02 },
    staleVoucher: { fraction: 0, probability: 0.02 },
    earlySettle: { fraction: 0, afterPayments: 20 },
    grief: { fraction: 0, probability: 0.5 },
  },
};


/** A (possibly partial, possibly empty) channels section laid over the defaults and decoded strictly. Throws on bad input. */
export function resolveChannelsParams(section: unknown = {}): ChannelsParams {
  const value = decodeSection(ChannelsParams, "channels", CHANNELS_DEFAULTS, section);
  const p = value;
  if (p.direct.depositMinPop > p.direct.depositMaxPop) throw new Error("models.channels: direct.depositMinPop must be ≤ direct.depositMaxPop");
  if (p.tickets.ticketEvPop > p.tickets.faceValuePop) throw new Error("models.channels: tickets.ticketEvPop must be ≤ tickets.faceValuePop (winProb ≤ 1)");
  return p;
}

/** Test and scenario helper: defaults with `enabled: true` and the given overrides. */
export function channelsParams(overrides: object = {}): ChannelsParams {
  return resolveChannelsParams(mergeSection({ enabled: true }, overrides));
}
