/**
 * Channel lifecycles on chain: idle channels are settled by their senders and claimed by watching receivers; an
 * offline receiver loses its vouchers when the sender settles after the period; early-settle (tickets: early
 * unlock) fails against receivers that are up and succeeds against ones that are down, at a cost in LIT that the
 * metrics report. Settling and unlock periods are the genesis minimum, 1,200 blocks = 1 h at 3 s blocks.
 */
import { describe, expect, it } from "vitest";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { type PaymentsRun, runPayments } from "./testkit.ts";

function total(run: PaymentsRun, role: number, f: (n: number) => bigint): bigint {
  let s = 0n;
  for (let n = 0; n < run.world.nodes.count; n++) if (role < 0 || run.world.nodes.role[n] === role) s += f(n);
  return s;
}

const CRASH_CREATORS = [{ at: "5min", action: "crash", role: "creator", fraction: 1, for: "2h" }];
const CRASH_PAYEES = [
  { at: "6min", action: "crash", role: "creator", fraction: 1, for: "2h" },
  { at: "6min", action: "crash", role: "masternode", fraction: 1, for: "2h" },
];

describe("idle channels close: startSettling, and the receiver claims its highest voucher", () => {
  it("direct: every channel is claimed in full by its (online) receiver; nothing stays locked", async () => {
    const run = await runPayments({ channels: { policy: "direct", idleCloseS: 300 }, duration: "20min", watchUntil: 0.3, check: true });
    const p = run.payments;
    for (let c = 0; c < p.channelCount; c++) expect(p.channelView(c).state).toBe("closed");
    expect(run.metric("channels.onchain_txs_start_settling")).toBe(p.channelCount);
    expect(run.metric("channels.onchain_txs_claim")).toBe(p.channelCount);
    expect(run.metric("channels.onchain_txs_settle")).toBe(0);
    expect(run.metric("channels.capital_locked_pop")).toBe(0);
    // Receivers got exactly what they accepted; senders got the rest of each deposit back.
    for (let n = 0; n < run.world.nodes.count; n++) expect(p.claimedWeiOf(n)).toBe(p.receivedWei(n));
    expect(run.metric("chain.escrow_pop")).toBe(0);
  }, 60_000);

  it("hub: viewers' channels are claimed by the hub (refilling its float), the hub's by the payees", async () => {
    const run = await runPayments({ channels: { policy: "hub", idleCloseS: 300 }, duration: "20min", watchUntil: 0.3, check: true });
    const p = run.payments;
    for (let c = 0; c < p.channelCount; c++) expect(p.channelView(c).state).toBe("closed");
    const fromViewers = total(run, ROLE_IDS.viewer, (n) => p.paidWei(n));
    expect(p.claimedWeiOf(p.hub)).toBe(fromViewers);
    for (let n = 0; n < run.world.nodes.count; n++) if (n !== p.hub) expect(p.claimedWeiOf(n)).toBe(p.receivedWei(n));
    expect(run.metric("channels.capital_locked_pop")).toBe(0);
  }, 60_000);
});

describe("receivers offline during the settling window", () => {
  it("an honest sender settles after the period; the offline creators lose their vouchers (funds_lost_offline)", async () => {
    const run = await runPayments({ channels: { policy: "direct", idleCloseS: 60 }, duration: "80min", watchUntil: 4 / 80, timeline: CRASH_CREATORS, check: true });
    const p = run.payments;
    const creators = total(run, ROLE_IDS.creator, (n) => p.receivedWei(n));
    expect(creators).toBeGreaterThan(0n);
    expect(total(run, ROLE_IDS.creator, (n) => p.claimedWeiOf(n))).toBe(0n);
    expect(total(run, ROLE_IDS.creator, (n) => p.lostWeiOf(n))).toBe(creators);
    expect(run.metric("channels.funds_lost_offline_pop")).toBeCloseTo(Number(creators) / 1e18, 6);
    // The masternodes were up: they claimed everything.
    expect(total(run, ROLE_IDS.masternode, (n) => p.claimedWeiOf(n))).toBe(total(run, ROLE_IDS.masternode, (n) => p.receivedWei(n)));
    expect(run.metric("channels.onchain_txs_settle")).toBeGreaterThanOrEqual(6);
    expect(run.metric("channels.capital_locked_pop")).toBe(0);
  }, 60_000);
});

describe("early settle: startSettling right after being served", () => {
  const attack = { earlySettle: { fraction: 0.5, afterPayments: 30 } };

  it("fails against watching receivers that are up: nothing gained, LIT and locked capital spent", async () => {
    const run = await runPayments({ channels: { policy: "direct", adversary: attack }, duration: "30min", watchUntil: 0.3, check: true });
    expect(run.metric("channels.attack_early_settle_attempts")).toBeGreaterThan(5);
    expect(run.metric("channels.attack_early_settle_succeeded")).toBe(0);
    expect(run.metric("channels.attack_early_settle_gain_pop")).toBe(0);
    expect(run.metric("channels.attack_early_settle_lit")).toBeGreaterThan(0);
    expect(run.metric("channels.attack_early_settle_locked_pop_h")).toBeGreaterThan(0);
    expect(run.metric("channels.funds_lost_offline_pop")).toBe(0);
  }, 60_000);

  it("succeeds against receivers that are down for the whole window: the gain is the honest loss", async () => {
    const run = await runPayments({ channels: { policy: "direct", adversary: attack }, duration: "90min", watchUntil: 0.08, timeline: CRASH_PAYEES, check: true });
    const gain = run.metric("channels.attack_early_settle_gain_pop");
    expect(run.metric("channels.attack_early_settle_succeeded")).toBeGreaterThan(0);
    expect(gain).toBeGreaterThan(0);
    expect(run.metric("channels.attack_early_settle_honest_loss_pop")).toBe(gain);
    expect(run.metric("channels.funds_lost_offline_pop")).toBeCloseTo(gain, 9);
    // Cost to the attacker: open + startSettling + settle per channel, in LIT (100 per transaction here).
    expect(run.metric("channels.attack_early_settle_lit")).toBeGreaterThanOrEqual(100 * 3 * run.metric("channels.attack_early_settle_succeeded"));
    console.log(`early settle vs offline receivers: gained ${gain} POP, LIT ${run.metric("channels.attack_early_settle_lit")}, locked ${run.metric("channels.attack_early_settle_locked_pop_h")} POP·h`);
  }, 60_000);

  it("against the hub (always up) it never succeeds", async () => {
    const run = await runPayments({ channels: { policy: "hub", adversary: attack }, duration: "30min", watchUntil: 0.3, check: true });
    expect(run.metric("channels.attack_early_settle_attempts")).toBeGreaterThan(0);
    expect(run.metric("channels.attack_early_settle_gain_pop")).toBe(0);
  }, 60_000);

  const tickets = { policy: "tickets", tickets: { faceValuePop: 0.05, ticketEvPop: 0.01, redeemDelayS: 1_800 }, adversary: { earlySettle: { fraction: 0.5, afterPayments: 150 } } };

  it("tickets (early unlock): recipients that are up redeem the attacker's winners within the unlock period", async () => {
    const run = await runPayments({ channels: tickets, duration: "90min", watchUntil: 0.1, check: true });
    expect(run.metric("channels.onchain_txs_unlock")).toBeGreaterThan(0);
    expect(run.metric("channels.onchain_txs_withdraw")).toBe(run.metric("channels.onchain_txs_unlock"));
    expect(run.metric("channels.tickets_won")).toBeGreaterThan(5);
    expect(run.metric("channels.attack_early_settle_gain_pop")).toBe(0);
    expect(run.metric("channels.tickets_skipped")).toBe(0);
  }, 60_000);

  it("tickets (early unlock): recipients down through the unlock period lose the attacker's winning tickets", async () => {
    // Down from 4 min to 84 min: the attackers unlock at ~5 min and withdraw at ~65 min; the recipients return too late.
    const crash = CRASH_PAYEES.map((e) => ({ ...e, at: "4min", for: "80min" }));
    const run = await runPayments({ channels: tickets, duration: "2h", watchUntil: 6 / 120, timeline: crash, check: true });
    expect(run.metric("channels.onchain_txs_withdraw")).toBeGreaterThan(0);
    const gain = run.metric("channels.attack_early_settle_gain_pop");
    expect(gain).toBeGreaterThan(0);
    expect(run.metric("channels.attack_early_settle_honest_loss_pop")).toBe(gain);
    expect(run.metric("channels.tickets_skipped")).toBeGreaterThan(0);
  }, 60_000);
});
