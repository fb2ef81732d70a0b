/**
 * The chain's committed state: stake holders, their approvals, candidates' approval stake, slashing.
 *
 * Purpose: the state elections read. It changes only by applying the transactions of irreversible blocks, in
 * height order along one chain (consensus.ts feeds it the first chain any honest delegate finalizes), so every
 * honest node that agrees on the irreversible prefix agrees on it — which is what lets a schedule be computed
 * from it (EOS likewise activates a producer-schedule change only once the block proposing it is irreversible).
 *
 * Method: tallies are maintained incrementally: a vote replaces the voter's previous approvals, subtracting its
 * stake from the old candidates and adding it to the new ones, O(K). Slashing burns a fraction of the offender's
 * self-stake (lowering the tallies its self-account approves), records the amount, and makes the offender
 * ineligible from the next election on. Expected rejections (a malformed vote, evidence already applied) are
 * returned as tagged values; a broken internal invariant (negative stake or tally) throws.
 */
import { createHash } from "node:crypto";
import { invariant } from "../../sim/kernel/invariant.ts";
import type { EvidenceTx, Wei } from "./types.ts";

export type VoteResult = { ok: true } | { ok: false; reason: "unknown-account" | "too-many-candidates" | "unknown-candidate" | "duplicate-candidate" };
export type EvidenceResult =
  | { ok: true; offender: number; amountWei: Wei; evidenceId: string }
  | { ok: false; reason: "already-applied" | "unknown-candidate" };

/** The id of a piece of double-signing evidence: independent of which of the two blocks came first. */
export function evidenceIdOf(ev: Pick<EvidenceTx, "offender" | "slot" | "hashA" | "hashB">): string {
  const [a, b] = ev.hashA < ev.hashB ? [ev.hashA, ev.hashB] : [ev.hashB, ev.hashA];
  return createHash("sha256").update(`popsim/chain/evidence|${ev.offender}|${ev.slot}|${a}|${b}`).digest("hex");
}

const PPM = 1_000_000n;

export class Ledger {
  /** By account. */
  readonly stakeWei: Wei[] = [];
  readonly accountNode: number[] = [];
  readonly approvals: (readonly number[])[] = [];
  /** By candidate. */
  readonly approvalWei: Wei[];
  readonly slashed: Uint8Array;
  readonly slashedWei: Wei[];
  /** Candidate → its self-stake account (−1 until set). */
  readonly selfAccount: Int32Array;
  slashedWeiTotal: Wei = 0n;
  /** Bumped on every change of stakes (a cache key for stake metrics). */
  stakeVersion = 0;
  /** Committed tip: the last block applied. */
  height = 0;
  tipId = 0;
  tipHash: string;
  private readonly evidenceApplied = new Set<string>();
  readonly candidateCount: number;
  readonly approvalsMax: number;

  constructor(candidateCount: number, approvalsMax: number, genesisHash: string) {
    this.candidateCount = candidateCount;
    this.approvalsMax = approvalsMax;
    this.approvalWei = new Array<Wei>(candidateCount).fill(0n);
    this.slashed = new Uint8Array(candidateCount);
    this.slashedWei = new Array<Wei>(candidateCount).fill(0n);
    this.selfAccount = new Int32Array(candidateCount).fill(-1);
    this.tipHash = genesisHash;
  }

  get accountCount(): number {
    return this.stakeWei.length;
  }

  addAccount(node: number, stakeWei: Wei): number {
    invariant(stakeWei >= 0n, "addAccount: negative stake");
    this.stakeWei.push(stakeWei);
    this.accountNode.push(node);
    this.approvals.push([]);
    this.stakeVersion++;
    return this.stakeWei.length - 1;
  }

  /** Set an account's stake (the cartel's genesis allocation, a stake top-up), keeping tallies consistent. */
  setStake(account: number, stakeWei: Wei): void {
    invariant(stakeWei >= 0n, "setStake: negative stake");
    const delta = stakeWei - this.stakeWei[account];
    for (const c of this.approvals[account]) this.approvalWei[c] += delta;
    this.stakeWei[account] = stakeWei;
    this.stakeVersion++;
  }

  /** Add to an account's stake (a committed `stake` transaction). */
  addStake(account: number, amountWei: Wei): void {
    invariant(account >= 0 && account < this.stakeWei.length, () => `addStake: unknown account ${account}`);
    invariant(amountWei >= 0n, "addStake: negative amount");
    this.setStake(account, this.stakeWei[account] + amountWei);
  }

  /** Check a vote without applying it. */
  checkVote(account: number, candidates: readonly number[]): VoteResult {
    if (!(account >= 0 && account < this.stakeWei.length)) return { ok: false, reason: "unknown-account" };
    if (candidates.length > this.approvalsMax) return { ok: false, reason: "too-many-candidates" };
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (!(Number.isInteger(c) && c >= 0 && c < this.candidateCount)) return { ok: false, reason: "unknown-candidate" };
      for (let j = 0; j < i; j++) if (candidates[j] === c) return { ok: false, reason: "duplicate-candidate" };
    }
    return { ok: true };
  }

  /** Replace the account's approvals with `candidates` (its whole stake approves each). */
  applyVote(account: number, candidates: readonly number[]): VoteResult {
    const check = this.checkVote(account, candidates);
    if (!check.ok) return check;
    const stake = this.stakeWei[account];
    for (const c of this.approvals[account]) {
      this.approvalWei[c] -= stake;
      invariant(this.approvalWei[c] >= 0n, () => `negative approval stake for candidate ${c}`);
    }
    for (const c of candidates) this.approvalWei[c] += stake;
    this.approvals[account] = candidates.slice();
    return { ok: true };
  }

  /** Slash the offender's self-stake by `slashPpm` parts per million, once per evidence id. */
  applyEvidence(ev: EvidenceTx, slashPpm: bigint): EvidenceResult {
    if (!(ev.offender >= 0 && ev.offender < this.candidateCount)) return { ok: false, reason: "unknown-candidate" };
    const evidenceId = evidenceIdOf(ev);
    if (this.evidenceApplied.has(evidenceId)) return { ok: false, reason: "already-applied" };
    this.evidenceApplied.add(evidenceId);
    const account = this.selfAccount[ev.offender];
    let amountWei = 0n;
    if (account >= 0) {
      const stake = this.stakeWei[account];
      amountWei = (stake * slashPpm) / PPM;
      this.setStake(account, stake - amountWei);
    }
    this.slashed[ev.offender] = 1;
    this.slashedWei[ev.offender] += amountWei;
    this.slashedWeiTotal += amountWei;
    return { ok: true, offender: ev.offender, amountWei, evidenceId };
  }

  /** Candidates that may be elected (not slashed), as 0/1 flags. */
  eligible(): Uint8Array {
    const out = new Uint8Array(this.candidateCount);
    for (let c = 0; c < this.candidateCount; c++) out[c] = this.slashed[c] ? 0 : 1;
    return out;
  }

  totalStakeWei(): Wei {
    let t = 0n;
    for (const s of this.stakeWei) t += s;
    return t;
  }
}
