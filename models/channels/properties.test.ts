/**
 * Channel safety as properties (fast-check; the seed is fixed, override with FC_SEED, and printed on failure):
 * 1. On the contract, against an off-chain wallet model: cumulative vouchers never decrease (the wallet refuses a
 *    non-increasing one), the receiver claiming its highest voucher gets min(highest, deposit) — never more than the
 *    deposit — and sender + receiver get exactly the channel's value; a lower voucher pays less (the highest wins); a
 *    voucher of another channel never verifies; a settle after the period returns everything to the sender.
 * 2. On the Payments model in small worlds with random policies, deposits, budgets, thresholds and credit limits
 *    (check mode: every checker after every event, the supply audit at every block, the books audit at the end):
 *    accepted value is conserved (Σ paid = Σ received), no channel payee ever claims more than it accepted, credit stays
 *    within its limit on every channel, and closed channels paid out exactly their value.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POP } from "../evm/genesis.ts";
import type { Hex } from "../evm/hex.ts";
import type { Contract, EvmHost } from "../evm/host.ts";
import { type KeyPair, signVoucher, voucherSigner } from "../evm/sign.ts";
import { MAX_UINT256, advance, fcParams, ok, systemFixture } from "../evm/testkit.ts";
import { runPayments } from "./testkit.ts";

let host: EvmHost;
let token: Contract;
let channels: Contract;
let sender: KeyPair;
let receiver: KeyPair;
let period: bigint;
let snap: number;

beforeAll(async () => {
  const f = await systemFixture(2);
  host = f.host;
  token = f.system.token;
  channels = f.system.channels;
  [sender, receiver] = f.users;
  period = f.system.options.minSettlingPeriodBlocks;
  await ok(host, sender.address, token, "approve", [channels.address, MAX_UINT256]);
});
beforeEach(async () => {
  snap = await host.snapshot();
});
afterEach(async () => {
  await host.revertTo(snap);
});

const balance = (k: KeyPair | Contract) => host.tokenBalance(token, k.address);
const sign = (id: Hex, payment: bigint) => signVoucher(sender.privateKey, { contract: channels.address, chainId: host.chainId, channelId: id, payment });

/** The receiver's wallet: accepts a voucher only if it increases the cumulative value and verifies. */
class ReceiverWallet {
  best = 0n;
  bestSig: Uint8Array | undefined;
  accept(id: Hex, payment: bigint, sig: Uint8Array): boolean {
    if (payment <= this.best) return false;
    if (voucherSigner({ contract: channels.address, chainId: host.chainId, channelId: id, payment }, sig) !== sender.address) return false;
    this.best = payment;
    this.bestSig = sig;
    return true;
  }
}

describe("property: a channel on chain against the off-chain wallets", () => {
  it("the highest voucher wins, the receiver never gets more than the deposit, and the two get exactly the value", async () => {
    let id = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          deposit: fc.bigInt({ min: 1n, max: 50n * POP }),
          topUps: fc.array(fc.bigInt({ min: 0n, max: 10n * POP }), { maxLength: 3 }),
          increments: fc.array(fc.bigInt({ min: -POP, max: 5n * POP }), { minLength: 1, maxLength: 25 }),
          close: fc.constantFrom("highest", "older", "settle"),
        }),
        async ({ deposit, topUps, increments, close }) => {
          const run = await host.snapshot();
          try {
            const channelId = `0x${(++id).toString(16).padStart(64, "0")}` as Hex;
            const otherId = `0x${(id + 1_000_000).toString(16).padStart(64, "0")}` as Hex;
            await ok(host, sender.address, channels, "open", [channelId, receiver.address, period, deposit]);
            let value = deposit;
            for (const t of topUps) {
              await ok(host, sender.address, channels, "deposit", [channelId, t]);
              value += t;
            }
            const wallet = new ReceiverWallet();
            const history: bigint[] = [];
            let cumulative = 0n;
            for (const inc of increments) {
              const next = cumulative + inc; // a negative or zero increment is a stale voucher
              if (next < 0n) continue;
              const accepted = wallet.accept(channelId, next, sign(channelId, next));
              expect(accepted).toBe(next > cumulative);
              // A voucher for another channel never verifies for this one.
              expect(wallet.accept(channelId, next + 1n, sign(otherId, next + 1n))).toBe(false);
              if (accepted) {
                cumulative = next;
                history.push(next);
              }
            }
            for (let i = 1; i < history.length; i++) expect(history[i]).toBeGreaterThan(history[i - 1]);
            const [s0, r0] = [await balance(sender), await balance(receiver)];
            if (close === "settle" || wallet.bestSig === undefined) {
              await ok(host, sender.address, channels, "startSettling", [channelId]);
              advance(host, Number(period), 3_600);
              await ok(host, receiver.address, channels, "settle", [channelId]);
              expect(await balance(sender)).toBe(s0 + value);
              expect(await balance(receiver)).toBe(r0);
            } else {
              const payment = close === "older" && history.length > 1 ? history[0] : wallet.best;
              const sig = close === "older" && history.length > 1 ? sign(channelId, payment) : wallet.bestSig;
              await ok(host, receiver.address, channels, "claim", [channelId, payment, sig]);
              const toReceiver = (await balance(receiver)) - r0;
              const toSender = (await balance(sender)) - s0;
              expect(toReceiver).toBe(payment < value ? payment : value);
              expect(toReceiver).toBeLessThanOrEqual(value);
              expect(toReceiver + toSender).toBe(value);
              if (payment < wallet.best) expect(toReceiver).toBeLessThanOrEqual(wallet.best < value ? wallet.best : value);
            }
            expect(await balance(channels)).toBe(0n);
          } finally {
            await host.revertTo(run);
          }
        },
      ),
      fcParams(40),
    );
  }, 60_000);
});

describe("property: the Payments model in small worlds", () => {
  it("conserves accepted value, never lets a payee claim more than it accepted, and bounds credit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          policy: fc.constantFrom("direct" as const, "hub" as const, "tickets" as const),
          budgetPop: fc.constantFrom(0, 0.3, 2),
          depositPayments: fc.integer({ min: 5, max: 300 }),
          claimFraction: fc.double({ min: 0.3, max: 1, noNaN: true }),
          topUpFraction: fc.double({ min: 0, max: 0.6, noNaN: true }),
          creditLimitPop: fc.constantFrom(0, 0.005, 0.05),
          idleCloseS: fc.constantFrom(0, 120),
          peerShare: fc.constantFrom(0, 0.5),
        }),
        async (o) => {
          const run = await runPayments({
            seed: o.seed,
            duration: "8min",
            watchUntil: 0.6,
            peerShare: o.peerShare,
            check: true,
            channels: {
              policy: o.policy,
              viewerBudgetPop: o.budgetPop,
              direct: { depositPayments: o.depositPayments, depositMinPop: 0.01, depositMaxPop: 1 },
              hub: { viewerDepositPop: 0.2, payeeDepositPop: 0.1 },
              tickets: { depositPop: 0.2, reservePop: 0.1, faceValuePop: 0.1, ticketEvPop: 0.005, redeemDelayS: 60 },
              claim: { fraction: o.claimFraction },
              topUpFraction: o.topUpFraction,
              creditLimitPop: o.creditLimitPop,
              idleCloseS: o.idleCloseS,
            },
          });
          const p = run.payments;
          const n = run.world.nodes.count;
          let paid = 0n;
          let received = 0n;
          for (let v = 0; v < n; v++) {
            paid += p.paidWei(v);
            received += p.receivedWei(v);
            // Channels: a payee claims at most what it accepted. Tickets pay only in expectation (a lucky payee wins
            // more than it accepted), so there only the contract's bounds apply (TicketBroker tests, the audit).
            if (v !== p.hub && o.policy !== "tickets") {
              expect(p.claimedWeiOf(v)).toBeLessThanOrEqual(p.receivedWei(v));
              expect(p.claimedWeiOf(v) + p.lostWeiOf(v)).toBeLessThanOrEqual(p.receivedWei(v));
            }
          }
          expect(received).toBe(paid);
          const limit = BigInt(Math.round(o.creditLimitPop * 1e6)) * 10n ** 12n;
          const hubLimit = 1n * POP;
          for (let c = 0; c < p.channelCount; c++) {
            const ch = p.channelView(c);
            const l = ch.kind === "hub-payee" ? hubLimit : limit;
            if (ch.state !== "failed") expect(ch.owedWei).toBeLessThanOrEqual(ch.valueWei + ch.pendingWei + l);
          }
          expect(run.metric("channels.audit_diff_wei")).toBe(0);
          expect(run.result.outcome.status).toBe("completed");
        },
      ),
      fcParams(20),
    );
  }, 60_000);
});
