/**
 * Benchmark: what the reward operator costs on chain, and what its hot paths cost, at the economy-baseline's shape
 * (500 masternodes, 10,000 viewers, 1,000 creators, 21 delegates, one simulated day, ~2 M segment deliveries).
 *
 * Method: the chain runs (consensus and ledger, so stakers and delegates are real) without the EVM, so the pool is
 * the economy's exact mirror and every share posting and claim is counted as it would be submitted — the EVM cost
 * is then estimated from the measured per-call and per-entry costs of RewardPool (~2 ms per transaction: LIT consume
 * + call; ~0.27 ms per setSharesBatch entry, from a direct measurement on the host). The load is synthetic: viewers
 * churn (30 min online, 60 min offline), ~1,400 deliveries of 1.25 MB a minute, half from masternodes (Zipf-weighted),
 * half from online peers; each delivery pays serving and content. The hot paths (`noteServed`, `notePayment`) are
 * timed separately over 2 M deliveries.
 *
 * Run: npx tsx models/economy/rewards.bench.ts [postEvery=6] [ephemeralMinBytes=5e7] [ephemeralEvery=12] [stakerMinPop=0] [shareChangeMin=0.1]
 *      [evm|evm-full|small [duration=1d]] — "evm": the real contracts at a fifth of the scale ("small": the same without
 *      the EVM, to compare wall times); "evm-full": the real contracts at full scale.
 */
import { scenarioFrom } from "../../scenarios/load.ts";
import type { KindId } from "../../sim/kernel/index.ts";
import { runScenario, type World } from "../../sim/runner/run.ts";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { chainParams } from "../chain/params.ts";
import { chainOf, evmOf, makeChainPlugin } from "../chain/plugin.ts";
import { economyParams } from "./params.ts";
import { Rewards } from "./rewards.ts";

const postEvery = Number(process.argv[2] ?? 6);
const minBytes = Number(process.argv[3] ?? 50_000_000);
const ephemeralEvery = Number(process.argv[4] ?? 12);
const stakerMinPop = Number(process.argv[5] ?? 0);
const shareChangeMin = Number(process.argv[6] ?? 0.1);
/** "evm" / "evm-full": the real contracts (to check the estimate) at a fifth of the scale / full scale; "small": no EVM, a fifth. */
const mode = process.argv[7] ?? "";
const withEvm = mode.startsWith("evm");
const duration = process.argv[8] ?? "1d";
const scale = mode === "evm" || mode === "small" ? 0.2 : 1;
const DELIVERIES_PER_MIN = 1_400;
const deliveriesPerMin = () => Math.round(DELIVERIES_PER_MIN * scale);
const SEGMENT = 1_250_000;
const SERVING_WEI = 1_250_000_000_000_000n; // 1 POP/GB × 1.25 MB
const CONTENT_WEI = 666_666_666_666_666n; // 0.01 POP/min × 4 s

async function main(): Promise<void> {
  const scenario = scenarioFrom({
    seed: 1,
    duration,
    metrics: { interval: "1h" },
    population: { viewers: 10_000 * scale, creators: 1_000 * scale, masternodes: 500 * scale, delegates: 21 },
    traffic: { enabled: false },
    churn: {
      viewer: { enabled: true, online: { dist: "exponential", mean: 1_800 }, offline: { dist: "exponential", mean: 3_600 }, departure: 0, arrivalsPerDay: 0, initialOnline: 0.33 },
    },
  });
  let rewards: Rewards | undefined;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await runScenario({
    scenario,
    plugins: [
      makeChainPlugin({ params: chainParams({ voting: { revotesPerDay: 0 }, evm: { enabled: withEvm, topUpsPerDay: 0, registrationsPerDay: 0 } }) }),
      {
        name: "economy-bench",
        setup(w: World) {
          const r = new Rewards(w, economyParams({ rewards: { postEvery: { masternode: postEvery, delegate: postEvery, ephemeral: ephemeralEvery }, ephemeral: { minBytes }, staker: { minStakePop: stakerMinPop }, shareChangeMin } }), evmOf(w), chainOf(w));
          rewards = r;
          const mns = w.nodes.idsOfRole(ROLE_IDS.masternode);
          const viewers = w.nodes.idsOfRole(ROLE_IDS.viewer);
          const creators = w.nodes.idsOfRole(ROLE_IDS.creator);
          // Zipf(0.9) weights over masternodes (popular content sits on some holders more than others).
          const cum: number[] = [];
          let acc = 0;
          mns.forEach((_, i) => cum.push((acc += 1 / Math.pow(i + 1, 0.9))));
          const rng = w.kernel.rng("economy-bench/load");
          const online: number[] = [];
          const kind: KindId = w.kernel.register("economy-bench.load", (ctx) => {
            online.length = 0;
            for (const v of viewers) if (w.nodes.isUp(v)) online.push(v);
            if (online.length > 0) {
              for (let d = 0; d < deliveriesPerMin(); d++) {
                const viewer = online[rng.int(online.length)];
                let source: number;
                let peer = false;
                if (rng.float() < 0.5) {
                  const x = rng.float() * acc;
                  let lo = 0;
                  let hi = cum.length - 1;
                  while (lo < hi) {
                    const mid = (lo + hi) >> 1;
                    if (cum[mid] < x) lo = mid + 1;
                    else hi = mid;
                  }
                  source = mns[lo];
                } else {
                  source = online[rng.int(online.length)];
                  peer = true;
                }
                r.noteServed(source, SEGMENT, peer);
                r.notePayment(viewer, source, SERVING_WEI, "serving");
                r.notePayment(viewer, creators[rng.int(creators.length)], CONTENT_WEI, "content");
              }
            }
            ctx.schedule(60e6, kind);
          });
          w.kernel.schedule(0, kind);
          r.start();
        },
        async finish(w: World) {
          await rewards!.finish(w.metrics);
        },
      },
    ],
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  const m = new Map(result.metrics.map((x) => [x.name, x.value]));
  const txs = (m.get("economy.share_txs") ?? 0) + (m.get("economy.claim_txs") ?? 0);
  const entries = m.get("economy.share_entries") ?? 0;
  if (withEvm) console.log(`WITH THE EVM, scale ${scale}, ${duration}: chain.evm_calls ${m.get("chain.evm_calls")}, economy refused ${m.get("economy.txs_refused_lit")}, failed ${m.get("economy.txs_failed")}`);
  console.log(`postEvery ${postEvery} (ephemeral ${ephemeralEvery}), ephemeral minBytes ${minBytes}, staker minStakePop ${stakerMinPop}, shareChangeMin ${shareChangeMin}: run ${(wall / 1000).toFixed(1)} s (chain consensus + load + economy, no EVM)`);
  console.log(`share batches ${m.get("economy.share_txs")}, entries ${entries}, claims ${m.get("economy.claim_txs")}, members ${m.get("economy.members")}`);
  console.log(`entries by role: ${["masternode", "delegate", "staker", "ephemeral"].map((r) => `${r} ${m.get(`economy.share_entries_${r}`)}`).join(", ")}`);
  console.log(`on chain: ${txs} transactions = ${2 * txs} EVM calls; estimated EVM time ${((2 * txs * 1 + entries * 0.27) / 1000).toFixed(1)} s`);
  for (const name of ["economy.operators_profitable_share", "economy.operator_profit_usd.p50", "economy.creator_revenue_gini", "economy.creator_long_tail_share", "economy.viewer_cost_per_hour_pop", "economy.rewards_claimed_pop"]) {
    console.log(`${name} ${m.get(name)}`);
  }

  // Hot paths: 2 M deliveries (1 noteServed + 2 notePayment each) on a fresh instance.
  const r = rewards!;
  const t1 = performance.now();
  for (let i = 0; i < 2_000_000; i++) {
    const src = 10_000 + (i % 500);
    r.noteServed(src, SEGMENT, false);
    r.notePayment(i % 10_000, src, SERVING_WEI, "serving");
    r.notePayment(i % 10_000, 10_000 + (i % 1_000), CONTENT_WEI, "content");
  }
  console.log(`hot paths: 2 M deliveries in ${(performance.now() - t1).toFixed(0)} ms`);
}

void main();
