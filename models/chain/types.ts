/**
 * The chain model's data: blocks, transactions, rounds. Plain records in arrays indexed by dense integer ids
 * (block id = creation order, tx id = submission order), so iteration order is always event order and never
 * a hash order (STYLE.md "Order you did not choose").
 *
 * Two numbering systems, never mixed: a *candidate* index c ∈ [0, C) is a delegate's position among the world's
 * delegate nodes (in node-id order); `candidateNodes[c]` is its world node id. An *account* index is a stake
 * holder's position in the ledger (ledger.ts).
 */

/** Token amounts: bigint wei, 18 decimals. */
export type Wei = bigint;
export const WEI_PER_POP = 10n ** 18n;

/** Whole POP (may be fractional in scenario data) → wei, rounded to the nearest wei-free micro-POP. */
export function popToWei(pop: number): Wei {
  if (!(pop >= 0) || !Number.isFinite(pop)) throw new RangeError(`popToWei: bad amount ${pop}`);
  return BigInt(Math.round(pop * 1e6)) * 10n ** 12n;
}

/** Wei → POP as a float, for ratios and reports only. */
export function weiToPop(wei: Wei): number {
  return Number(wei / 10n ** 12n) / 1e6;
}

/** A vote: the voter's whole stake approves each listed candidate; it replaces the voter's previous vote. */
export interface VoteTx {
  kind: "vote";
  account: number;
  candidates: readonly number[];
}

/** Proof that `offender` signed two different blocks for `slot` (the two block hashes). */
export interface EvidenceTx {
  kind: "evidence";
  offender: number;
  slot: number;
  hashA: string;
  hashB: string;
  /** Candidate index of the honest delegate that detected it. */
  reporter: number;
}

/** Lock `amountWei` more of the account's liquid POP as stake (Staking.stake); its approvals gain it too. */
export interface StakeTx {
  kind: "stake";
  account: number;
  amountWei: Wei;
}

/** Bond the account's node as a masternode (Staking.registerMasternode). Bonds are not voting stake. */
export interface MasternodeTx {
  kind: "masternode";
  account: number;
}

/** An opaque transaction for the EVM (channels, staking, rewards): the chain orders and carries it only. */
export interface EvmTx {
  kind: "evm";
  data: unknown;
}

export type TxBody = VoteTx | EvidenceTx | StakeTx | MasternodeTx | EvmTx;

export interface Tx {
  id: number;
  body: TxBody;
  bytes: number;
  submittedAtUs: number;
  /** Blocks (ids) that include it, on any branch. */
  inclusions: number[];
  /** Applied to the ledger (its including block became irreversible). */
  committed: boolean;
}

/** Per-replica knowledge of a block (Block.knownBy[c]). */
export const Known = { Unseen: 0, Adopted: 1, Rejected: 2, Seen: 3 } as const;
export type Known = (typeof Known)[keyof typeof Known];

export interface Block {
  id: number;
  /** sha256 of the header fields (block.ts). */
  hash: string;
  parentId: number;
  number: number;
  slot: number;
  round: number;
  /** Candidate index of the producer, and its world node id. */
  producer: number;
  producerNode: number;
  timestampUs: number;
  /** Header extra data: 0 for honest blocks; an equivocator's two versions carry 1 and 2. */
  extra: number;
  txIds: readonly number[];
  bytes: number;
  /** By candidate: the highest block number that candidate produced on this block's branch (−1 = none). */
  lastProduced: Int32Array;
  /** The branch's last irreversible block number as of this block (EOS dpos_irreversible_blocknum). */
  branchLib: number;
  /** By candidate: what that replica knows of this block (`Known`). */
  knownBy: Uint8Array;
  /** Honest running replicas that hold this block as irreversible. */
  finalCount: number;
}

export interface Round {
  index: number;
  startSlot: number;
  /** Active delegates (candidate indices) by rank: approval stake descending, index ascending on ties. */
  active: readonly number[];
  /** The next candidates by rank. */
  standby: readonly number[];
  /** Producer of slot startSlot + i is producers[i]: the active set shuffled (schedule.ts). */
  producers: readonly number[];
  superDelegates: readonly number[];
  /** ⌊2n/3⌋ + 1 for n = active.length. */
  quorum: number;
  /** Hash of the last irreversible block the shuffle was seeded from. */
  seedHash: string;
}

export interface SlashEvent {
  offender: number;
  offenderNode: number;
  amountWei: Wei;
  /** sha256 of (offender, slot, both hashes): the id the Staking contract's `slash…(…, evidenceId)` expects. */
  evidenceId: string;
  slot: number;
  atUs: number;
}
