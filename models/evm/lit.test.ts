/**
 * LIT.sol (DOMAIN.md §d Option B): capacity is a stake share of the network budget, availability regenerates
 * linearly up to it, operations burn it, and it cannot be transferred.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POP } from "./genesis.ts";
import type { AddressHex } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import type { KeyPair } from "./sign.ts";
import { MAX_UINT256, advance, ok, reverts, systemFixture } from "./testkit.ts";

let host: EvmHost;
let lit: Contract;
let staking: Contract;
let meter: AddressHex;
let a: KeyPair;
let b: KeyPair;
let capacity: bigint;
let window: bigint;
let snap: number;

beforeAll(async () => {
  const f = await systemFixture(2);
  host = f.host;
  lit = f.system.lit;
  staking = f.system.staking;
  meter = f.system.keys.meter.address;
  [a, b] = f.users;
  capacity = f.system.options.litCapacityPerWindow;
  window = f.system.options.litWindowS;
  for (const u of f.users) await ok(host, u.address, f.system.token, "approve", [staking.address, MAX_UINT256]);
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

const litOf = (who: KeyPair) => host.view1<bigint>(lit, "balanceOf", [who.address]);

describe("LIT", () => {
  it("capacity is the stake share of the network budget; availability starts empty and regenerates", async () => {
    await ok(host, a.address, staking, "stake", [300n * POP]);
    await ok(host, b.address, staking, "stake", [100n * POP]);
    expect(await host.view1(lit, "capacityOf", [a.address])).toBe((capacity * 3n) / 4n);
    expect(await host.view1(lit, "capacityOf", [b.address])).toBe(capacity / 4n);
    expect(await litOf(a)).toBe(0n);
    advance(host, 1, Number(window / 2n));
    expect(await litOf(b)).toBe(capacity / 8n);
    advance(host, 1, Number(window));
    expect(await litOf(b)).toBe(capacity / 4n); // capped at one window
    expect(await litOf(a)).toBe((capacity * 3n) / 4n);
  });

  it("the meter consumes (burns) LIT; overdrafts and strangers are rejected", async () => {
    await ok(host, a.address, staking, "stake", [100n * POP]);
    advance(host, 1, Number(window));
    expect(await litOf(a)).toBe(capacity);
    const r = await ok(host, meter, lit, "consume", [a.address, 400n]);
    expect(r.logs[0].args).toEqual({ account: a.address, amount: 400n, by: meter });
    expect(await litOf(a)).toBe(capacity - 400n);
    expect(await host.view1(lit, "totalBurned")).toBe(400n);
    await reverts(host, a.address, lit, "consume", [a.address, 1n], "NotMeter", [a.address]);
    await reverts(host, meter, lit, "consume", [a.address, capacity], "InsufficientLit", [a.address, capacity - 400n, capacity]);
    expect(await host.view1(lit, "canConsume", [a.address, capacity - 400n])).toBe(true);
    expect(await host.view1(lit, "canConsume", [a.address, capacity - 399n])).toBe(false);
    await ok(host, a.address, lit, "burn", [100n]);
    expect(await litOf(a)).toBe(capacity - 500n);
    await reverts(host, b.address, lit, "burn", [1n], "InsufficientLit", [b.address, 0n, 1n]);
    // Regeneration after use: linear, back to the cap.
    advance(host, 1, Number(window / 10n));
    expect(await litOf(a)).toBe(capacity - 500n + capacity / 10n > capacity ? capacity : capacity - 500n + capacity / 10n);
  });

  it("a stake change settles availability under the old capacity first", async () => {
    await ok(host, a.address, staking, "stake", [100n * POP]);
    await ok(host, b.address, staking, "stake", [100n * POP]);
    advance(host, 1, Number(window / 4n));
    expect(await litOf(a)).toBe(capacity / 8n); // cap/2 · 1/4
    await ok(host, a.address, staking, "unstake", [50n * POP]); // a's cap drops to 1/3 of C
    expect(await litOf(a)).toBe(capacity / 8n);
    advance(host, 1, Number(window / 4n));
    expect(await litOf(a)).toBe(capacity / 8n + capacity / 3n / 4n);
  });

  it("is non-transferable and guarded", async () => {
    for (const fn of ["transfer", "transferFrom", "approve", "mint"]) expect(lit.abi.functions.has(fn)).toBe(false);
    expect(await host.view1(lit, "decimals")).toBe(0n);
    await reverts(host, a.address, lit, "onStakeChange", [a.address], "NotStaking", [a.address]);
    await reverts(host, a.address, lit, "setMeter", [a.address], "NotMeter");
    await ok(host, meter, lit, "setMeter", [a.address]);
    expect(await host.view1(lit, "meter")).toBe(a.address);
    const bad = await host.deployRaw(a.address, "LIT", [staking.address, meter, 1n, 0n]);
    expect(bad.revert?.name).toBe("BadParameters");
  });
});
