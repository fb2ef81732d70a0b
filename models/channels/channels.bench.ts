/**
 * Benchmark: the payments model at the economy-baseline scale (10,000 viewers, 1,000 creators, 500 masternodes,
 * 21 delegates) with the synthetic workload of testkit.ts, for each policy: wall time, pay() calls, on-chain
 * transactions and EVM calls. Usage: npx tsx models/channels/channels.bench.ts [policy…] [--duration 1h] [--segment 40]
 */
import { runPayments } from "./testkit.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const policies = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--"))) as ("direct" | "hub" | "tickets")[];
for (const policy of policies.length > 0 ? policies : (["hub", "tickets"] as const)) {
  const t0 = performance.now();
  let setupMs = 0;
  const run = await runPayments({
    viewers: Number(opt("viewers", "10000")),
    creators: 1_000,
    masternodes: 500,
    delegates: 21,
    duration: opt("duration", "1h"),
    segmentS: Number(opt("segment", "40")),
    sourcesPerViewer: 16,
    peerShare: 0.5,
    chain: { superDelegates: 7, evm: { lit: { capacityPerWindow: 1_000_000_000, windowS: 86_400, costPerTx: 100 } } },
    channels: { policy },
    before: () => {
      setupMs = performance.now() - t0;
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const m = (n: string) => run.metric(n);
  console.log(
    `${policy}: wall ${wall.toFixed(1)} s (setup ${(setupMs / 1000).toFixed(1)} s), payments ${m("channels.payments")} (${run.outcomes.refused} refused, ${run.outcomes.credit} credit), ` +
      `channel txs ${m("channels.onchain_txs")}, channel EVM calls ${m("channels.evm_calls")}, all EVM calls ${m("chain.evm_calls")}, refused for LIT ${m("channels.txs_refused_lit")}, ` +
      `vouchers issued ${m("channels.vouchers_issued")} signed ${m("channels.vouchers_signed")}, tickets won ${m("channels.tickets_won")}, events ${m("run.events")}`,
  );
  const f = run.result.metrics.filter((r) => r.name.startsWith("channels.payment_failures_") && r.value > 0).map((r) => `${r.name}=${r.value}`);
  console.log(`  failures: ${f.join(" ")}; onchain by kind: ${run.result.metrics.filter((r) => r.name.startsWith("channels.onchain_txs_") && r.value > 0).map((r) => `${r.name.slice(21)}=${r.value}`).join(" ")}`);
}
