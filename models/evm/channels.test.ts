/**
 * Unidirectional.sol: every function and revert path, voucher replay protection, and a model-based property
 * test that random operation sequences conserve tokens and agree with a simple off-chain model.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AbiValue } from "./abi.ts";
import { POP } from "./genesis.ts";
import { type Hex, bytesToHex, hexToBytes } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import { type KeyPair, ethSignedMessageHash, signHash, signVoucher, voucherDigest, voucherSigner } from "./sign.ts";
import { MAX_UINT256, advance, fcParams, ok, reverts, systemFixture } from "./testkit.ts";

let host: EvmHost;
let token: Contract;
let channels: Contract;
let alice: KeyPair;
let bob: KeyPair;
let carol: KeyPair;
let minPeriod: bigint;
let snap: number;

const ID1 = `0x${"a1".repeat(32)}` as Hex;
const ID2 = `0x${"b2".repeat(32)}` as Hex;

beforeAll(async () => {
  const f = await systemFixture(3);
  host = f.host;
  token = f.system.token;
  channels = f.system.channels;
  [alice, bob, carol] = f.users;
  minPeriod = f.system.options.minSettlingPeriodBlocks;
  for (const u of f.users) await ok(host, u.address, token, "approve", [channels.address, MAX_UINT256]);
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

function voucher(id: Hex, payment: bigint, signer: KeyPair = alice, contract = channels.address, chainId = host.chainId) {
  return signVoucher(signer.privateKey, { contract, chainId, channelId: id, payment });
}

async function balance(who: KeyPair | Contract): Promise<bigint> {
  return host.tokenBalance(token, who.address);
}

async function openChannel(id: Hex = ID1, value = 100n * POP, period = minPeriod): Promise<void> {
  await ok(host, alice.address, channels, "open", [id, bob.address, period, value]);
}

describe("open", () => {
  it("escrows the value and records the channel", async () => {
    const before = await balance(alice);
    const r = await ok(host, alice.address, channels, "open", [ID1, bob.address, minPeriod, 100n * POP]);
    expect(await balance(alice)).toBe(before - 100n * POP);
    expect(await balance(channels)).toBe(100n * POP);
    const open = r.logs.find((l) => l.name === "DidOpen");
    expect(open?.args).toEqual({ channelId: ID1, sender: alice.address, receiver: bob.address, value: 100n * POP });
    expect(await host.view(channels, "channels", [ID1])).toEqual([alice.address, 0n, bob.address, minPeriod, 100n * POP]);
    expect(await host.view1(channels, "isPresent", [ID1])).toBe(true);
    expect(await host.view1(channels, "isOpen", [ID1])).toBe(true);
    expect(await host.view1(channels, "isAbsent", [ID1])).toBe(false);
    expect(await host.view1(channels, "isSettling", [ID1])).toBe(false);
  });

  it("rejects reusing an id while the channel exists (even by another sender)", async () => {
    await openChannel();
    await reverts(host, alice.address, channels, "open", [ID1, bob.address, minPeriod, 1n], "ChannelExists", [ID1]);
    await reverts(host, carol.address, channels, "open", [ID1, bob.address, minPeriod, 1n], "ChannelExists");
  });

  it("rejects a zero receiver and settling periods outside [min, max]", async () => {
    const max = await host.view1<bigint>(channels, "MAX_SETTLING_PERIOD");
    await reverts(host, alice.address, channels, "open", [ID1, `0x${"00".repeat(20)}`, minPeriod, 1n], "ZeroReceiver");
    await reverts(host, alice.address, channels, "open", [ID1, bob.address, minPeriod - 1n, 1n], "SettlingPeriodTooShort", [
      minPeriod - 1n,
      minPeriod,
    ]);
    await reverts(host, alice.address, channels, "open", [ID1, bob.address, max + 1n, 1n], "SettlingPeriodTooLong");
    await ok(host, alice.address, channels, "open", [ID1, bob.address, max, 1n]);
  });

  it("needs allowance and balance", async () => {
    await ok(host, alice.address, token, "approve", [channels.address, 5n]);
    await reverts(host, alice.address, channels, "open", [ID1, bob.address, minPeriod, 6n], "InsufficientAllowance");
    await ok(host, alice.address, token, "approve", [channels.address, MAX_UINT256]);
    const all = await balance(alice);
    await reverts(host, alice.address, channels, "open", [ID1, bob.address, minPeriod, all + 1n], "InsufficientBalance");
  });

  it("canOpen agrees with open", async () => {
    const can = (id: Hex, receiver: string, period: bigint, value: bigint) =>
      host.view1<boolean>(channels, "canOpen", [id, alice.address, receiver, period, value]);
    expect(await can(ID1, bob.address, minPeriod, 10n)).toBe(true);
    expect(await can(ID1, bob.address, minPeriod - 1n, 10n)).toBe(false);
    expect(await can(ID1, `0x${"00".repeat(20)}`, minPeriod, 10n)).toBe(false);
    expect(await can(ID1, bob.address, minPeriod, (await balance(alice)) + 1n)).toBe(false);
    await openChannel();
    expect(await can(ID1, bob.address, minPeriod, 10n)).toBe(false);
  });
});

describe("deposit", () => {
  it("adds to an open channel, sender only", async () => {
    await openChannel();
    expect(await host.view1(channels, "canDeposit", [ID1, alice.address])).toBe(true);
    expect(await host.view1(channels, "canDeposit", [ID1, bob.address])).toBe(false);
    const r = await ok(host, alice.address, channels, "deposit", [ID1, 5n * POP]);
    expect(r.logs.find((l) => l.name === "DidDeposit")?.args).toEqual({ channelId: ID1, deposit: 5n * POP });
    expect((await host.view(channels, "channels", [ID1]))[4]).toBe(105n * POP);
    await reverts(host, bob.address, channels, "deposit", [ID1, 1n], "NotSender", [ID1, bob.address]);
  });

  it("reverts on an absent or settling channel", async () => {
    await reverts(host, alice.address, channels, "deposit", [ID2, 1n], "ChannelAbsent", [ID2]);
    await openChannel();
    await ok(host, alice.address, channels, "startSettling", [ID1]);
    expect(await host.view1(channels, "canDeposit", [ID1, alice.address])).toBe(false);
    await reverts(host, alice.address, channels, "deposit", [ID1, 1n], "ChannelSettling", [ID1]);
  });
});

describe("claim", () => {
  it("pays the voucher to the receiver and the rest to the sender, then deletes the channel", async () => {
    await openChannel();
    const [a0, b0] = [await balance(alice), await balance(bob)];
    const sig = voucher(ID1, 30n * POP);
    expect(await host.view1(channels, "canClaim", [ID1, 30n * POP, bob.address, sig])).toBe(true);
    const r = await ok(host, bob.address, channels, "claim", [ID1, 30n * POP, sig]);
    expect(r.logs.find((l) => l.name === "DidClaim")?.args).toEqual({ channelId: ID1, toReceiver: 30n * POP, toSender: 70n * POP });
    expect(await balance(bob)).toBe(b0 + 30n * POP);
    expect(await balance(alice)).toBe(a0 + 70n * POP);
    expect(await balance(channels)).toBe(0n);
    expect(await host.view1(channels, "isAbsent", [ID1])).toBe(true);
  });

  it("pays out only the deposit for a voucher above it", async () => {
    await openChannel(ID1, 10n * POP);
    const [a0, b0] = [await balance(alice), await balance(bob)];
    const r = await ok(host, bob.address, channels, "claim", [ID1, 1_000n * POP, voucher(ID1, 1_000n * POP)]);
    expect(r.logs.find((l) => l.name === "DidClaim")?.args).toEqual({ channelId: ID1, toReceiver: 10n * POP, toSender: 0n });
    expect(await balance(bob)).toBe(b0 + 10n * POP);
    expect(await balance(alice)).toBe(a0);
  });

  it("reverts a second claim", async () => {
    await openChannel();
    const sig = voucher(ID1, 1n);
    await ok(host, bob.address, channels, "claim", [ID1, 1n, sig]);
    await reverts(host, bob.address, channels, "claim", [ID1, 1n, sig], "ChannelAbsent", [ID1]);
  });

  it("reverts for anyone but the receiver", async () => {
    await openChannel();
    const sig = voucher(ID1, 1n);
    expect(await host.view1(channels, "canClaim", [ID1, 1n, carol.address, sig])).toBe(false);
    await reverts(host, carol.address, channels, "claim", [ID1, 1n, sig], "NotReceiver", [ID1, carol.address]);
    await reverts(host, alice.address, channels, "claim", [ID1, 1n, sig], "NotReceiver");
  });

  it("rejects a voucher for another channel, another contract, another chain, another amount or signer", async () => {
    await openChannel(ID1);
    await ok(host, alice.address, channels, "open", [ID2, bob.address, minPeriod, 100n * POP]);
    const other = await host.deploy(alice.address, "Unidirectional", [token.address, minPeriod]);
    const bad: [string, Uint8Array][] = [
      ["other channel", voucher(ID2, 5n)],
      ["other contract", voucher(ID1, 5n, alice, other.address)],
      ["other chain id", voucher(ID1, 5n, alice, channels.address, host.chainId + 1n)],
      ["other amount", voucher(ID1, 4n)],
      ["signed by receiver", voucher(ID1, 5n, bob)],
      ["signed by stranger", voucher(ID1, 5n, carol)],
    ];
    for (const [why, sig] of bad) {
      expect(await host.view1(channels, "canClaim", [ID1, 5n, bob.address, sig]), why).toBe(false);
      await reverts(host, bob.address, channels, "claim", [ID1, 5n, sig], "BadSignature", [ID1]);
    }
  });

  it("rejects malformed signatures: high s, v not 27/28, wrong length", async () => {
    await openChannel();
    const sig = voucher(ID1, 5n);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(bytesToHex(sig.subarray(32, 64)));
    const highS = new Uint8Array(sig);
    highS.set(hexToBytes((n - s).toString(16).padStart(64, "0")), 32);
    highS[64] = sig[64] === 27 ? 28 : 27; // the malleable twin: same signer
    const digest = ethSignedMessageHash(voucherDigest({ contract: channels.address, chainId: host.chainId, channelId: ID1, payment: 5n }));
    expect(voucherSigner({ contract: channels.address, chainId: host.chainId, channelId: ID1, payment: 5n }, highS)).toBe(alice.address);
    expect(bytesToHex(signHash(alice.privateKey, digest))).toBe(bytesToHex(sig));
    const v01 = new Uint8Array(sig);
    v01[64] = sig[64] - 27;
    for (const [why, bad] of [
      ["high s", highS],
      ["v 0/1", v01],
      ["64 bytes", sig.subarray(0, 64)],
      ["66 bytes", new Uint8Array([...sig, 0])],
    ] as const) {
      await reverts(host, bob.address, channels, "claim", [ID1, 5n, bad], "BadSignature");
      expect(why).toBeTruthy();
    }
    await ok(host, bob.address, channels, "claim", [ID1, 5n, sig]);
  });

  it("works while settling (the receiver's defence)", async () => {
    await openChannel();
    await ok(host, alice.address, channels, "startSettling", [ID1]);
    advance(host, Number(minPeriod) - 1, 3600);
    const b0 = await balance(bob);
    await ok(host, bob.address, channels, "claim", [ID1, 40n * POP, voucher(ID1, 40n * POP)]);
    expect(await balance(bob)).toBe(b0 + 40n * POP);
    await reverts(host, alice.address, channels, "settle", [ID1], "ChannelAbsent");
  });

  it("matches the off-chain digest", async () => {
    const v = { contract: channels.address, chainId: host.chainId, channelId: ID1, payment: 123n };
    expect(await host.view1(channels, "paymentDigest", [ID1, 123n])).toBe(bytesToHex(voucherDigest(v)));
    expect(await host.view1(channels, "recoveryPaymentDigest", [ID1, 123n])).toBe(
      bytesToHex(ethSignedMessageHash(voucherDigest(v))),
    );
  });

  it("documents why ids must be unique: after deletion an old voucher is valid for a reused id", async () => {
    await openChannel(ID1, 10n * POP);
    const old = voucher(ID1, 7n * POP);
    await ok(host, bob.address, channels, "claim", [ID1, 1n * POP, voucher(ID1, 1n * POP)]);
    await openChannel(ID1, 10n * POP); // the id is free again
    expect(await host.view1(channels, "canClaim", [ID1, 7n * POP, bob.address, old])).toBe(true);
  });
});

describe("startSettling and settle", () => {
  it("starts settling for the sender only, once", async () => {
    await openChannel();
    expect(await host.view1(channels, "canStartSettling", [ID1, bob.address])).toBe(false);
    await reverts(host, bob.address, channels, "startSettling", [ID1], "NotSender", [ID1, bob.address]);
    expect(await host.view1(channels, "canStartSettling", [ID1, alice.address])).toBe(true);
    const r = await ok(host, alice.address, channels, "startSettling", [ID1]);
    const until = host.blockNumber + minPeriod;
    expect(r.logs.find((l) => l.name === "DidStartSettling")?.args).toEqual({ channelId: ID1, settlingUntil: until });
    expect(await host.view1(channels, "isSettling", [ID1])).toBe(true);
    expect(await host.view1(channels, "isOpen", [ID1])).toBe(false);
    await reverts(host, alice.address, channels, "startSettling", [ID1], "ChannelSettling");
    await reverts(host, alice.address, channels, "startSettling", [ID2], "ChannelAbsent");
  });

  it("settle reverts before the period and returns everything to the sender after it (anyone may call)", async () => {
    await openChannel();
    await reverts(host, alice.address, channels, "settle", [ID1], "ChannelNotSettling", [ID1]);
    await ok(host, alice.address, channels, "startSettling", [ID1]);
    const until = host.blockNumber + minPeriod;
    advance(host, Number(minPeriod) - 1, 1);
    expect(await host.view1(channels, "canSettle", [ID1])).toBe(false);
    await reverts(host, carol.address, channels, "settle", [ID1], "SettlingNotOver", [ID1, until - 1n, until]);
    advance(host, 1, 1);
    expect(await host.view1(channels, "canSettle", [ID1])).toBe(true);
    const a0 = await balance(alice);
    const r = await ok(host, carol.address, channels, "settle", [ID1]);
    expect(r.logs.find((l) => l.name === "DidSettle")?.args).toEqual({ channelId: ID1, toSender: 100n * POP });
    expect(await balance(alice)).toBe(a0 + 100n * POP);
    expect(await host.view1(channels, "isAbsent", [ID1])).toBe(true);
    await reverts(host, carol.address, channels, "settle", [ID1], "ChannelAbsent");
  });
});

// ------------------------------------------------------------------------------------------ model-based

type Op =
  | { kind: "open"; sender: number; receiver: number; id: number; value: bigint; extraPeriod: bigint }
  | { kind: "deposit"; by: number; id: number; value: bigint }
  | { kind: "claim"; by: number; id: number; payment: bigint; signer: number }
  | { kind: "startSettling"; by: number; id: number }
  | { kind: "settle"; by: number; id: number }
  | { kind: "advance"; blocks: number };

const actor = fc.integer({ min: 0, max: 2 });
/** -1 = "the party who may do this" (sender or receiver of the channel): biases runs toward valid operations. */
const party = fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: actor });
const idIndex = fc.integer({ min: 0, max: 1 });
const amount = fc.bigInt({ min: 0n, max: 1_000n * POP });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("open" as const), sender: actor, receiver: actor, id: idIndex, value: amount, extraPeriod: fc.bigInt({ min: 0n, max: 3n }) }),
  fc.record({ kind: fc.constant("deposit" as const), by: party, id: idIndex, value: amount }),
  fc.record({ kind: fc.constant("claim" as const), by: party, id: idIndex, payment: amount, signer: party }),
  fc.record({ kind: fc.constant("startSettling" as const), by: party, id: idIndex }),
  fc.record({ kind: fc.constant("settle" as const), by: actor, id: idIndex }),
  fc.record({ kind: fc.constant("advance" as const), blocks: fc.integer({ min: 1, max: 1_300 }) }),
);

type ModelChannel = { sender: number; receiver: number; value: bigint; period: bigint; until: bigint };

describe("model-based: random channel operations", () => {
  it("conserve tokens and agree with the model", async () => {
    const outcomes = new Map<string, number>();
    const ids = [1, 2].map((i) => `0x${i.toString(16).padStart(2, "0").repeat(32)}` as Hex);
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 40, size: "max" }), async (ops) => {
        const run = await host.snapshot();
        try {
          const actors = [alice, bob, carol];
          const balances = await Promise.all(actors.map((a) => balance(a)));
          const total = balances.reduce((x, y) => x + y, 0n) + (await balance(channels));
          const model = new Map<number, ModelChannel>();
          for (const op of ops) {
            let expectOk: boolean;
            let fn: string;
            let from: KeyPair;
            let args: AbiValue[];
            const ch = "id" in op ? model.get(op.id) : undefined;
            const senderOr = (i: number) => (i >= 0 ? i : (ch?.sender ?? 0));
            const receiverOr = (i: number) => (i >= 0 ? i : (ch?.receiver ?? 1));
            switch (op.kind) {
              case "advance":
                advance(host, op.blocks, op.blocks * 3);
                continue;
              case "open":
                from = actors[op.sender];
                fn = "open";
                args = [ids[op.id], actors[op.receiver].address, minPeriod + op.extraPeriod, op.value];
                expectOk = ch === undefined && op.value <= balances[op.sender];
                if (expectOk) {
                  model.set(op.id, { sender: op.sender, receiver: op.receiver, value: op.value, period: minPeriod + op.extraPeriod, until: 0n });
                  balances[op.sender] -= op.value;
                }
                break;
              case "deposit": {
                const by = senderOr(op.by);
                from = actors[by];
                fn = "deposit";
                args = [ids[op.id], op.value];
                expectOk = ch !== undefined && ch.until === 0n && ch.sender === by && op.value <= balances[by];
                if (expectOk && ch !== undefined) {
                  ch.value += op.value;
                  balances[by] -= op.value;
                }
                break;
              }
              case "claim": {
                const by = receiverOr(op.by);
                const signer = senderOr(op.signer);
                from = actors[by];
                fn = "claim";
                args = [ids[op.id], op.payment, voucher(ids[op.id], op.payment, actors[signer])];
                expectOk = ch !== undefined && ch.receiver === by && ch.sender === signer;
                if (expectOk && ch !== undefined) {
                  const toReceiver = op.payment < ch.value ? op.payment : ch.value;
                  balances[ch.receiver] += toReceiver;
                  balances[ch.sender] += ch.value - toReceiver;
                  model.delete(op.id);
                }
                break;
              }
              case "startSettling":
                from = actors[senderOr(op.by)];
                fn = "startSettling";
                args = [ids[op.id]];
                expectOk = ch !== undefined && ch.until === 0n && ch.sender === senderOr(op.by);
                if (expectOk && ch !== undefined) ch.until = host.blockNumber + ch.period;
                break;
              case "settle":
                from = actors[op.by];
                fn = "settle";
                args = [ids[op.id]];
                expectOk = ch !== undefined && ch.until !== 0n && host.blockNumber >= ch.until;
                if (expectOk && ch !== undefined) {
                  balances[ch.sender] += ch.value;
                  model.delete(op.id);
                }
                break;
            }
            const result = await host.call(from.address, channels, fn, args);
            expect(result.ok, `${fn} ${result.revertReason ?? ""}`).toBe(expectOk);
            if (result.ok) outcomes.set(fn, (outcomes.get(fn) ?? 0) + 1);
            else outcomes.set(`${fn}-fail`, (outcomes.get(`${fn}-fail`) ?? 0) + 1);
            const escrow = [...model.values()].reduce((s, c) => s + c.value, 0n);
            const onChain = await Promise.all(actors.map((a) => balance(a)));
            expect(onChain).toEqual(balances);
            expect(await balance(channels)).toBe(escrow);
            expect(onChain.reduce((x, y) => x + y, 0n) + escrow).toBe(total);
          }
        } finally {
          await host.revertTo(run);
        }
      }),
      fcParams(25),
    );
    // The generator must actually reach every transition, not just fail early.
    for (const fn of ["open", "deposit", "claim", "startSettling", "settle"]) {
      expect(outcomes.get(fn) ?? 0, fn).toBeGreaterThan(2);
    }
  });
});
