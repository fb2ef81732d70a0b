/**
 * The node table: every simulated machine (viewer device, creator, masternode, delegate) as a row in
 * struct-of-arrays form, shared by the network model, churn/faults and the protocol models.
 *
 * Why typed arrays: hundreds of thousands of nodes are touched on every message; flat arrays keep that
 * allocation-free and make iteration order the node index — never a hash order.
 *
 * A node is *up* when its own status is ONLINE and its region is not in an outage. Status changes go through
 * sim/faults (the one place that mutates them), which notifies listeners.
 */
export const NodeStatus = {
  /** Temporarily offline (churn gap or crash-recover). */
  Offline: 0,
  Online: 1,
  /** Crashed and will not come back unless a `recover` fault names it. */
  Crashed: 2,
  /** Left permanently. */
  Departed: 3,
  /** Allocated for a future arrival; not yet part of the network. */
  Dormant: 4,
} as const;
export type NodeStatus = (typeof NodeStatus)[keyof typeof NodeStatus];

export const ROLE_IDS = { viewer: 0, creator: 1, masternode: 2, delegate: 3 } as const;
export type RoleId = (typeof ROLE_IDS)[keyof typeof ROLE_IDS];
export const ROLE_NAMES = ["viewer", "creator", "masternode", "delegate"] as const;

export class NodeTable {
  count = 0;
  role: Uint8Array;
  region: Uint8Array;
  status: Uint8Array;
  upBps: Float64Array;
  downBps: Float64Array;
  /** Region outage flags, by region index. */
  regionDown: Uint8Array;
  readonly regionCount: number;

  constructor(capacity: number, regionCount: number) {
    const cap = Math.max(1, capacity);
    this.role = new Uint8Array(cap);
    this.region = new Uint8Array(cap);
    this.status = new Uint8Array(cap);
    this.upBps = new Float64Array(cap);
    this.downBps = new Float64Array(cap);
    this.regionCount = regionCount;
    this.regionDown = new Uint8Array(regionCount);
  }

  private grow(): void {
    const cap = this.role.length * 2;
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a); return b; };
    const f64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
    this.role = u8(this.role);
    this.region = u8(this.region);
    this.status = u8(this.status);
    this.upBps = f64(this.upBps);
    this.downBps = f64(this.downBps);
  }

  /** Append a node; returns its id (ids are dense and never reused). */
  add(role: RoleId, region: number, upBps: number, downBps: number, status: NodeStatus): number {
    if (this.count === this.role.length) this.grow();
    const id = this.count++;
    this.role[id] = role;
    this.region[id] = region;
    this.status[id] = status;
    this.upBps[id] = upBps;
    this.downBps[id] = downBps;
    return id;
  }

  isUp(id: number): boolean {
    return this.status[id] === NodeStatus.Online && this.regionDown[this.region[id]] === 0;
  }

  /** Ids of a role, in index order. */
  idsOfRole(role: RoleId): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.role[i] === role) out.push(i);
    return out;
  }

  countUp(role?: RoleId): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if ((role === undefined || this.role[i] === role) && this.isUp(i)) n++;
    return n;
  }
}
