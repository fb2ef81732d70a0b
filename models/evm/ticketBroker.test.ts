/**
 * TicketBroker.sol: funding, the lottery and its off-chain twin (models/channels/tickets.ts), every redemption
 * revert path, the reserve's per-recipient bound, unlock/withdraw and the recipients' window, batch redemption,
 * and a property that random operations conserve tokens and keep the broker's balance equal to its books.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Ticket, TicketHasher, WIN_PROB_ONE, isWinningTicket, recipientRandHash, signTicket, ticketHash, ticketSigner, ticketTuple } from "../channels/tickets.ts";
import { POP } from "./genesis.ts";
import { type AddressHex, bytesToHex, hexToBytes, uint256ToBytes } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import type { KeyPair } from "./sign.ts";
import { MAX_UINT256, advance, fcParams, ok, reverts, systemFixture } from "./testkit.ts";

let host: EvmHost;
let token: Contract;
let broker: Contract;
let alice: KeyPair; // sender
let bob: KeyPair; // recipient
let carol: KeyPair; // another recipient / stranger
let unlockPeriod: bigint;
let shares: bigint;
let snap: number;

const RAND = 0xabcdefn;
const ALWAYS = WIN_PROB_ONE - 1n;

beforeAll(async () => {
  const f = await systemFixture(3);
  host = f.host;
  token = f.system.token;
  broker = f.system.tickets;
  [alice, bob, carol] = f.users;
  unlockPeriod = f.system.options.ticketUnlockPeriodBlocks;
  shares = f.system.options.ticketReserveShares;
  for (const u of f.users) await ok(host, u.address, token, "approve", [broker.address, MAX_UINT256]);
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

function ticket(over: Partial<Ticket> = {}): Ticket {
  return {
    recipient: bob.address,
    sender: alice.address,
    faceValue: 10n * POP,
    winProb: ALWAYS,
    senderNonce: 1n,
    recipientRandHash: recipientRandHash(RAND),
    expirationBlock: host.blockNumber + 100n,
    ...over,
  };
}

function sign(t: Ticket, signer: KeyPair = alice, brokerAddress = broker.address, chainId = host.chainId): Uint8Array {
  return signTicket(signer.privateKey, ticketHash(brokerAddress, chainId, t));
}

const selector = (error: string) => [...broker.abi.errors.values()].find((e) => e.name === error)!.selector;
const balance = (who: KeyPair | Contract) => host.tokenBalance(token, who.address);
const senderOf = async (who: KeyPair) => (await host.view(broker, "senders", [who.address])) as bigint[];

describe("funding", () => {
  it("fundDepositAndReserve pulls both and records them", async () => {
    const a0 = await balance(alice);
    const r = await ok(host, alice.address, broker, "fundDepositAndReserve", [20n * POP, 5n * POP]);
    expect(r.logs.filter((l) => l.name === "DepositFunded")[0].args).toEqual({ sender: alice.address, amount: 20n * POP });
    expect(r.logs.filter((l) => l.name === "ReserveFunded")[0].args).toEqual({ sender: alice.address, amount: 5n * POP });
    expect(await balance(alice)).toBe(a0 - 25n * POP);
    expect(await balance(broker)).toBe(25n * POP);
    expect(await senderOf(alice)).toEqual([20n * POP, 5n * POP, 0n, 0n, 0n]);
    await ok(host, alice.address, broker, "fundDeposit", [1n]);
    await ok(host, alice.address, broker, "fundReserve", [2n]);
    expect((await senderOf(alice)).slice(0, 2)).toEqual([20n * POP + 1n, 5n * POP + 2n]);
  });

  it("fundBatchFor funds others from the caller, all or nothing, without cancelling their unlock", async () => {
    await ok(host, bob.address, broker, "fundDeposit", [1n * POP]);
    await ok(host, bob.address, broker, "unlock", []);
    const a0 = await balance(alice);
    const r = await ok(host, alice.address, broker, "fundBatchFor", [[bob.address, carol.address], [2n * POP, 3n * POP], [1n * POP, 0n]]);
    expect(r.logs.filter((l) => l.name === "DepositFunded").map((l) => l.args)).toEqual([
      { sender: bob.address, amount: 2n * POP },
      { sender: carol.address, amount: 3n * POP },
    ]);
    expect(await balance(alice)).toBe(a0 - 6n * POP);
    expect((await senderOf(bob)).slice(0, 2)).toEqual([3n * POP, 1n * POP]);
    expect((await senderOf(bob))[2]).not.toBe(0n); // still unlocking
    expect((await senderOf(carol)).slice(0, 2)).toEqual([3n * POP, 0n]);
    expect(await senderOf(alice)).toEqual([0n, 0n, 0n, 0n, 0n]);
    await reverts(host, alice.address, broker, "fundBatchFor", [[bob.address], [1n, 2n], [0n]], "LengthMismatch");
    await reverts(host, alice.address, broker, "fundBatchFor", [[`0x${"00".repeat(20)}` as AddressHex], [1n], [0n]], "ZeroSender");
    await reverts(host, alice.address, broker, "fundBatchFor", [[bob.address, carol.address], [1n, a0], [0n, 0n]], "InsufficientBalance");
    expect((await senderOf(bob)).slice(0, 2)).toEqual([3n * POP, 1n * POP]);
  });

  it("needs an allowance and a balance", async () => {
    await ok(host, alice.address, token, "approve", [broker.address, 5n]);
    await reverts(host, alice.address, broker, "fundDeposit", [6n], "InsufficientAllowance");
    await ok(host, alice.address, token, "approve", [broker.address, MAX_UINT256]);
    await reverts(host, alice.address, broker, "fundDeposit", [(await balance(alice)) + 1n], "InsufficientBalance");
  });
});

describe("the ticket hash and the lottery", () => {
  it("match the off-chain implementation", async () => {
    const t = ticket({ senderNonce: 0x1234_5678_9abc_def0n, faceValue: 123n, winProb: 1n << 250n });
    const h = ticketHash(broker.address, host.chainId, t);
    expect(await host.view1(broker, "getTicketHash", [ticketTuple(t)])).toBe(bytesToHex(h));
    const hasher = new TicketHasher(broker.address, host.chainId);
    for (const winProb of [0n, 1n << 200n, 1n << 255n, 1n << 256n - 3n, ALWAYS]) {
      for (const [rand, nonce] of [[0n, 0n], [1n, 5n], [RAND, 0xdead_beef_0000_0001n], [2n ** 255n + 7n, 2n ** 64n - 1n]]) {
        const onChain = await host.view1(broker, "isWinningTicket", [rand, alice.address, bob.address, nonce, winProb]);
        expect(onChain).toBe(isWinningTicket(rand, alice.address, bob.address, nonce, winProb));
        const fast = hasher.wins(uint256ToBytes(rand), hexToBytes(alice.address), hexToBytes(bob.address), Number(nonce >> 32n), Number(nonce & 0xffff_ffffn), uint256ToBytes(winProb));
        expect(fast).toBe(onChain);
      }
    }
    expect(ticketSigner(h, sign(t))).toBe(alice.address);
  });

  it("wins with the stated probability (1/8 over 4,000 draws, 5 σ)", () => {
    const winProb = WIN_PROB_ONE / 8n;
    let wins = 0;
    const n = 4_000;
    for (let i = 0; i < n; i++) {
      if (isWinningTicket(RAND, alice.address, bob.address, BigInt(i), winProb)) wins++;
    }
    const sd = Math.sqrt(n * (1 / 8) * (7 / 8));
    expect(Math.abs(wins - n / 8)).toBeLessThan(5 * sd);
  });
});

describe("redeemWinningTicket", () => {
  it("pays the face value from the deposit, once", async () => {
    await ok(host, alice.address, broker, "fundDepositAndReserve", [50n * POP, 10n * POP]);
    const t = ticket();
    const b0 = await balance(bob);
    const r = await ok(host, carol.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t), RAND]);
    expect(r.values[0]).toBe(10n * POP);
    const h = bytesToHex(ticketHash(broker.address, host.chainId, t));
    expect(r.logs.find((l) => l.name === "WinningTicketRedeemed")?.args).toEqual({
      ticketHash: h, sender: alice.address, recipient: bob.address, faceValue: 10n * POP, fromDeposit: 10n * POP, fromReserve: 0n,
    });
    expect(await balance(bob)).toBe(b0 + 10n * POP);
    expect((await senderOf(alice)).slice(0, 2)).toEqual([40n * POP, 10n * POP]);
    expect(await host.view1(broker, "usedTickets", [h])).toBe(true);
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t), RAND], "TicketUsed", [h]);
  });

  it("rejects a losing ticket, a wrong rand, an expired ticket, a wrong signer, another broker or chain", async () => {
    await ok(host, alice.address, broker, "fundDeposit", [50n * POP]);
    const other = await host.deploy(alice.address, "TicketBroker", [token.address, unlockPeriod, shares]);
    const lose = ticket({ winProb: 0n });
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(lose), sign(lose), RAND], "NotWinning");
    const t = ticket();
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t), RAND + 1n], "BadRecipientRand");
    const expired = ticket({ expirationBlock: host.blockNumber - 1n });
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(expired), sign(expired), RAND], "TicketExpired");
    for (const [why, sig] of [
      ["signed by the recipient", sign(t, bob)],
      ["for another broker", sign(t, alice, other.address)],
      ["for another chain", sign(t, alice, broker.address, host.chainId + 1n)],
      ["64 bytes", sign(t).subarray(0, 64)],
    ] as const) {
      const r = await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sig, RAND], "BadSignature");
      expect(r.ok, why).toBe(false);
    }
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(ticket({ recipient: `0x${"00".repeat(20)}` as AddressHex })), sign(t), RAND], "ZeroRecipient");
    await ok(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t), RAND]);
  });

  it("takes a shortfall from the reserve, at most reserve/shares per recipient; the rest is the recipient's loss", async () => {
    const reserve = 100n * POP;
    await ok(host, alice.address, broker, "fundDepositAndReserve", [3n * POP, reserve]);
    const allocation = reserve / shares; // 5 POP at 20 shares
    const t1 = ticket({ faceValue: 4n * POP, senderNonce: 1n });
    const r1 = await ok(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t1), sign(t1), RAND]);
    expect(r1.logs.find((l) => l.name === "WinningTicketRedeemed")?.args).toMatchObject({ fromDeposit: 3n * POP, fromReserve: 1n * POP });
    const t2 = ticket({ faceValue: 10n * POP, senderNonce: 2n });
    const r2 = await ok(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t2), sign(t2), RAND]);
    expect(r2.values[0]).toBe(allocation - 1n * POP);
    expect(await host.view1(broker, "reserveAllocationLeft", [alice.address, bob.address])).toBe(0n);
    // Another recipient has its own allocation, computed over the reserve as funded.
    expect(await host.view1(broker, "reserveAllocationLeft", [alice.address, carol.address])).toBe(allocation);
    const t3 = ticket({ recipient: carol.address, faceValue: 50n * POP, senderNonce: 3n });
    const r3 = await ok(host, carol.address, broker, "redeemWinningTicket", [ticketTuple(t3), sign(t3), RAND]);
    expect(r3.values[0]).toBe(allocation);
    expect(await balance(broker)).toBe(reserve - 2n * allocation);
  });

  it("reverts for a sender with nothing locked", async () => {
    const t = ticket();
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t), RAND], "SenderHasNoFunds", [alice.address]);
  });
});

describe("unlock and withdraw", () => {
  it("tickets stay redeemable during the unlock period, not after; withdraw returns the rest", async () => {
    await ok(host, alice.address, broker, "fundDepositAndReserve", [30n * POP, 10n * POP]);
    await reverts(host, alice.address, broker, "withdraw", [], "NotUnlocking");
    const r = await ok(host, alice.address, broker, "unlock", []);
    const until = host.blockNumber + unlockPeriod;
    expect(r.logs.find((l) => l.name === "Unlock")?.args).toEqual({ sender: alice.address, startBlock: host.blockNumber, withdrawBlock: until });
    await reverts(host, alice.address, broker, "unlock", [], "UnlockInProgress");
    advance(host, Number(unlockPeriod) - 1, 3600);
    await reverts(host, alice.address, broker, "withdraw", [], "UnlockNotOver", [alice.address, until - 1n, until]);
    const t = ticket({ expirationBlock: until + 10n });
    await ok(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t), RAND]);
    advance(host, 1, 3);
    expect(await host.view1(broker, "isLocked", [alice.address])).toBe(false);
    const t2 = ticket({ senderNonce: 2n, expirationBlock: until + 10n });
    await reverts(host, bob.address, broker, "redeemWinningTicket", [ticketTuple(t2), sign(t2), RAND], "SenderUnlocked");
    const a0 = await balance(alice);
    const w = await ok(host, alice.address, broker, "withdraw", []);
    expect(w.logs.find((l) => l.name === "Withdrawal")?.args).toEqual({ sender: alice.address, deposit: 20n * POP, reserve: 10n * POP });
    expect(await balance(alice)).toBe(a0 + 30n * POP);
    expect(await balance(broker)).toBe(0n);
    expect(await senderOf(alice)).toEqual([0n, 0n, 0n, 1n, 0n]);
  });

  it("funding (or cancelUnlock) cancels an unlock", async () => {
    await ok(host, alice.address, broker, "fundDeposit", [1n * POP]);
    await reverts(host, alice.address, broker, "cancelUnlock", [], "NotUnlocking");
    await ok(host, alice.address, broker, "unlock", []);
    const r = await ok(host, alice.address, broker, "fundDeposit", [1n]);
    expect(r.logs.some((l) => l.name === "UnlockCancelled")).toBe(true);
    expect((await senderOf(alice))[2]).toBe(0n);
    await ok(host, alice.address, broker, "unlock", []);
    await ok(host, alice.address, broker, "cancelUnlock", []);
    advance(host, Number(unlockPeriod), 3600);
    await reverts(host, alice.address, broker, "withdraw", [], "NotUnlocking");
    await reverts(host, bob.address, broker, "unlock", [], "NothingToUnlock");
  });
});

describe("batchRedeemWinningTickets", () => {
  it("redeems the valid tickets and skips the others with the error's selector", async () => {
    await ok(host, alice.address, broker, "fundDeposit", [100n * POP]);
    const good = [1n, 2n, 3n].map((n) => ticket({ senderNonce: n, faceValue: n * POP }));
    const losing = ticket({ senderNonce: 9n, winProb: 0n });
    const all = [good[0], losing, good[1], good[0], good[2]];
    const b0 = await balance(bob);
    const r = await ok(host, bob.address, broker, "batchRedeemWinningTickets", [all.map(ticketTuple), all.map((t) => sign(t)), all.map(() => RAND)]);
    expect(r.values).toEqual([3n, 6n * POP]);
    expect(await balance(bob)).toBe(b0 + 6n * POP);
    const skipped = r.logs.filter((l) => l.name === "TicketSkipped");
    expect(skipped.map((l) => l.args.reason)).toEqual([selector("NotWinning"), selector("TicketUsed")]);
    await reverts(host, bob.address, broker, "batchRedeemWinningTickets", [[ticketTuple(good[0])], [], [RAND]], "LengthMismatch");
  });
});

// ------------------------------------------------------------------------------------------ model-based

type Op =
  | { kind: "fund"; by: number; deposit: bigint; reserve: bigint }
  | { kind: "redeem"; sender: number; recipient: number; face: bigint; win: boolean }
  | { kind: "unlock"; by: number }
  | { kind: "withdraw"; by: number }
  | { kind: "leave"; by: number }
  | { kind: "advance"; blocks: number };

const actor = fc.integer({ min: 0, max: 2 });
const amount = fc.bigInt({ min: 0n, max: 50n * POP });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("fund" as const), by: actor, deposit: amount, reserve: amount }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("redeem" as const), sender: actor, recipient: actor, face: amount, win: fc.boolean() }) },
  fc.record({ kind: fc.constant("unlock" as const), by: actor }),
  fc.record({ kind: fc.constant("withdraw" as const), by: actor }),
  /** unlock, wait out the period, withdraw: the whole exit in one op, so exits actually happen. */
  fc.record({ kind: fc.constant("leave" as const), by: actor }),
  fc.record({ kind: fc.constant("advance" as const), blocks: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1_150, max: 1_300 })) }),
);

describe("model-based: random broker operations", () => {
  it("conserve tokens, keep the broker's balance equal to Σ deposits + reserves, and never pay more than the face value", async () => {
    let nonce = 1_000n;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 40 }), async (ops) => {
        const run = await host.snapshot();
        try {
          const actors = [alice, bob, carol];
          const total = (await Promise.all(actors.map(balance))).reduce((a, b) => a + b, 0n) + (await balance(broker));
          for (const op of ops) {
            let result;
            if (op.kind === "advance") {
              advance(host, op.blocks, op.blocks * 3);
              continue;
            } else if (op.kind === "fund") {
              result = await host.call(actors[op.by].address, broker, "fundDepositAndReserve", [op.deposit, op.reserve]);
            } else if (op.kind === "leave") {
              await host.call(actors[op.by].address, broker, "unlock", []);
              advance(host, Number(unlockPeriod), 3_600);
              result = await host.call(actors[op.by].address, broker, "withdraw", []);
            } else if (op.kind === "unlock" || op.kind === "withdraw") {
              result = await host.call(actors[op.by].address, broker, op.kind, []);
            } else {
              const t = ticket({ sender: actors[op.sender].address, recipient: actors[op.recipient].address, faceValue: op.face, winProb: op.win ? ALWAYS : 0n, senderNonce: nonce++, expirationBlock: host.blockNumber + 10n });
              const before = await senderOf(actors[op.sender]);
              result = await host.call(bob.address, broker, "redeemWinningTicket", [ticketTuple(t), sign(t, actors[op.sender]), RAND]);
              if (result.ok) {
                const paid = result.values[0] as bigint;
                expect(paid).toBeLessThanOrEqual(op.face);
                const after = await senderOf(actors[op.sender]);
                expect(before[0] + before[1] - after[0] - after[1]).toBe(paid);
              } else if (op.win && op.face > 0n) {
                expect(result.revert?.name).toMatch(/^(SenderUnlocked|SenderHasNoFunds)$/);
              }
            }
            const key = `${op.kind}${result.ok ? "" : "-fail"}`;
            outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
            const books = (await Promise.all(actors.map(senderOf))).reduce((s, x) => s + x[0] + x[1], 0n);
            expect(await balance(broker)).toBe(books);
            const sum = (await Promise.all(actors.map(balance))).reduce((a, b) => a + b, 0n) + (await balance(broker));
            expect(sum).toBe(total);
          }
        } finally {
          await host.revertTo(run);
        }
      }),
      fcParams(25),
    );
    for (const k of ["fund", "redeem", "redeem-fail", "unlock", "leave"]) expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(1);
  }, 60_000);
});
