/**
 * The EVM host: crypto backend, block headers from simulated time, nonces and CREATE addresses, transaction
 * gas, receipts from executeBlock, revert decoding, snapshots, and determinism of the state digest.
 */
import { bigIntToBytes, generateAddress } from "@ethereumjs/util";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeParams } from "./abi.ts";
import { POP } from "./genesis.ts";
import { type AddressHex, bytesToHex, concatBytes, hexToBytes } from "./hex.ts";
import { type EvmHost, POP_CHAIN_ID, ViewRevertedError, createHost, intrinsicGas } from "./host.ts";
import { deriveKeyPair } from "./sign.ts";
import { type Fixture, MAX_UINT256, ok, systemFixture } from "./testkit.ts";

let f: Fixture;
let host: EvmHost;

beforeAll(async () => {
  f = await systemFixture(3);
  host = f.host;
});

describe("setup", () => {
  it("loads native secp256k1 and uses Osaka with popsim's chain id", async () => {
    expect(host.cryptoBackend).toBe("native");
    expect(host.common.hardfork()).toBe("osaka");
    expect(host.common.chainId()).toBe(POP_CHAIN_ID);
    expect(host.chainId).toBe(POP_CHAIN_ID);
  });
});

describe("blocks", () => {
  it("derive timestamps from simulated µs and refuse to go backwards", async () => {
    const h = await createHost({ genesisTimestampS: 1_000n });
    h.setBlock({ number: 5, timestampUs: 2_999_999 });
    expect(h.blockNumber).toBe(5n);
    expect(h.timestampS).toBe(1_002n);
    expect(() => h.setBlock({ number: 4, timestampUs: 3_000_000 })).toThrow(/backwards/);
    expect(() => h.setBlock({ number: 6, timestampUs: 1_000_000 })).toThrow(/backwards/);
    expect(() => h.setBlock({ number: 6, timestampUs: 3.5e6 + 0.5 })).toThrow(/integer/);
    h.setBlock({ number: 5, timestampUs: 2_999_999 }); // same block again is fine
  });

  it("contracts see the block number and timestamp", async () => {
    const snap = await host.snapshot();
    const [a, b] = f.users;
    host.setBlock({ number: 1_000, timestampUs: 86_400_000_000 });
    await ok(host, a.address, f.system.token, "approve", [f.system.channels.address, MAX_UINT256]);
    const id = `0x${"42".repeat(32)}`;
    await ok(host, a.address, f.system.channels, "open", [id, b.address, 1_200n, 1n]);
    const r = await ok(host, a.address, f.system.channels, "startSettling", [id]);
    expect(r.logs[0].args.settlingUntil).toBe(2_200n);
    await ok(host, a.address, f.system.token, "approve", [f.system.staking.address, MAX_UINT256]);
    await ok(host, a.address, f.system.staking, "stake", [1n]);
    const u = await ok(host, a.address, f.system.staking, "unstake", [1n]);
    expect(u.logs.find((l) => l.name === "Unstaked")?.args.releaseAt).toBe(host.genesisTimestampS + 86_400n + 7n * 86_400n);
    await host.revertTo(snap);
  });
});

describe("calls", () => {
  it("increment the caller's nonce (even on revert); views and reverts of views do not", async () => {
    const snap = await host.snapshot();
    const [a, b] = f.users;
    const n0 = await host.nonce(a.address);
    await ok(host, a.address, f.system.token, "transfer", [b.address, 1n]);
    const failed = await host.call(a.address, f.system.token, "transfer", [b.address, 10n ** 40n]);
    expect(failed.ok).toBe(false);
    expect(await host.nonce(a.address)).toBe(n0 + 2n);
    await host.view(f.system.token, "balanceOf", [a.address], a.address);
    expect(await host.nonce(a.address)).toBe(n0 + 2n);
    await host.revertTo(snap);
  });

  it("deploy at the CREATE address of (sender, nonce)", async () => {
    const snap = await host.snapshot();
    const deployer = deriveKeyPair("host-test", "deployer").address;
    for (let i = 0; i < 3; i++) {
      const nonce = await host.nonce(deployer);
      const expected = bytesToHex(generateAddress(hexToBytes(deployer), nonce === 0n ? new Uint8Array(0) : bigIntToBytes(nonce)));
      const token = await host.deploy(deployer, "POPToken", [deployer]);
      expect(token.address).toBe(expected);
    }
    await host.revertTo(snap);
  });

  it("record transaction gas: intrinsic + execution − refund, with the EIP-7623 floor", async () => {
    const snap = await host.snapshot();
    const [a, b, c] = f.users;
    const total0 = host.gasUsedTotal;
    const r = await ok(host, a.address, f.system.token, "transfer", [c.address, 5n * POP]);
    const data = f.system.token.abi.encodeCall("transfer", [c.address, 5n * POP]);
    expect(r.gasUsed).toBe(intrinsicGas(data, false).gas + r.executionGasUsed);
    expect(r.gasUsed > 30_000n && r.gasUsed < 40_000n).toBe(true); // ERC-20 transfer to an existing holder
    expect(host.gasUsedTotal - total0).toBe(r.gasUsed);
    const fresh = await ok(host, a.address, f.system.token, "transfer", [deriveKeyPair("host-test", "fresh").address, 1n]);
    expect(fresh.gasUsed > 45_000n && fresh.gasUsed < 56_000n).toBe(true); // to a new holder: a zero slot set
    // Clearing a slot earns a refund (capped at 1/5 of gas).
    const all = await host.tokenBalance(f.system.token, b.address);
    const drain = await ok(host, b.address, f.system.token, "transfer", [c.address, all]);
    const drainData = f.system.token.abi.encodeCall("transfer", [c.address, all]);
    expect(drain.gasUsed < intrinsicGas(drainData, false).gas + drain.executionGasUsed).toBe(true);
    expect(intrinsicGas(new Uint8Array([0, 1]), false)).toEqual({ gas: 21_000n + 4n + 16n, floor: 21_000n + 10n * 5n });
    expect(intrinsicGas(new Uint8Array(33), true).gas).toBe(21_000n + 33n * 4n + 32_000n + 2n * 2n);
    await host.revertTo(snap);
  });

  it("report out of gas and value sent to non-payable functions as failed results", async () => {
    const snap = await host.snapshot();
    const [a, b] = f.users;
    const oog = await host.call(a.address, f.system.token, "transfer", [b.address, 1n], { gasLimit: 25_000n });
    expect(oog.ok).toBe(false);
    expect(oog.revertReason).toBe("out of gas");
    await host.setNativeBalance(a.address, 10n ** 18n);
    expect(await host.nativeBalance(a.address)).toBe(10n ** 18n);
    const paid = await host.call(a.address, f.system.token, "transfer", [b.address, 1n], { value: 1n });
    expect(paid.ok).toBe(false);
    expect(paid.revertReason).toBe("revert");
    expect(await host.nativeBalance(a.address)).toBe(10n ** 18n);
    await host.revertTo(snap);
  });

  it("views that revert throw ViewRevertedError with the decoded reason", async () => {
    await expect(host.view(f.system.rewardPool, "roleBps", [99n])).rejects.toThrow(ViewRevertedError);
    const r = await host.tryView(f.system.rewardPool, "roleBps", [99n]);
    expect(r.revertReason).toBe("UnknownRole(99)");
    expect(() => f.system.token.abi.fn("nope")).toThrow(/no function/);
  });
});

describe("executeBlock", () => {
  it("runs transactions in order and returns one receipt each", async () => {
    const snap = await host.snapshot();
    const [a, b, c] = f.users;
    const token = f.system.token;
    const before = await host.tokenBalance(token, c.address);
    const block = await host.executeBlock({ number: 50, timestampUs: 150_000_000 }, [
      { from: a.address, to: token, fn: "transfer", args: [b.address, 7n] },
      { from: b.address, to: token, fn: "transfer", args: [c.address, 10n ** 40n] }, // reverts
      { from: b.address, to: token, fn: "transfer", args: [c.address, 7n] },
      { from: a.address, deploy: "POPToken", args: [a.address] },
    ]);
    expect(block.number).toBe(50n);
    expect(block.timestampS).toBe(host.genesisTimestampS + 150n);
    expect(block.receipts.map((r) => [r.index, r.ok, r.blockNumber])).toEqual([
      [0, true, 50n],
      [1, false, 50n],
      [2, true, 50n],
      [3, true, 50n],
    ]);
    expect(block.receipts[1].revert?.name).toBe("InsufficientBalance");
    expect(block.receipts[3].createdAddress).toMatch(/^0x[0-9a-f]{40}$/);
    expect(block.receipts[3].to).toBeUndefined();
    expect(block.gasUsed).toBe(block.receipts.reduce((s, r) => s + r.gasUsed, 0n));
    expect(await host.tokenBalance(token, c.address)).toBe(before + 7n);
    await host.revertTo(snap);
  });
});

describe("snapshots and determinism", () => {
  it("nest, revert state, block and counters, and leave no undo log behind", async () => {
    const [a, b] = f.users;
    const token = f.system.token;
    const digest0 = host.stateDigest();
    const block0 = host.blockNumber;
    const s1 = await host.snapshot();
    await ok(host, a.address, token, "transfer", [b.address, 1n]);
    const digest1 = host.stateDigest();
    const s2 = await host.snapshot();
    host.setBlock({ number: 10_000, timestampUs: 10_000_000_000 });
    await ok(host, a.address, token, "transfer", [b.address, 1n]);
    await expect(host.revertTo(s1)).rejects.toThrow(/innermost/);
    await host.revertTo(s2);
    expect(host.stateDigest()).toBe(digest1);
    const s3 = await host.snapshot();
    await ok(host, a.address, token, "transfer", [b.address, 2n]);
    await host.release(s3);
    expect(host.stateDigest()).not.toBe(digest1);
    await host.revertTo(s1);
    expect(host.stateDigest()).toBe(digest0);
    expect(host.blockNumber).toBe(block0);
    expect(host.stateManager.depth).toBe(0);
    expect(host.stateManager.undoLength).toBe(0);
  });

  it("the same calls in the same order give the same state digest in a fresh host", async () => {
    const run = async (amount: bigint) => {
      const x = await systemFixture(2);
      await ok(x.host, x.users[0].address, x.system.token, "transfer", [x.users[1].address, amount]);
      return x.host.stateDigest();
    };
    const [d1, d2, d3] = [await run(5n), await run(5n), await run(6n)];
    expect(d1).toBe(d2);
    expect(d1).not.toBe(d3);
  });
});

describe("calldata", () => {
  it("callRaw runs pre-encoded calldata", async () => {
    const snap = await host.snapshot();
    const [a, b] = f.users;
    const data = concatBytes(f.system.token.abi.fn("transfer").selector, encodeParams(f.system.token.abi.fn("transfer").inputs, [b.address, 3n]));
    const r = await host.callRaw(a.address, f.system.token.address, data);
    expect(r.ok).toBe(true);
    expect(r.values).toEqual([]);
    expect(r.returnValue).toBe(`0x${"00".repeat(31)}01`);
    expect(r.logs[0].name).toBe("Transfer");
    await host.revertTo(snap);
    expect(host.contractAt("POPToken", f.system.token.address.toUpperCase().replace("0X", "0x") as AddressHex).address).toBe(
      f.system.token.address,
    );
  });
});
