/**
 * Staking.sol: stake and unbonding, delegate registration, stake-weighted approval voting, masternode bonds,
 * slashing with explicit burning, and a property test of token conservation and vote bookkeeping.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AbiValue } from "./abi.ts";
import { POP } from "./genesis.ts";
import type { AddressHex, Hex } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import type { KeyPair } from "./sign.ts";
import { type Fixture, MAX_UINT256, advance, fcParams, ok, reverts, systemFixture } from "./testkit.ts";

let f: Fixture;
let host: EvmHost;
let token: Contract;
let staking: Contract;
let users: KeyPair[];
let slasher: AddressHex;
let bond: bigint;
let unbonding: bigint;
let snap: number;
const BURN = "0x000000000000000000000000000000000000dead" as AddressHex;
const evidence = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

beforeAll(async () => {
  f = await systemFixture(5);
  host = f.host;
  token = f.system.token;
  staking = f.system.staking;
  users = f.users;
  slasher = f.system.keys.consensus.address;
  bond = f.system.options.masternodeBondWei;
  unbonding = f.system.options.unbondingPeriodS;
  for (const u of users) await ok(host, u.address, token, "approve", [staking.address, MAX_UINT256]);
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

const bal = (a: AddressHex) => host.tokenBalance(token, a);
const v1 = <T extends AbiValue>(fn: string, args: AbiValue[] = []) => host.view1<T>(staking, fn, args);

async function conservation(): Promise<void> {
  const [held, staked, unb, bonded] = await Promise.all([
    bal(staking.address),
    v1<bigint>("totalStaked"),
    v1<bigint>("totalUnbonding"),
    v1<bigint>("totalBonded"),
  ]);
  expect(held).toBe(staked + unb + bonded);
  expect(await bal(BURN)).toBe(await v1<bigint>("burned"));
}

describe("stake, unstake, withdraw", () => {
  it("stakes, unbonds for the unbonding period, then withdraws", async () => {
    const [a] = users;
    const b0 = await bal(a.address);
    const s = await ok(host, a.address, staking, "stake", [100n * POP]);
    expect(s.logs.map((l) => l.name)).toEqual(["Transfer", "Staked"]);
    expect(await v1("stakeOf", [a.address])).toBe(100n * POP);
    expect(await v1("totalStaked")).toBe(100n * POP);
    await reverts(host, a.address, staking, "unstake", [101n * POP], "InsufficientStake", [100n * POP, 101n * POP]);
    const u = await ok(host, a.address, staking, "unstake", [40n * POP]);
    const releaseAt = host.timestampS + unbonding;
    expect(u.logs.find((l) => l.name === "Unstaked")?.args).toEqual({ account: a.address, amount: 40n * POP, releaseAt });
    expect(await host.view(staking, "unbondingOf", [a.address])).toEqual([40n * POP, releaseAt]);
    await reverts(host, a.address, staking, "withdraw", [], "StillUnbonding", [host.timestampS, releaseAt]);
    advance(host, 1, Number(unbonding));
    await ok(host, a.address, staking, "withdraw");
    expect(await bal(a.address)).toBe(b0 - 60n * POP);
    await reverts(host, a.address, staking, "withdraw", [], "NothingToWithdraw");
    await conservation();
  });

  it("rejects zero amounts and missing allowance", async () => {
    const [a] = users;
    await reverts(host, a.address, staking, "stake", [0n], "ZeroAmount");
    await reverts(host, a.address, staking, "unstake", [0n], "ZeroAmount");
    await ok(host, a.address, token, "approve", [staking.address, 0n]);
    await reverts(host, a.address, staking, "stake", [1n], "InsufficientAllowance");
  });

  it("a second unstake adds to the unbonding balance and restarts its clock", async () => {
    const [a] = users;
    await ok(host, a.address, staking, "stake", [100n * POP]);
    await ok(host, a.address, staking, "unstake", [10n * POP]);
    advance(host, 1, 1000);
    await ok(host, a.address, staking, "unstake", [5n * POP]);
    expect(await host.view(staking, "unbondingOf", [a.address])).toEqual([15n * POP, host.timestampS + unbonding]);
  });
});

describe("delegates and approval voting", () => {
  it("counts a voter's whole stake for each approved delegate", async () => {
    const [d1, d2, d3, v1a, v2a] = users;
    for (const d of [d1, d2, d3]) await ok(host, d.address, staking, "registerDelegate");
    expect(await host.view1(staking, "delegates")).toEqual([d1.address, d2.address, d3.address]);
    await ok(host, v1a.address, staking, "stake", [100n * POP]);
    await ok(host, v2a.address, staking, "stake", [30n * POP]);
    const r = await ok(host, v1a.address, staking, "vote", [[d1.address, d2.address]]);
    expect(r.logs[0].args).toEqual({ voter: v1a.address, candidates: [d1.address, d2.address], weight: 100n * POP });
    await ok(host, v2a.address, staking, "vote", [[d2.address, d3.address]]);
    expect(await host.view(staking, "delegateVotes")).toEqual([
      [d1.address, d2.address, d3.address],
      [100n * POP, 130n * POP, 30n * POP],
    ]);
    // Stake changes move the votes of every approved candidate.
    await ok(host, v1a.address, staking, "stake", [20n * POP]);
    await ok(host, v2a.address, staking, "unstake", [10n * POP]);
    expect((await host.view(staking, "delegateVotes"))[1]).toEqual([120n * POP, 140n * POP, 20n * POP]);
    // Re-voting replaces the list; an empty list withdraws.
    await ok(host, v1a.address, staking, "vote", [[d3.address]]);
    expect(await host.view1(staking, "approvalsOf", [v1a.address])).toEqual([d3.address]);
    expect((await host.view(staking, "delegateVotes"))[1]).toEqual([0n, 20n * POP, 140n * POP]);
    await ok(host, v2a.address, staking, "vote", [[]]);
    expect((await host.view(staking, "delegateVotes"))[1]).toEqual([0n, 0n, 120n * POP]);
  });

  it("rejects non-delegates, duplicates, and double registration; unregistering delists", async () => {
    const [d1, d2, voter] = users;
    await ok(host, d1.address, staking, "registerDelegate");
    await reverts(host, d1.address, staking, "registerDelegate", [], "AlreadyDelegate", [d1.address]);
    await reverts(host, voter.address, staking, "vote", [[d2.address]], "NotDelegate", [d2.address]);
    await reverts(host, voter.address, staking, "vote", [[d1.address, d1.address]], "DuplicateApproval", [d1.address]);
    await ok(host, d2.address, staking, "registerDelegate");
    await ok(host, voter.address, staking, "stake", [5n]);
    await ok(host, voter.address, staking, "vote", [[d1.address, d2.address]]);
    await ok(host, d1.address, staking, "unregisterDelegate");
    expect(await host.view1(staking, "delegates")).toEqual([d2.address]);
    expect(await v1("isDelegate", [d1.address])).toBe(false);
    expect(await v1("votesFor", [d1.address])).toBe(5n); // recorded, but no longer listed
    await reverts(host, d1.address, staking, "unregisterDelegate", [], "NotDelegate");
  });

  it("enforces maxApprovals and delegateMinStake (separate deployment)", async () => {
    const [d1, d2, d3, voter] = users;
    const s = await host.deploy(d1.address, "Staking", [token.address, slasher, bond, 100n, 2n, 10n * POP]);
    for (const u of users) await ok(host, u.address, token, "approve", [s.address, MAX_UINT256]);
    await reverts(host, d1.address, s, "registerDelegate", [], "DelegateStakeTooLow", [0n, 10n * POP]);
    for (const d of [d1, d2, d3]) {
      await ok(host, d.address, s, "stake", [10n * POP]);
      await ok(host, d.address, s, "registerDelegate");
    }
    await reverts(host, voter.address, s, "vote", [[d1.address, d2.address, d3.address]], "TooManyApprovals", [3n, 2n]);
    await ok(host, voter.address, s, "vote", [[d1.address, d2.address]]);
    await reverts(host, d1.address, s, "unstake", [1n], "DelegateStakeTooLow", [10n * POP - 1n, 10n * POP]);
    await ok(host, d1.address, s, "stake", [1n]);
    await ok(host, d1.address, s, "unstake", [1n]);
  });
});

describe("masternodes", () => {
  it("bond, unbond, withdraw after the period", async () => {
    const [m] = users;
    const b0 = await bal(m.address);
    const r = await ok(host, m.address, staking, "registerMasternode");
    expect(r.logs.find((l) => l.name === "MasternodeRegistered")?.args).toEqual({ node: m.address, bond });
    expect(bond).toBe(50_000n * POP);
    expect(await bal(m.address)).toBe(b0 - bond);
    expect(await host.view1(staking, "activeMasternodes")).toEqual([m.address]);
    expect(await v1("isActiveMasternode", [m.address])).toBe(true);
    await reverts(host, m.address, staking, "registerMasternode", [], "MasternodeExists", [m.address]);
    await reverts(host, m.address, staking, "withdrawMasternode", [], "NotUnbondingMasternode", [m.address]);
    await ok(host, m.address, staking, "unbondMasternode");
    expect(await host.view1(staking, "activeMasternodes")).toEqual([]);
    await reverts(host, m.address, staking, "unbondMasternode", [], "NotActiveMasternode", [m.address]);
    await reverts(host, m.address, staking, "withdrawMasternode", [], "StillUnbonding");
    advance(host, 1, Number(unbonding));
    await ok(host, m.address, staking, "withdrawMasternode");
    expect(await bal(m.address)).toBe(b0);
    expect(await host.view(staking, "masternodes", [m.address])).toEqual([0n, 0n, 0n]);
    await conservation();
  });

  it("keeps the active list consistent under swap-and-pop removal", async () => {
    const [a, b, c] = users;
    for (const u of [a, b, c]) await ok(host, u.address, staking, "registerMasternode");
    await ok(host, a.address, staking, "unbondMasternode");
    expect(await host.view1(staking, "activeMasternodes")).toEqual([c.address, b.address]);
    await ok(host, b.address, staking, "unbondMasternode");
    expect(await host.view1(staking, "activeMasternodes")).toEqual([c.address]);
  });

  it("needs the full bond", async () => {
    const poor = await host.deploy(users[0].address, "Staking", [token.address, slasher, 10_000_000n * POP, 1n, 1n, 0n]);
    await ok(host, users[0].address, token, "approve", [poor.address, MAX_UINT256]);
    await reverts(host, users[0].address, poor, "registerMasternode", [], "InsufficientBalance");
  });
});

describe("slashing", () => {
  it("only the slasher slashes, once per evidence; slashed tokens are burned and counted", async () => {
    const [m] = users;
    await ok(host, m.address, staking, "registerMasternode");
    await reverts(host, m.address, staking, "slashMasternode", [m.address, 1n, evidence(1)], "NotSlasher", [m.address]);
    const r = await ok(host, slasher, staking, "slashMasternode", [m.address, 1_000n * POP, evidence(1)]);
    expect(r.values).toEqual([1_000n * POP]);
    expect(r.logs.find((l) => l.name === "Slashed")?.args).toEqual({
      offender: m.address,
      evidenceId: evidence(1),
      amount: 1_000n * POP,
      masternode: true,
    });
    expect(await v1("burned")).toBe(1_000n * POP);
    expect(await bal(BURN)).toBe(1_000n * POP);
    expect(await v1("evidenceUsed", [evidence(1)])).toBe(true);
    await reverts(host, slasher, staking, "slashMasternode", [m.address, 1n, evidence(1)], "EvidenceUsed", [evidence(1)]);
    // Below the bond: forced out of the active set, the remainder unbonds and stays slashable.
    expect(await host.view1(staking, "activeMasternodes")).toEqual([]);
    expect(await host.view(staking, "masternodes", [m.address])).toEqual([49_000n * POP, host.timestampS + unbonding, 2n]);
    const capped = await ok(host, slasher, staking, "slashMasternode", [m.address, 10n ** 30n, evidence(2)]);
    expect(capped.values).toEqual([49_000n * POP]);
    await reverts(host, slasher, staking, "slashMasternode", [m.address, 1n, evidence(3)], "NothingToSlash", [m.address]);
    advance(host, 1, Number(unbonding));
    await ok(host, m.address, staking, "withdrawMasternode");
    expect(await v1("burned")).toBe(50_000n * POP);
    expect(await host.view1(token, "totalSupply")).toBe(1_600_000_000n * POP);
    await conservation();
  });

  it("slashStake takes stake first, then unbonding, and unregisters an underfunded delegate", async () => {
    const [d, voter] = users;
    const s = await host.deploy(d.address, "Staking", [token.address, slasher, bond, 100n, 5n, 10n * POP]);
    for (const u of [d, voter]) await ok(host, u.address, token, "approve", [s.address, MAX_UINT256]);
    await ok(host, d.address, s, "stake", [20n * POP]);
    await ok(host, d.address, s, "registerDelegate");
    await ok(host, d.address, s, "vote", [[d.address]]);
    await ok(host, d.address, s, "unstake", [5n * POP]);
    const r = await ok(host, slasher, s, "slashStake", [d.address, 18n * POP, evidence(9)]);
    expect(r.values).toEqual([18n * POP]);
    expect(await host.view1(s, "stakeOf", [d.address])).toBe(0n);
    expect(await host.view(s, "unbondingOf", [d.address])).toEqual([2n * POP, host.timestampS + 100n]);
    expect(await host.view1(s, "isDelegate", [d.address])).toBe(false);
    expect(await host.view1(s, "votesFor", [d.address])).toBe(0n);
    expect(await host.view1(s, "burned")).toBe(18n * POP);
    await reverts(host, slasher, s, "slashStake", [voter.address, 1n, evidence(10)], "NothingToSlash");
  });

  it("the slasher role can be handed on; the stake observer is set once by the deployer", async () => {
    const [a] = users;
    await reverts(host, a.address, staking, "setSlasher", [a.address], "NotSlasher");
    await ok(host, slasher, staking, "setSlasher", [a.address]);
    expect(await v1("slasher")).toBe(a.address);
    await reverts(host, a.address, staking, "setStakeObserver", [a.address], "NotAdmin");
    await reverts(host, f.system.keys.genesis.address, staking, "setStakeObserver", [a.address], "ObserverAlreadySet");
  });
});

type StakeOp =
  | { kind: "stake" | "unstake"; who: number; amount: bigint }
  | { kind: "withdraw" | "registerMasternode" | "unbondMasternode" | "withdrawMasternode" | "registerDelegate"; who: number }
  | { kind: "vote"; who: number; candidates: number[] }
  | { kind: "slashStake" | "slashMasternode"; who: number; amount: bigint }
  | { kind: "advance"; seconds: number };

describe("property", () => {
  it("random operations conserve tokens, keep votes equal to approving stake, and burn only by slashing", async () => {
    const who = fc.nat(4);
    const amount = fc.bigInt({ min: 1n, max: 60_000n * POP });
    const op: fc.Arbitrary<StakeOp> = fc.oneof(
      fc.record({ kind: fc.constantFrom("stake" as const, "unstake" as const), who, amount }),
      fc.record({
        kind: fc.constantFrom(
          "withdraw" as const,
          "registerMasternode" as const,
          "unbondMasternode" as const,
          "withdrawMasternode" as const,
          "registerDelegate" as const,
        ),
        who,
      }),
      fc.record({ kind: fc.constant("vote" as const), who, candidates: fc.uniqueArray(fc.nat(4), { maxLength: 3 }) }),
      fc.record({ kind: fc.constantFrom("slashStake" as const, "slashMasternode" as const), who, amount }),
      fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 800_000 }) }),
    );
    let evidenceCounter = 1000;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        const run = await host.snapshot();
        try {
          const addresses = [...users.map((u) => u.address), staking.address, BURN];
          const total = (await Promise.all(addresses.map(bal))).reduce((x, y) => x + y, 0n);
          for (const o of ops) {
            if (o.kind === "advance") {
              advance(host, 1, o.seconds);
              continue;
            }
            const me = users[o.who].address;
            if (o.kind === "stake" || o.kind === "unstake") await host.call(me, staking, o.kind, [o.amount]);
            else if (o.kind === "vote") await host.call(me, staking, "vote", [o.candidates.map((i) => users[i].address)]);
            else if (o.kind === "slashStake" || o.kind === "slashMasternode") {
              await host.call(slasher, staking, o.kind, [me, o.amount, evidence(evidenceCounter++)]);
            } else await host.call(me, staking, o.kind, []);
          }
          await conservation();
          expect((await Promise.all(addresses.map(bal))).reduce((x, y) => x + y, 0n)).toBe(total);
          // votesFor[c] == Σ stake of voters approving c
          const stakes = await Promise.all(users.map((u) => v1<bigint>("stakeOf", [u.address])));
          const approvals = await Promise.all(users.map((u) => v1<AddressHex[]>("approvalsOf", [u.address])));
          for (const c of users) {
            let expected = 0n;
            approvals.forEach((list, i) => {
              if (list.includes(c.address)) expected += stakes[i];
            });
            expect(await v1("votesFor", [c.address])).toBe(expected);
          }
        } finally {
          await host.revertTo(run);
        }
      }),
      fcParams(20),
    );
  });
});

describe("genesis (bulk writes by the admin, then sealed)", () => {
  // One view at a time: the EVM is not re-entrant (never Promise.all over calls).
  const each = async <T,>(f: (u: KeyPair) => Promise<T>, who: KeyPair[]) => {
    const out: T[] = [];
    for (const u of who) out.push(await f(u));
    return out;
  };
  const state = async (who: KeyPair[]) => ({
    stakes: await each((u) => v1("stakeOf", [u.address]), who),
    votes: await each((u) => v1("votesFor", [u.address]), who),
    approvals: await each((u) => host.view(staking, "approvalsOf", [u.address]), who),
    totalStaked: await v1("totalStaked"),
    totalBonded: await v1("totalBonded"),
    delegates: await host.view(staking, "delegateVotes"),
    masternodes: await v1("activeMasternodes"),
    held: await bal(staking.address),
  });

  it("gives the same contract state as one stake, registration and vote per holder, and LIT regenerates from genesis", async () => {
    const [a, b, c, d] = users;
    const admin = f.system.keys.genesis.address;
    const amounts = [100n * POP, 200n * POP, 300n * POP];
    // One transaction per holder.
    const one = await host.snapshot();
    for (const [i, u] of [a, b, c].entries()) await ok(host, u.address, staking, "stake", [amounts[i]]);
    await ok(host, a.address, staking, "registerDelegate");
    await ok(host, b.address, staking, "registerDelegate");
    await ok(host, c.address, staking, "vote", [[a.address, b.address]]);
    await ok(host, a.address, staking, "vote", [[a.address]]);
    await ok(host, d.address, staking, "registerMasternode");
    const perHolder = await state(users);
    await host.revertTo(one);
    // The same in bulk from the admin.
    await ok(host, admin, token, "approve", [staking.address, MAX_UINT256]);
    await ok(host, admin, staking, "genesisStake", [[a.address, b.address, c.address], amounts]);
    await ok(host, admin, staking, "genesisDelegates", [[a.address, b.address]]);
    await ok(host, admin, staking, "genesisVotes", [[c.address, a.address], [a.address, b.address, a.address], [2n, 1n]]);
    await ok(host, admin, staking, "genesisMasternodes", [[d.address]]);
    expect(await state(users)).toEqual(perHolder);
    await conservation();
    // LIT: genesis stake regenerates from LIT's deployment (t = 0 here) without a settlement per holder.
    const lit = f.system.lit;
    advance(host, 1, Number(f.system.options.litWindowS / 4n));
    const cap = await host.view1<bigint>(lit, "capacityOf", [c.address]);
    expect(cap).toBe((f.system.options.litCapacityPerWindow * 300n) / 600n);
    expect(await host.view1(lit, "balanceOf", [c.address])).toBe(cap / 4n);
  });

  it("is admin-only, checks its inputs like the per-holder functions, and closes for ever when sealed", async () => {
    const [a, b] = users;
    const admin = f.system.keys.genesis.address;
    await ok(host, admin, token, "approve", [staking.address, MAX_UINT256]);
    await reverts(host, a.address, staking, "genesisStake", [[a.address], [1n]], "NotAdmin", [a.address]);
    await reverts(host, admin, staking, "genesisStake", [[a.address], []], "LengthMismatch");
    await ok(host, admin, staking, "genesisStake", [[a.address], [10n * POP]]);
    await reverts(host, admin, staking, "genesisVotes", [[a.address], [b.address], [1n]], "NotDelegate", [b.address]);
    await ok(host, admin, staking, "genesisDelegates", [[b.address]]);
    await reverts(host, admin, staking, "genesisDelegates", [[b.address]], "AlreadyDelegate", [b.address]);
    await reverts(host, admin, staking, "genesisVotes", [[a.address], [b.address, b.address], [2n]], "DuplicateApproval", [b.address]);
    await reverts(host, admin, staking, "genesisVotes", [[a.address], [b.address], [2n]], "LengthMismatch");
    await reverts(host, admin, staking, "genesisVotes", [[a.address], [b.address, b.address], [1n]], "LengthMismatch");
    await ok(host, admin, staking, "sealGenesis");
    expect(await v1("genesisSealed")).toBe(true);
    for (const [fn, args] of [["genesisStake", [[a.address], [1n]]], ["genesisDelegates", [[a.address]]], ["genesisVotes", [[], [], []]], ["genesisMasternodes", [[a.address]]], ["sealGenesis", []]] as const) {
      await reverts(host, admin, staking, fn, args, "GenesisClosed");
    }
    await conservation();
  });
});
