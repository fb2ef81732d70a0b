/**
 * An exact bigint mirror of RewardPool.sol, off chain.
 *
 * Purpose: the reference the contract is tested against (emission schedule, per-share accumulator), and a
 * way for the economy model to predict emission and pending rewards without an EVM call. Same integer
 * operations in the same order as the Solidity, so results agree to the wei.
 */
export type ScheduleKind = 0 | 1 | 2; // constant, halving, exponential

export type RewardPoolParams = {
  pool: bigint;
  schedule: ScheduleKind;
  periodSeconds: bigint;
  decayPerPeriodWad: bigint;
  roleBps: readonly bigint[];
};

const WAD = 10n ** 18n;
const ACC = 10n ** 18n;
const BPS = 10_000n;

/** Cumulative emission E(elapsed) (RewardPool._cumulativeView), with R_k memoised for the exponential case. */
export class EmissionSchedule {
  private expPeriod = 0n;
  private expRemaining: bigint;

  constructor(readonly params: RewardPoolParams) {
    this.expRemaining = params.pool;
  }

  cumulative(elapsed: bigint): bigint {
    const { pool: p, periodSeconds: h } = this.params;
    let e: bigint;
    if (this.params.schedule === 0) {
      e = elapsed >= h ? p : (p * elapsed) / h;
    } else if (this.params.schedule === 1) {
      const k = elapsed / h;
      if (k >= 255n) return p;
      const remK = p >> k;
      const remNext = p >> (k + 1n);
      e = p - remK + ((remK - remNext) * (elapsed % h)) / h;
    } else {
      const k = elapsed / h;
      const q = this.params.decayPerPeriodWad;
      let i = this.expPeriod;
      let rk = this.expRemaining;
      if (k < i) {
        i = 0n;
        rk = p;
      }
      while (i < k && rk !== 0n) {
        rk = (rk * q) / WAD;
        i++;
      }
      if (k >= this.expPeriod) {
        this.expPeriod = k;
        this.expRemaining = rk;
      }
      const rNext = (rk * q) / WAD;
      e = p - rk + ((rk - rNext) * (elapsed % h)) / h;
    }
    return e > p ? p : e;
  }
}

type Member = { shares: bigint; accSnapshot: bigint; owed: bigint };
type Role = { totalShares: bigint; accPerShare: bigint; emitted: bigint; members: Map<string, Member> };

/** RewardPool's state machine: start, setShares, claim, pending — all at explicit timestamps. */
export class RewardPoolModel {
  readonly schedule: EmissionSchedule;
  startTime: bigint | undefined;
  totalEmitted = 0n;
  totalClaimed = 0n;
  unallocated = 0n;
  readonly roles: Role[];

  constructor(readonly params: RewardPoolParams) {
    this.schedule = new EmissionSchedule(params);
    this.roles = params.roleBps.map(() => ({ totalShares: 0n, accPerShare: 0n, emitted: 0n, members: new Map() }));
  }

  start(now: bigint): void {
    if (this.startTime !== undefined) throw new Error("already started");
    this.startTime = now;
  }

  update(now: bigint): void {
    if (this.startTime === undefined) return;
    const e = this.schedule.cumulative(now - this.startTime);
    const delta = e - this.totalEmitted;
    if (delta === 0n) return;
    this.totalEmitted = e;
    let allocated = 0n;
    this.roles.forEach((r, i) => {
      const part = (delta * this.params.roleBps[i]) / BPS;
      if (part === 0n || r.totalShares === 0n) return;
      r.accPerShare += (part * ACC) / r.totalShares;
      r.emitted += part;
      allocated += part;
    });
    this.unallocated += delta - allocated;
  }

  private member(role: number, account: string): Member {
    const r = this.roles[role];
    let m = r.members.get(account);
    if (m === undefined) {
      m = { shares: 0n, accSnapshot: 0n, owed: 0n };
      r.members.set(account, m);
    }
    return m;
  }

  private settle(r: Role, m: Member): void {
    if (r.accPerShare !== m.accSnapshot) {
      m.owed += (m.shares * (r.accPerShare - m.accSnapshot)) / ACC;
      m.accSnapshot = r.accPerShare;
    }
  }

  setShares(now: bigint, role: number, account: string, shares: bigint): void {
    this.update(now);
    const r = this.roles[role];
    const m = this.member(role, account);
    this.settle(r, m);
    r.totalShares = r.totalShares - m.shares + shares;
    m.shares = shares;
  }

  /** Amount paid. 0 means the contract reverts with NothingToClaim, which also undoes its update: no change. */
  claim(now: bigint, account: string): bigint {
    if (this.pending(now, account) === 0n) return 0n;
    this.update(now);
    let amount = 0n;
    this.roles.forEach((r, i) => {
      const m = this.member(i, account);
      this.settle(r, m);
      amount += m.owed;
      m.owed = 0n;
    });
    this.totalClaimed += amount;
    return amount;
  }

  pending(now: bigint, account: string): bigint {
    let amount = 0n;
    this.roles.forEach((r, i) => {
      const m = r.members.get(account) ?? { shares: 0n, accSnapshot: 0n, owed: 0n };
      let acc = r.accPerShare;
      if (this.startTime !== undefined && r.totalShares !== 0n) {
        const e = this.schedule.cumulative(now - this.startTime);
        const delta = e - this.totalEmitted;
        acc += ((delta * this.params.roleBps[i]) / BPS) * ACC / r.totalShares;
      }
      amount += m.owed + (m.shares * (acc - m.accSnapshot)) / ACC;
    });
    return amount;
  }
}
