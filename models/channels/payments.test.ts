/**
 * Payments end to end: a small world with the chain and its EVM (4 delegates, 3 s blocks), 6 viewers paying 3
 * masternodes and 2 creators every 4 s of "video" (testkit.ts), under each policy. Runs use check mode — every
 * checker after every event, and the chain's supply audit after every executed block:
 * liquid + staked + channel escrow + ticket deposits + reward pool + burned = 1.6e9 POP. The model's own books are
 * audited against the contracts' balances at the end (Payments.finish).
 */
import { describe, expect, it } from "vitest";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import type { ChannelsPolicy } from "./params.ts";
import { type PaymentsRun, runPayments } from "./testkit.ts";

const POLICIES: ChannelsPolicy[] = ["direct", "hub", "tickets"];

function sum(run: PaymentsRun, role: number, f: (n: number) => bigint): bigint {
  let s = 0n;
  const { nodes } = run.world;
  for (let n = 0; n < nodes.count; n++) if (role < 0 || nodes.role[n] === role) s += f(n);
  return s;
}

describe("each policy in a world with the chain and the EVM", () => {
  const runs = new Map<ChannelsPolicy, PaymentsRun>();
  for (const policy of POLICIES) {
    it(`${policy}: every payment is accepted, the books balance, and the supply audit holds at every block`, async () => {
      const run = await runPayments({ channels: { policy }, check: true, duration: "15min" });
      runs.set(policy, run);
      const p = run.payments;
      expect(run.result.outcome.status).toBe("completed");
      expect(run.outcomes.refused).toBe(0);
      expect(run.outcomes.paid).toBeGreaterThan(2_000);
      // Credit only while the first channel of a viewer is becoming final: a handful per viewer (tickets: none,
      // the deposits exist from genesis).
      expect(run.outcomes.credit).toBeLessThan(60);
      if (policy === "tickets") expect(run.outcomes.credit).toBe(0);
      expect(run.metric("channels.payments")).toBe(run.outcomes.paid + run.outcomes.credit);
      const paid = sum(run, ROLE_IDS.viewer, (n) => p.paidWei(n));
      const received = sum(run, -1, (n) => p.receivedWei(n));
      expect(received).toBe(paid);
      expect(run.metric("chain.txs_refused_lit")).toBe(0);
      expect(run.metric("channels.txs_reverted")).toBe(0);
      expect(run.metric("chain.evm_audits")).toBeGreaterThanOrEqual(run.metric("chain.evm_blocks"));
      expect(run.metric("channels.audit_diff_wei")).toBe(0);
      // Lazy signatures: far fewer signed than issued (claims, redemptions and a 1/1000 sample).
      expect(run.metric("channels.vouchers_signed")).toBeLessThan(run.metric("channels.vouchers_issued") / 20);
      expect(run.metric("channels.vouchers_verified")).toBe(run.metric("channels.vouchers_signed"));
      console.log(
        `${policy}: ${run.metric("channels.payments")} payments, ${run.metric("channels.onchain_txs")} channel txs = ${run.metric("channels.evm_calls")} EVM calls ` +
          `(all EVM calls incl. genesis and audits: ${run.metric("chain.evm_calls")}), vouchers issued ${run.metric("channels.vouchers_issued")}, signed ${run.metric("channels.vouchers_signed")}`,
      );
    }, 60_000);
  }

  it("direct: one channel per (viewer, payee) pair; the deposits are escrowed in Unidirectional", () => {
    const run = runs.get("direct")!;
    const pairs = new Set<string>();
    for (let c = 0; c < run.payments.channelCount; c++) {
      const v = run.payments.channelView(c);
      expect(v.kind).toBe("direct");
      pairs.add(`${v.sender}→${v.receiver}`);
    }
    expect(pairs.size).toBe(run.payments.channelCount);
    expect(run.metric("channels.onchain_txs_approve")).toBe(6);
    expect(run.metric("channels.onchain_txs_open")).toBe(run.payments.channelCount);
    expect(run.metric("chain.escrow_pop")).toBeCloseTo(run.metric("channels.capital_locked_pop"), 6);
  });

  it("hub: one channel per viewer and one per payee; the hub keeps its fee", () => {
    const run = runs.get("hub")!;
    const p = run.payments;
    const kinds = { "viewer-hub": 0, "hub-payee": 0, direct: 0 };
    for (let c = 0; c < p.channelCount; c++) kinds[p.channelView(c).kind]++;
    expect(kinds).toEqual({ "viewer-hub": 6, "hub-payee": 5, direct: 0 });
    expect(run.metric("channels.onchain_txs_approve")).toBe(6 + 1); // viewers + hub
    expect(run.metric("channels.onchain_txs_open")).toBe(11);
    // The rest are the hub's top-ups of its 0.5-POP payee channels.
    expect(run.metric("channels.onchain_txs")).toBe(18 + run.metric("channels.onchain_txs_deposit"));
    const payees = sum(run, -1, (n) => (n === p.hub ? 0n : p.receivedWei(n)));
    const fees = p.receivedWei(p.hub);
    expect(fees).toBeGreaterThan(0n);
    // 1 % fee, rounded down per payment.
    expect(Number(fees) / Number(fees + payees)).toBeCloseTo(0.01, 3);
  });

  it("tickets: one deposit per viewer (written at genesis), tickets ≈ value / EV, winners redeemed from the TicketBroker", () => {
    const run = runs.get("tickets")!;
    const p = run.payments;
    expect(run.metric("channels.onchain_txs_fund")).toBe(0);
    expect(run.metric("channels.onchain_txs_approve")).toBe(0);
    expect(run.metric("channels.genesis_calls")).toBe(2); // the treasury's approve + one fundBatchFor
    for (const v of run.world.nodes.idsOfRole(ROLE_IDS.viewer)) expect(p.ticketFunds(v).depositWei + p.ticketFunds(v).reserveWei).toBeGreaterThan(0n);
    const value = Number(sum(run, ROLE_IDS.viewer, (n) => p.paidWei(n))) / 1e18;
    const tickets = run.metric("channels.tickets_issued");
    // Each ticket is worth one EV (0.02 POP), except evicted residues; less than one EV per pair is still owed.
    expect(tickets).toBeGreaterThanOrEqual(Math.floor(value / 0.02) - 30);
    expect(tickets).toBeLessThanOrEqual(Math.ceil(value / 0.02));
    expect(run.metric("chain.ticket_deposits_pop")).toBeCloseTo(run.metric("channels.capital_locked_pop"), 6);
    expect(run.metric("channels.claimed_pop")).toBe(run.metric("channels.tickets_redeemed"));
  });
});

describe("tickets without genesis funding", () => {
  it("each viewer approves and funds on chain when it first comes online, on credit meanwhile", async () => {
    const run = await runPayments({ channels: { policy: "tickets", tickets: { fundAtGenesis: false } }, check: true, duration: "10min" });
    expect(run.metric("channels.onchain_txs_fund")).toBe(6);
    expect(run.metric("channels.onchain_txs_approve")).toBe(6);
    expect(run.metric("channels.genesis_calls")).toBe(0);
    expect(run.outcomes.refused).toBe(0);
    expect(run.outcomes.credit).toBeGreaterThan(0);
    expect(run.metric("chain.ticket_deposits_pop")).toBeCloseTo(run.metric("channels.capital_locked_pop"), 6);
  }, 60_000);
});

describe("probabilistic payments are fair in expectation", () => {
  it("face value won ≈ EV paid (face 0.1 POP, EV 0.01 POP: ~230 tickets, within 4 σ)", async () => {
    const run = await runPayments({ channels: { policy: "tickets", tickets: { faceValuePop: 0.1, ticketEvPop: 0.01, redeemDelayS: 60 } }, duration: "15min" });
    const tickets = run.metric("channels.tickets_issued");
    const won = run.metric("channels.tickets_won");
    const q = 0.1;
    expect(tickets).toBeGreaterThan(150);
    expect(Math.abs(won - tickets * q)).toBeLessThan(4 * Math.sqrt(tickets * q * (1 - q)) + 2);
    // Winners are redeemed within the run (60 s delay) and paid in full from the deposits.
    expect(run.metric("channels.tickets_redeemed") + run.metric("channels.pending_winning_tickets")).toBe(won);
    expect(run.metric("channels.claimed_pop")).toBeCloseTo(run.metric("channels.tickets_redeemed") * 0.1, 6);
    // Signatures: only winners (twice: the recipient's check, then the claim) and a sample.
    expect(run.metric("channels.vouchers_signed")).toBeLessThan(3 * won + 5);
  }, 60_000);
});

describe("determinism", () => {
  it("same seed ⇒ same trace hash, metrics and EVM state; another seed differs", async () => {
    const opts = { channels: { policy: "hub" as const }, duration: "6min", peerShare: 0.3 };
    const a = await runPayments(opts);
    const b = await runPayments(opts);
    const c = await runPayments({ ...opts, seed: 2 });
    expect(b.result.outcome.traceHash).toBe(a.result.outcome.traceHash);
    expect(b.result.metrics).toEqual(a.result.metrics);
    expect(b.evm.host.stateDigest()).toBe(a.evm.host.stateDigest());
    expect(c.evm.host.stateDigest()).not.toBe(a.evm.host.stateDigest());
  }, 60_000);
});

describe("configuration errors", () => {
  it("channels without the EVM is a clear error", async () => {
    const { Payments } = await import("./payments.ts");
    const { channelsParams } = await import("./params.ts");
    const world = { kernel: undefined, nodes: undefined, metrics: undefined, faults: undefined } as never;
    expect(() => new Payments(world, channelsParams(), undefined, undefined)).toThrow(/needs the chain with its EVM: set models\.chain\.enabled and models\.chain\.evm\.enabled/);
  });

  it("a settling period below the contract minimum is rejected", async () => {
    await expect(runPayments({ channels: { settlingPeriodBlocks: 100 }, duration: "1min" })).rejects.toThrow(/below the contract minimum 1200/);
  });
});
