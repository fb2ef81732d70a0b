/**
 * The chain model's scenario section (`scenario.models.chain`): its Effect Schema and its defaults.
 *
 * Purpose: every knob of the SDPoS model is data, validated with the rest of the scenario (STYLE.md principle 8),
 * with each default written down once, here, with its reason. The lead embeds `ChainParams` in
 * scenarios/schema.ts and `CHAIN_DEFAULTS` in scenarios/defaults.ts; until then `resolveChainParams` lays a
 * partial section over the defaults and decodes it with the same schema, so the model can run either way.
 *
 * Units: token amounts are whole POP in the scenario (numbers, convenient to write) and become bigint wei
 * (18 decimals) inside the model; durations are seconds (`…S`); sizes are bytes (`…Bytes`).
 */
import { Schema } from "effect";
import { decodeSection, mergeSection } from "../section.ts";

const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }));
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1));
/** 0 (every holder of a role holds exactly the role's amount) or a Pareto tail index > 1 (finite mean). */
const ParetoAlpha = Schema.Finite.check(
  Schema.makeFilter((a: number) => (a === 0 || a > 1 ? true : "expected 0 (equal stakes) or a Pareto tail index greater than 1")),
);

export const ChainParams = Schema.Struct({
  /** Run the SDPoS model at all. Off by default: a scenario opts in. */
  enabled: Schema.Boolean,
  /** N: active block producers elected each round (EOS: 21). population.delegates must be ≥ N. */
  activeDelegates: PositiveInt.check(Schema.isLessThanOrEqualTo(1000)),
  /** SuperDelegates per round: the top of the active set by approval stake (DOMAIN.md §c). */
  superDelegates: NonNegativeInt,
  /** Slot length (TRON: 3 s). */
  blockTimeS: Positive,
  /** K: the most candidates one voter may approve (EOS: 30), each with the voter's whole stake. */
  approvalsMax: PositiveInt,
  /** Stake held per account, by role, in whole POP. */
  stake: Schema.Struct({
    viewerPop: NonNegative,
    creatorPop: NonNegative,
    masternodePop: NonNegative,
    /** A delegate's self-stake; it approves itself with it. */
    delegatePop: NonNegative,
    /** 0: equal stakes within a role; > 1: Pareto(α) scaled to the role's amount as its mean. */
    paretoAlpha: ParetoAlpha,
  }),
  voting: Schema.Struct({
    /** Fraction of non-delegate holders that cast a genesis vote. */
    participation: Probability,
    /** Candidates' popularity is lognormal with mean 1 and this coefficient of variation (0 = all equal). */
    popularityCv: NonNegative,
    /** Honest re-votes per simulated day across all voters (Poisson); each is a vote transaction. */
    revotesPerDay: NonNegative,
  }),
  blocks: Schema.Struct({
    /** Bytes of a block header (hashes, numbers, signature). */
    headerBytes: PositiveInt,
    /** Bytes of one transaction in a block. */
    txBytes: PositiveInt,
    /** Most transactions in one block. */
    txsMax: PositiveInt,
    /** Most pending transactions held; submissions beyond are dropped and counted (a limit on everything). */
    poolTxsMax: PositiveInt,
    /**
     * Final history kept in memory below the lowest LIB of the running honest delegates; older blocks are pruned
     * (a delegate that was down longer resumes from a checkpoint). Bounds memory on long runs.
     */
    keepFinalBlocks: PositiveInt,
  }),
  sync: Schema.Struct({
    /**
     * Gossip: an honest delegate forwards each block it adopts from a block message to this many other
     * delegates, drawn at random (0 = no relay; ≥ delegates − 1 = to all). The producer itself sends to all.
     */
    relayFanout: NonNegativeInt,
    /** Most blocks in one sync response (a node behind asks again for the next chunk). */
    blocksMax: PositiveInt,
    /** Most blocks a node holds whose parent it has not seen yet. */
    orphansMax: PositiveInt,
    /** A sync request with no answer after this long may be repeated. */
    timeoutS: Positive,
  }),
  /** Fraction of an offender's self-stake slashed per committed piece of double-signing evidence. */
  slashFraction: Probability,
  adversary: Schema.Struct({
    /** Active delegates that never run (crash faults from t = 0): the liveness attack. */
    offline: NonNegativeInt,
    /** Active delegates that double-sign every slot they own, one version to each half of the network. */
    equivocators: NonNegativeInt,
    /** Pick the adversary's delegates from this region first ("" = anywhere): a data-centre adversary. */
    region: Schema.String,
  }),
  /**
   * Real contracts (models/evm/, evmExecutor.ts): the final chain's transactions run in @ethereumjs/vm against
   * POPToken, Staking and LIT, deployed at genesis with the ledger's stakes and votes. Off by default: the
   * consensus model alone needs no EVM.
   */
  evm: Schema.Struct({
    enabled: Schema.Boolean,
    /** The bond `Staking.registerMasternode` locks, in POP (DOMAIN.md §f: 50,000). Bonds are not voting stake. */
    masternodeBondPop: Positive,
    /** Fraction of masternodes bonded at genesis; the others register during the run. */
    masternodesBondedAtGenesis: Probability,
    /** Masternode registrations per simulated day (Poisson) while some are unbonded; each is a transaction. */
    registrationsPerDay: NonNegative,
    /** Liquid (unstaked) POP each holder gets at genesis, by role; the treasury keeps the rest. */
    liquidPop: Schema.Struct({ viewer: NonNegative, creator: NonNegative, masternode: NonNegative, delegate: NonNegative }),
    /** Stake top-ups per simulated day across holders with liquid POP (Poisson); each is a `stake` transaction. */
    topUpsPerDay: NonNegative,
    /** A top-up stakes this fraction of the holder's genesis liquid POP (so each holder tops up at most 1/f times). */
    topUpFraction: Schema.Finite.check(Schema.isBetween({ minimum: 0.001, maximum: 1 })),
    /** LIT (LIT.sol, DOMAIN.md §d option B): capacity shared by stake, regenerating over a window, burned per transaction. */
    lit: Schema.Struct({
      /** C: LIT units the whole network may use per window; a holder's share is its stake / all stake. */
      capacityPerWindow: PositiveInt.check(Schema.isLessThanOrEqualTo(Number.MAX_SAFE_INTEGER)),
      windowS: PositiveInt,
      /** LIT one transaction burns (0: transactions are free and never refused). */
      costPerTx: NonNegativeInt,
    }),
    /**
     * Audit supply and ledger agreement against the contracts this often (simulated seconds), and after every
     * executed block in check mode; the `chain.*_pop` gauges are the last audit's figures.
     */
    auditIntervalS: Positive,
    /**
     * Also audit (incrementally: holders named by a Transfer are re-read) after every executed block that carried
     * transactions, outside check mode too — the economy's "supply invariant at every block". Costs a few view calls
     * per such block.
     */
    auditEveryBlock: Schema.Boolean,
  }),
  cartel: Schema.Struct({
    /** The cartel's own share of all stake, s. */
    stakeShare: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 0.99 })),
    /** Cartel candidates (delegate nodes the cartel runs); 0 = no cartel. */
    candidates: NonNegativeInt,
    /** Fraction of the other voters bribed per simulated day (Poisson); a bribed voter re-votes for the cartel. */
    bribedFractionPerDay: NonNegative,
    /** Bribing stops once this fraction of the other voters is bribed. */
    bribedFractionMax: Probability,
  }),
});

export type ChainParams = typeof ChainParams.Type;

export const CHAIN_DEFAULTS: ChainParams = {
  enabled: false,
  // EOS's 21 producers and 2/3 + 1 quorum (DOMAIN.md §c); 7 SuperDelegates = a third of them.
  activeDelegates: 21,
  superDelegates: 7,
  // TRON's 3 s slot: slow enough that a block reaches every delegate well within its slot.
  blockTimeS: 3,
  // Fewer than EOS's 30 so that approvals are selective with ~21–40 candidates.
  approvalsMax: 5,
  // Masternodes stake as much as their 50,000 POP bond (DOMAIN.md §f); the rest are round illustrative figures.
  // With the EVM on, the bond itself is separate (Staking.registerMasternode, `evm.masternodeBondPop`) and carries
  // no votes and no LIT: a bonded masternode has locked stake + bond.
  stake: { viewerPop: 1_000, creatorPop: 10_000, masternodePop: 50_000, delegatePop: 1_000_000, paretoAlpha: 0 },
  voting: { participation: 0.5, popularityCv: 1, revotesPerDay: 100 },
  // A header with a 65-byte signature and three 32-byte hashes; a vote or an ERC-20 call is ~150–250 bytes.
  // 4,096 blocks ≈ 3.4 h of 3 s slots: far more than any sync or reorg needs, ~4 MB.
  blocks: { headerBytes: 256, txBytes: 200, txsMax: 1_000, poolTxsMax: 100_000, keepFinalBlocks: 4_096 },
  // Fanout 4: epidemic gossip reaches all of ~21–100 peers w.h.p. at a fifth of all-to-all's messages.
  sync: { relayFanout: 4, blocksMax: 256, orphansMax: 1_024, timeoutS: 2 },
  slashFraction: 0.1,
  adversary: { offline: 0, equivocators: 0, region: "" },
  // EVM off by default. When on: 80 % of masternodes bonded at genesis, the rest register over ~a day; modest
  // liquid balances so top-ups and registrations have tokens to lock. LIT: 1e9 units/day network-wide, 100 per
  // transaction — a 1,000-POP viewer among ~30 M POP staked regenerates ~34,000 a day, i.e. enough for its
  // first transaction ~4 min after genesis (holders start empty, LIT.sol) and for hundreds a day after that.
  evm: {
    enabled: false,
    masternodeBondPop: 50_000,
    masternodesBondedAtGenesis: 0.8,
    registrationsPerDay: 20,
    liquidPop: { viewer: 0, creator: 1_000, masternode: 10_000, delegate: 100_000 },
    topUpsPerDay: 200,
    topUpFraction: 0.1,
    lit: { capacityPerWindow: 1_000_000_000, windowS: 86_400, costPerTx: 100 },
    auditIntervalS: 600,
    auditEveryBlock: false,
  },
  cartel: { stakeShare: 0, candidates: 0, bribedFractionPerDay: 0, bribedFractionMax: 0 },
};


/** A (possibly partial, possibly empty) chain section laid over the defaults and decoded strictly. Throws on bad input. */
export function resolveChainParams(section: unknown = {}): ChainParams {
  const value = decodeSection(ChainParams, "chain", CHAIN_DEFAULTS, section);
  return value;
}

/** Test and scenario helper: defaults with `enabled: true` and the given overrides. */
export function chainParams(overrides: object = {}): ChainParams {
  return resolveChainParams(mergeSection({ enabled: true }, overrides));
}
