/**
 * The economy's exact off-chain view of the RewardPool: models/evm/rewardPoolModel.ts plus what the operator and the
 * members need to read it cheaply.
 *
 * Purpose: the reward operator must know every member's pending reward (to decide claims) and every masternode's
 * earnings (for its P&L) each interval; a `pending(address)` view per member would be one EVM call each. The mirror
 * answers without the EVM: it applies exactly the contract's operations (setShares, claim) at exactly the block
 * timestamps at which they executed, so it agrees with the contract to the wei (checked on every claim: the amount
 * the contract paid must equal the mirror's).
 *
 * Method: `project(t)` computes every role's accumulator as the contract's `_update` would leave it at time t (one
 * emission evaluation for all members), and `pendingAt(acc, key)` is then O(roles) bigint operations per member —
 * the same formula as RewardPool.pendingByRole. `claim` splits the paid amount by role (what the per-role pending was
 * at that instant, which is exactly what the claim settles) so claimed rewards can be reported per role.
 * Accounts are keys of the economy's choosing (node ids as strings); the contract's addresses never enter here.
 */
import { invariant } from "../../sim/kernel/invariant.ts";
import { RewardPoolModel, type RewardPoolParams } from "../evm/rewardPoolModel.ts";

const ACC = 10n ** 18n;
const BPS = 10_000n;

export class PoolMirror {
  readonly model: RewardPoolModel;
  /** Timestamp (s) of the last state-changing operation (the contract's last `_update`). */
  lastUpdateS = 0n;
  private readonly roleCount: number;

  constructor(readonly params: RewardPoolParams) {
    this.model = new RewardPoolModel(params);
    this.roleCount = params.roleBps.length;
  }

  get started(): boolean {
    return this.model.startTime !== undefined;
  }

  get startTimeS(): bigint {
    invariant(this.model.startTime !== undefined, "PoolMirror: not started");
    return this.model.startTime;
  }

  get totalEmitted(): bigint {
    return this.model.totalEmitted;
  }

  get totalClaimed(): bigint {
    return this.model.totalClaimed;
  }

  get unallocated(): bigint {
    return this.model.unallocated;
  }

  roleEmitted(role: number): bigint {
    return this.model.roles[role].emitted;
  }

  roleTotalShares(role: number): bigint {
    return this.model.roles[role].totalShares;
  }

  sharesOf(role: number, key: string): bigint {
    return this.model.roles[role].members.get(key)?.shares ?? 0n;
  }

  start(tS: bigint): void {
    this.model.start(tS);
    this.lastUpdateS = tS;
  }

  update(tS: bigint): void {
    this.model.update(tS);
    this.lastUpdateS = tS;
  }

  setShares(tS: bigint, role: number, key: string, shares: bigint): void {
    this.model.setShares(tS, role, key, shares);
    this.lastUpdateS = tS;
  }

  /** Claim at `tS`: the amount (0 = the contract would revert NothingToClaim) and its split by role into `byRole`. */
  claim(tS: bigint, key: string, byRole: bigint[]): bigint {
    const acc = this.project(tS);
    let expected = 0n;
    for (let r = 0; r < this.roleCount; r++) {
      byRole[r] = this.pendingByRoleAt(acc, r, key);
      expected += byRole[r];
    }
    const paid = this.model.claim(tS, key);
    if (paid !== 0n) this.lastUpdateS = tS;
    invariant(paid === expected, () => `PoolMirror: claim of ${key} paid ${paid}, the per-role pending said ${expected}`);
    return paid;
  }

  /** Every role's accumulator as an update at `tS` would leave it (no state change). */
  project(tS: bigint): bigint[] {
    const m = this.model;
    const acc: bigint[] = [];
    let delta = 0n;
    if (m.startTime !== undefined) delta = m.schedule.cumulative(tS - m.startTime) - m.totalEmitted;
    for (let r = 0; r < this.roleCount; r++) {
      const role = m.roles[r];
      let a = role.accPerShare;
      if (m.startTime !== undefined && role.totalShares !== 0n) a += (((delta * this.params.roleBps[r]) / BPS) * ACC) / role.totalShares;
      acc.push(a);
    }
    return acc;
  }

  /** Every role's `emitted` as an update at `tS` would leave it (no state change). */
  projectEmitted(tS: bigint): bigint[] {
    const m = this.model;
    const delta = m.startTime !== undefined ? m.schedule.cumulative(tS - m.startTime) - m.totalEmitted : 0n;
    return m.roles.map((role, r) => role.emitted + (role.totalShares !== 0n ? (delta * this.params.roleBps[r]) / BPS : 0n));
  }

  /** Pending reward of `key` in `role` given projected accumulators (RewardPool.pendingByRole). */
  pendingByRoleAt(acc: readonly bigint[], role: number, key: string): bigint {
    const member = this.model.roles[role].members.get(key);
    if (member === undefined) return 0n;
    return member.owed + (member.shares * (acc[role] - member.accSnapshot)) / ACC;
  }

  /** Pending reward of `key` over all roles given projected accumulators (RewardPool.pending). */
  pendingAt(acc: readonly bigint[], key: string): bigint {
    let sum = 0n;
    for (let r = 0; r < this.roleCount; r++) sum += this.pendingByRoleAt(acc, r, key);
    return sum;
  }

  /** Problems with the pool's books, or undefined: emission within the pool, payouts within emission, all emission accounted. */
  problem(): string | undefined {
    const m = this.model;
    if (m.totalEmitted > this.params.pool) return `emitted ${m.totalEmitted} wei > pool ${this.params.pool}`;
    let allocated = 0n;
    for (const r of m.roles) allocated += r.emitted;
    if (allocated + m.unallocated !== m.totalEmitted) return `roles' emission ${allocated} + unallocated ${m.unallocated} ≠ emitted ${m.totalEmitted}`;
    if (m.totalClaimed > allocated) return `claimed ${m.totalClaimed} wei > emitted to roles ${allocated}`;
    return undefined;
  }
}
