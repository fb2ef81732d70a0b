/**
 * POPToken.sol and the genesis distribution: fixed supply, ERC-20 behaviour and its revert paths, and a
 * property that random transfers never change the total.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POP, TOTAL_SUPPLY_WEI } from "./genesis.ts";
import type { AddressHex } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import type { KeyPair } from "./sign.ts";
import { type Fixture, MAX_UINT256, fcParams, ok, reverts, systemFixture } from "./testkit.ts";

let f: Fixture;
let host: EvmHost;
let token: Contract;
let alice: KeyPair;
let bob: KeyPair;
let carol: KeyPair;
let snap: number;
const ZERO = `0x${"00".repeat(20)}` as AddressHex;

beforeAll(async () => {
  f = await systemFixture(3, 1_000n * POP);
  host = f.host;
  token = f.system.token;
  [alice, bob, carol] = f.users;
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

async function sumOfBalances(holders: AddressHex[]): Promise<bigint> {
  let sum = 0n;
  for (const h of holders) sum += await host.tokenBalance(token, h);
  return sum;
}

describe("POPToken", () => {
  it("has a fixed 1.6e9 supply with 18 decimals", async () => {
    expect(await host.view1(token, "totalSupply")).toBe(TOTAL_SUPPLY_WEI);
    expect(TOTAL_SUPPLY_WEI).toBe(1_600_000_000n * 10n ** 18n);
    expect(await host.view1(token, "decimals")).toBe(18n);
    expect(await host.view1(token, "symbol")).toBe("POP");
    expect(await host.view1(token, "name")).toBe("POP Network Token");
    expect(token.abi.functions.has("mint")).toBe(false);
    expect(token.abi.functions.has("burn")).toBe(false);
  });

  it("genesis: pool funded, allocations paid, treasury holds the rest, nothing created", async () => {
    const { system, users } = f;
    const pool = system.options.rewardPoolWei;
    expect(pool).toBe(320_000_000n * POP);
    expect(await host.tokenBalance(token, system.rewardPool.address)).toBe(pool);
    for (const u of users) expect(await host.tokenBalance(token, u.address)).toBe(1_000n * POP);
    const treasury = await host.tokenBalance(token, system.keys.genesis.address);
    expect(treasury).toBe(TOTAL_SUPPLY_WEI - pool - 3_000n * POP);
    expect(await sumOfBalances([system.keys.genesis.address, system.rewardPool.address, ...users.map((u) => u.address)])).toBe(
      TOTAL_SUPPLY_WEI,
    );
  });

  it("transfers, with Transfer events, and rejects overdrafts and the zero address", async () => {
    const r = await ok(host, alice.address, token, "transfer", [bob.address, 10n * POP]);
    expect(r.values).toEqual([true]);
    expect(r.logs).toHaveLength(1);
    expect(r.logs[0].args).toEqual({ from: alice.address, to: bob.address, value: 10n * POP });
    expect(await host.tokenBalance(token, bob.address)).toBe(1_010n * POP);
    await reverts(host, alice.address, token, "transfer", [bob.address, 991n * POP], "InsufficientBalance", [
      alice.address,
      990n * POP,
      991n * POP,
    ]);
    await reverts(host, alice.address, token, "transfer", [ZERO, 1n], "ZeroAddress");
    await ok(host, alice.address, token, "transfer", [alice.address, 5n]); // self-transfer is a no-op
    expect(await host.tokenBalance(token, alice.address)).toBe(990n * POP);
  });

  it("approve and transferFrom spend the allowance; an infinite allowance is never decremented", async () => {
    const a = await ok(host, alice.address, token, "approve", [bob.address, 7n]);
    expect(a.logs[0].name).toBe("Approval");
    await reverts(host, bob.address, token, "transferFrom", [alice.address, carol.address, 8n], "InsufficientAllowance", [
      alice.address,
      bob.address,
      7n,
      8n,
    ]);
    await ok(host, bob.address, token, "transferFrom", [alice.address, carol.address, 5n]);
    expect(await host.view1(token, "allowance", [alice.address, bob.address])).toBe(2n);
    await ok(host, alice.address, token, "approve", [bob.address, MAX_UINT256]);
    await ok(host, bob.address, token, "transferFrom", [alice.address, carol.address, 100n]);
    expect(await host.view1(token, "allowance", [alice.address, bob.address])).toBe(MAX_UINT256);
    await reverts(host, bob.address, token, "transferFrom", [alice.address, carol.address, 10_000n * POP], "InsufficientBalance");
  });

  it("transferBatch pays each recipient in order with one Transfer each, all or nothing", async () => {
    const r = await ok(host, alice.address, token, "transferBatch", [[bob.address, carol.address, bob.address], [1n, 2n * POP, 3n]]);
    expect(r.values).toEqual([true]);
    expect(r.logs.map((l) => l.args)).toEqual([
      { from: alice.address, to: bob.address, value: 1n },
      { from: alice.address, to: carol.address, value: 2n * POP },
      { from: alice.address, to: bob.address, value: 3n },
    ]);
    expect(await host.tokenBalance(token, bob.address)).toBe(1_000n * POP + 4n);
    expect(await host.tokenBalance(token, carol.address)).toBe(1_002n * POP);
    const before = await host.tokenBalance(token, alice.address);
    await reverts(host, alice.address, token, "transferBatch", [[bob.address, carol.address], [1n, before]], "InsufficientBalance");
    await reverts(host, alice.address, token, "transferBatch", [[bob.address, ZERO], [1n, 1n]], "ZeroAddress");
    await reverts(host, alice.address, token, "transferBatch", [[bob.address], [1n, 1n]], "LengthMismatch", [1n, 2n]);
    expect(await host.tokenBalance(token, alice.address)).toBe(before);
    await ok(host, alice.address, token, "transferBatch", [[], []]);
  });

  it("genesis pays 450 holders with three transferBatch calls, and the supply identity holds", async () => {
    const { deployPopSystem, ALLOCATION_CHUNK } = await import("./genesis.ts");
    const { createHost } = await import("./host.ts");
    const { deriveKeyPair } = await import("./sign.ts");
    const h = await createHost();
    h.setBlock({ number: 1, timestampUs: 0 });
    const holders = Array.from({ length: 450 }, (_, i) => ({ address: deriveKeyPair("batch", `h/${i}`).address, amountWei: BigInt(i + 1) * POP }));
    const calls0 = h.callCount;
    const sys = await deployPopSystem(h, { seed: "evm-test", allocations: holders });
    const bare = await createHost();
    bare.setBlock({ number: 1, timestampUs: 0 });
    const calls1 = bare.callCount;
    await deployPopSystem(bare, { seed: "evm-test" });
    expect(h.callCount - calls0 - (bare.callCount - calls1)).toBe(Math.ceil(450 / ALLOCATION_CHUNK));
    // Same contract addresses as the fixture's genesis (allocations come after every deployment).
    for (const c of ["token", "channels", "staking", "lit", "rewardPool", "tickets"] as const) expect(sys[c].address).toBe(f.system[c].address);
    let sum = 0n;
    for (const x of holders) {
      expect(await h.tokenBalance(sys.token, x.address)).toBe(x.amountWei);
      sum += x.amountWei;
    }
    const treasury = await h.tokenBalance(sys.token, sys.keys.genesis.address);
    expect(treasury + sum + (await h.tokenBalance(sys.token, sys.rewardPool.address))).toBe(TOTAL_SUPPLY_WEI);
  });

  it("the constructor rejects a zero genesis address", async () => {
    const r = await host.deployRaw(alice.address, "POPToken", [ZERO]);
    expect(r.ok).toBe(false);
    expect(r.revert?.name).toBe("ZeroAddress");
  });

  it("property: random transfers keep the supply at 1.6e9 and balances match a model", async () => {
    const actors = [alice, bob, carol];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(2), fc.nat(2), fc.bigInt({ min: 0n, max: 1_500n * POP })), { minLength: 1, maxLength: 15 }),
        async (transfers) => {
          const run = await host.snapshot();
          try {
            const model = await Promise.all(actors.map((a) => host.tokenBalance(token, a.address)));
            for (const [from, to, value] of transfers) {
              const r = await host.call(actors[from].address, token, "transfer", [actors[to].address, value]);
              expect(r.ok).toBe(value <= model[from]);
              if (r.ok) {
                model[from] -= value;
                model[to] += value;
              }
            }
            for (let i = 0; i < actors.length; i++) {
              expect(await host.tokenBalance(token, actors[i].address)).toBe(model[i]);
            }
            expect(await host.view1(token, "totalSupply")).toBe(TOTAL_SUPPLY_WEI);
            const all = [f.system.keys.genesis.address, f.system.rewardPool.address, ...actors.map((a) => a.address)];
            expect(await sumOfBalances(all)).toBe(TOTAL_SUPPLY_WEI);
          } finally {
            await host.revertTo(run);
          }
        },
      ),
      fcParams(30),
    );
  });
});
