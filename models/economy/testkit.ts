/**
 * Test support: run Rewards inside a real world (kernel, network, faults, optionally the chain with its EVM) with a
 * synthetic, fully deterministic load instead of the swarm — so a test knows exactly what every node served and paid.
 * Used by the *.test.ts files beside it; not part of any run.
 *
 * The load: at t = 0 and every `load.everyS` after, masternode i (in node order) reports `mnBytes·(i+1)` bytes served, viewer j (the
 * first `servingViewers` viewers) `peerBytes·(j+1)` bytes served as a peer; each viewer pays the serving price to its
 * source and creator c (in node order) receives `contentWei·(c+1)` from viewer 0.
 */
import { deepMerge, scenarioFrom } from "../../scenarios/load.ts";
import type { KindId } from "../../sim/kernel/index.ts";
import { runScenario, type ModelPlugin, type RunResult, type World } from "../../sim/runner/run.ts";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import { chainParams } from "../chain/params.ts";
import { chainOf, evmOf, makeChainPlugin } from "../chain/plugin.ts";
import type { RewardPoolParams } from "../evm/rewardPoolModel.ts";
import { economyParams } from "./params.ts";
import { Rewards, type StorageView } from "./rewards.ts";

export interface EconomyRunOptions {
  duration?: string;
  seed?: number;
  viewers?: number;
  creators?: number;
  masternodes?: number;
  delegates?: number;
  /** Run the chain with real contracts (else the pool is the off-chain mirror). */
  evm?: boolean;
  /** Overrides of the chain section (over the defaults, enabled, EVM on when `evm`). */
  chain?: object;
  /** Overrides of the economy section (over the defaults, enabled). */
  economy?: object;
  /** Off-chain pool parameters (no EVM only). */
  poolParams?: RewardPoolParams;
  check?: boolean;
  /** A storage view for the run (Rewards.useStorage). */
  storage?: (world: World) => StorageView;
  /** Called at every load tick (after the tick's notes), e.g. to tamper with state in a negative test. */
  onLoad?: (tick: number, rewards: Rewards, world: World) => void;
  load?: { everyS?: number; mnBytes?: number; peerBytes?: number; servingViewers?: number; servingWei?: bigint; contentWei?: bigint };
}

export interface EconomyRun {
  result: RunResult;
  rewards: Rewards;
  world: World;
  metric(name: string): number;
  series(name: string): [number, number][];
}

export async function runEconomy(o: EconomyRunOptions = {}): Promise<EconomyRun> {
  const scenario = scenarioFrom({
    seed: o.seed ?? 1,
    duration: o.duration ?? "2h",
    metrics: { interval: "10min" },
    population: { viewers: o.viewers ?? 20, creators: o.creators ?? 5, masternodes: o.masternodes ?? 8, delegates: o.delegates ?? 21 },
    traffic: { enabled: false },
  });
  const plugins: ModelPlugin[] = [];
  if (o.evm === true) plugins.push(makeChainPlugin({ params: chainParams(deepMerge({ evm: { enabled: true } }, o.chain ?? {}) as object) }));
  else if (o.chain !== undefined) plugins.push(makeChainPlugin({ params: chainParams(o.chain) }));
  let rewards: Rewards | undefined;
  let world: World | undefined;
  const load = { everyS: 60, mnBytes: 1_000_000, peerBytes: 500_000, servingViewers: 5, servingWei: 10n ** 15n, contentWei: 10n ** 16n, ...(o.load ?? {}) };
  plugins.push({
    name: "economy-test",
    setup(w: World) {
      world = w;
      const r = new Rewards(w, economyParams(o.economy ?? {}), evmOf(w), chainOf(w), o.poolParams);
      rewards = r;
      if (o.storage !== undefined) r.useStorage(o.storage(w));
      const masternodes = w.nodes.idsOfRole(ROLE_IDS.masternode);
      const viewers = w.nodes.idsOfRole(ROLE_IDS.viewer);
      const creators = w.nodes.idsOfRole(ROLE_IDS.creator);
      const peers = viewers.slice(0, Math.min(load.servingViewers, viewers.length));
      let tick = 0;
      const kind: KindId = w.kernel.register("economy-test.load", (ctx) => {
        masternodes.forEach((mn, i) => {
          r.noteServed(mn, load.mnBytes * (i + 1), false);
          if (viewers.length > 0) r.notePayment(viewers[i % viewers.length], mn, load.servingWei, "serving");
        });
        peers.forEach((v, j) => {
          r.noteServed(v, load.peerBytes * (j + 1), true);
          r.notePayment(viewers[(j + 1) % viewers.length], v, load.servingWei, "serving");
        });
        if (viewers.length > 0) creators.forEach((c, i) => r.notePayment(viewers[0], c, load.contentWei * BigInt(i + 1), "content"));
        o.onLoad?.(++tick, r, w);
        ctx.schedule(load.everyS * 1e6, kind);
      });
      w.kernel.schedule(0, kind);
      r.start();
    },
    async finish(w: World) {
      await rewards!.finish(w.metrics);
    },
  });
  const result = await runScenario({ scenario, plugins, checkMode: o.check ?? false });
  const metric = (name: string): number => {
    const row = result.metrics.find((m) => m.name === name);
    if (row === undefined) throw new Error(`no metric ${name}`);
    return row.value;
  };
  const series = (name: string): [number, number][] => {
    const ts = result.timeseries;
    const out: [number, number][] = [];
    for (let i = 0; i < ts.name.length; i++) if (ts.name[i] === name) out.push([ts.tUs[i] / 1e6, ts.value[i]]);
    return out;
  };
  return { result, rewards: rewards!, world: world!, metric, series };
}
