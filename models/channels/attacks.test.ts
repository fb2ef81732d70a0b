/**
 * Adversarial payers (fractions of viewers): stop-paying, stale vouchers and ticket replays, and griefing by
 * front-running opens. Each is caught where the protocol catches it, bounded to what the protocol concedes
 * (one served segment per attempt; a griefed open costs the victim one retry), and measured.
 */
import { describe, expect, it } from "vitest";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { type PaymentsRun, runPayments } from "./testkit.ts";

function lostTotal(run: PaymentsRun): bigint {
  let s = 0n;
  for (let n = 0; n < run.world.nodes.count; n++) s += run.payments.lostWeiOf(n);
  return s;
}

describe("stop-paying", () => {
  it("gains one segment per refusal, which its payee loses; honest viewers are unaffected", async () => {
    const run = await runPayments({ channels: { policy: "hub", adversary: { stopPaying: { fraction: 0.5, probability: 0.05 } } }, duration: "10min", check: true });
    const refusals = run.metric("channels.payment_failures_stop_paying");
    expect(refusals).toBeGreaterThan(10);
    expect(run.metric("channels.payment_failures")).toBe(refusals);
    expect(run.metric("channels.attack_stop_paying_attempts")).toBe(refusals);
    const gain = run.metric("channels.attack_stop_paying_gain_pop");
    expect(gain).toBeGreaterThan(0);
    expect(run.metric("channels.attack_stop_paying_honest_loss_pop")).toBe(gain);
    expect(Number(lostTotal(run)) / 1e18).toBeCloseTo(gain, 9);
    // One segment (serving 0.001 or content 0.0007 POP) per refusal.
    expect(gain).toBeLessThanOrEqual(refusals * 0.001 + 1e-9);
  }, 60_000);
});

describe("stale vouchers", () => {
  for (const policy of ["direct", "hub"] as const) {
    it(`${policy}: a voucher that does not increase, or one signed for the previous channel, is refused after real recovery`, async () => {
      const run = await runPayments({ channels: { policy, adversary: { staleVoucher: { fraction: 0.5, probability: 0.05 } } }, duration: "10min", check: true });
      const detected = run.metric("channels.payment_failures_stale_voucher");
      expect(detected).toBeGreaterThan(10);
      expect(run.metric("channels.attack_stale_voucher_attempts")).toBe(detected);
      // Every voucher from an adversarial payer is verified (signed lazily, recovered for real): a third of all.
      expect(run.metric("channels.vouchers_verified")).toBeGreaterThan(run.metric("channels.vouchers_issued") / (policy === "hub" ? 8 : 4));
      expect(run.metric("channels.attack_stale_voucher_gain_pop")).toBeLessThanOrEqual(detected * 0.001 + 1e-9);
      expect(run.metric("channels.txs_reverted")).toBe(0);
    }, 60_000);
  }

  it("tickets: a replayed ticket (same nonce as the last one to that payee) is refused", async () => {
    const run = await runPayments({ channels: { policy: "tickets", tickets: { ticketEvPop: 0.001 }, adversary: { staleVoucher: { fraction: 0.5, probability: 0.05 } } }, duration: "10min", check: true });
    expect(run.metric("channels.payment_failures_stale_voucher")).toBeGreaterThan(10);
    expect(run.metric("channels.attack_stale_voucher_gain_pop")).toBeGreaterThan(0);
  }, 60_000);
});

describe("griefing: front-running open with the victim's channel id", () => {
  it("half the honest opens griefed: the victim's open reverts (ChannelExists), it retries with a fresh id and gets served", async () => {
    // (With probability 1 every retry is griefed again: a griefer paying LIT per front-run denies service forever.)
    const run = await runPayments({ viewers: 7, channels: { policy: "direct", adversary: { grief: { fraction: 1 / 7, probability: 0.5 } } }, duration: "10min", check: true });
    const p = run.payments;
    const honestOpens = (() => {
      let n = 0;
      for (let c = 0; c < p.channelCount; c++) if (p.adversaryOf(p.channelView(c).sender) === 0) n++;
      return n;
    })();
    expect(honestOpens).toBeGreaterThan(5);
    // Each griefed open costs the victim one more open; a retried open can be griefed again.
    expect(run.metric("channels.attack_grief_succeeded")).toBe(run.metric("channels.grief_victim_retries"));
    expect(run.metric("channels.grief_victim_retries")).toBeGreaterThanOrEqual(honestOpens / 3);
    expect(run.metric("channels.txs_reverted")).toBe(run.metric("channels.grief_victim_retries"));
    for (let c = 0; c < p.channelCount; c++) expect(p.channelView(c).state).toBe("open");
    expect(run.outcomes.refused).toBe(0);
    // The griefer gains nothing and pays LIT for each front-run (plus 1 wei locked per griefing channel).
    expect(run.metric("channels.attack_grief_gain_pop")).toBe(0);
    expect(run.metric("channels.attack_grief_lit")).toBeGreaterThanOrEqual(100 * run.metric("channels.attack_grief_succeeded"));
    // The victims' opens took longer (one extra round trip through finality).
    expect(run.metric("channels.open_latency_s.max")).toBeGreaterThan(12);
    const viewers = run.world.nodes.idsOfRole(ROLE_IDS.viewer);
    expect(viewers.filter((v) => p.adversaryOf(v) === 4)).toHaveLength(1);
  }, 60_000);
});
