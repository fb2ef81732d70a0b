import { it } from "vitest";
import { runPayments } from "./testkit.ts";
it("x", async () => {
  const tickets = { policy: "tickets", tickets: { faceValuePop: 0.05, ticketEvPop: 0.01, redeemDelayS: 1_800 }, adversary: { earlySettle: { fraction: 0.5, afterPayments: 150 } } };
  const crash = [{ at: "9min", action: "crash", role: "creator", fraction: 1, for: "80min" }, { at: "9min", action: "crash", role: "masternode", fraction: 1, for: "80min" }];
  const r = await runPayments({ channels: tickets, duration: "2h", watchUntil: 9 / 120, timeline: crash, check: true });
  for (const m of r.result.metrics) if (m.name.startsWith("channels.") && m.value !== 0) console.log(m.name, m.value);
}, 100000);
