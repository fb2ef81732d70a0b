/**
 * Test support: a small world with the chain, its EVM and the payments model, driven by a synthetic viewing
 * workload, so the channel policies can be tested end to end without the swarm. Not part of any run.
 *
 * The workload: every viewer that is up "watches" — every `segmentS` it pays a serving node (a random masternode of
 * its `sourcesPerViewer`, or with probability `peerShare` a random other viewer) and its creator (one per viewer,
 * round robin). A refused payment pauses the viewer for `pauseS` (its session ended). Viewers stop watching at
 * `watchUntil` (a fraction of the duration) so that channels can go idle, settle and be claimed before the end.
 */
import { scenarioFrom } from "../../scenarios/load.ts";
import type { ModelPlugin, RunResult, World } from "../../sim/runner/run.ts";
import { runScenario } from "../../sim/runner/run.ts";
import { SECOND, parseDuration } from "../../sim/kernel/time.ts";
import { ROLE_IDS } from "../../sim/net/nodes.ts";
import type { EvmChain } from "../chain/evmExecutor.ts";
import { chainParams } from "../chain/params.ts";
import { makeChainPlugin } from "../chain/plugin.ts";
import type { Chain } from "../chain/consensus.ts";
import { channelsParams } from "./params.ts";
import { Payments } from "./payments.ts";

/** Plenty of LIT: a small stake regenerates a transaction's worth within seconds of genesis. */
export const LIT_PLENTY = { capacityPerWindow: 100_000_000_000, windowS: 86_400, costPerTx: 100 };

export interface PaymentsRunOptions {
  duration?: string;
  seed?: number;
  viewers?: number;
  creators?: number;
  masternodes?: number;
  delegates?: number;
  /** Overrides of the chain section (over the defaults, enabled, EVM on, plenty of LIT, viewers with 100 POP). */
  chain?: object;
  /** Overrides of the channels section (over the defaults, enabled). */
  channels?: object;
  timeline?: object[];
  churn?: object;
  check?: boolean;
  segmentS?: number;
  servingWei?: bigint;
  contentWei?: bigint;
  sourcesPerViewer?: number;
  peerShare?: number;
  pauseS?: number;
  /** Viewers stop watching after this fraction of the duration. */
  watchUntil?: number;
  /** Called after setup, before the run. */
  before?: (p: Payments, evm: EvmChain, chain: Chain, world: World) => void | Promise<void>;
}

export interface PaymentsRun {
  result: RunResult;
  payments: Payments;
  evm: EvmChain;
  chain: Chain;
  world: World;
  outcomes: { paid: number; credit: number; refused: number };
  metric(name: string): number;
}

export async function runPayments(o: PaymentsRunOptions = {}): Promise<PaymentsRun> {
  const delegates = o.delegates ?? 4;
  const scenario = scenarioFrom({
    seed: o.seed ?? 1,
    duration: o.duration ?? "15min",
    metrics: { interval: "5min" },
    population: { viewers: o.viewers ?? 6, creators: o.creators ?? 2, masternodes: o.masternodes ?? 3, delegates },
    traffic: { enabled: false },
    faults: { timeline: o.timeline ?? [] },
    ...(o.churn !== undefined ? { churn: o.churn } : {}),
  });
  const chainPlugin = makeChainPlugin({
    params: chainParams(<object>merge({ activeDelegates: delegates, superDelegates: 1, voting: { revotesPerDay: 0 }, evm: { enabled: true, lit: LIT_PLENTY, topUpsPerDay: 0, registrationsPerDay: 0, liquidPop: { viewer: 100 } } }, o.chain ?? {})),
  });
  const params = channelsParams(o.channels ?? {});
  const outcomes = { paid: 0, credit: 0, refused: 0 };
  let payments: Payments | undefined;
  let world: World | undefined;
  const segmentUs = Math.round((o.segmentS ?? 4) * SECOND);
  const serving = o.servingWei ?? 1_000_000_000_000_000n; // 0.001 POP
  const content = o.contentWei ?? 700_000_000_000_000n; // 0.0007 POP
  const driver: ModelPlugin = {
    name: "channels-test-driver",
    async setup(w) {
      world = w;
      const { kernel: k, nodes } = w;
      payments = new Payments(w, params, chainPlugin.evm, chainPlugin.chain);
      await payments.fundAtGenesis();
      if (o.before !== undefined) await o.before(payments, chainPlugin.evm!, chainPlugin.chain!, w);
      const viewers = nodes.idsOfRole(ROLE_IDS.viewer);
      const creators = nodes.idsOfRole(ROLE_IDS.creator);
      const masternodes = nodes.idsOfRole(ROLE_IDS.masternode);
      const rng = k.rng("test/driver");
      const sources = viewers.map(() => Array.from({ length: Math.min(o.sourcesPerViewer ?? 2, masternodes.length) }, () => masternodes[rng.int(masternodes.length)]));
      const stopUs = Math.round((o.watchUntil ?? 1) * parseDuration(scenario.duration)!);
      const peerShare = o.peerShare ?? 0;
      const pauseUs = Math.round((o.pauseS ?? 60) * SECOND);
      const count = (r: string) => {
        if (r === "paid") outcomes.paid++;
        else if (r === "credit") outcomes.credit++;
        else outcomes.refused++;
      };
      const segment = k.register("test.segment", (ctx, i) => {
        if (ctx.now >= stopUs) return;
        const v = viewers[i];
        if (!nodes.isUp(v)) {
          ctx.schedule(pauseUs, segment, i);
          return;
        }
        let src = sources[i][rng.int(sources[i].length)];
        if (peerShare > 0 && viewers.length > 1 && rng.float() < peerShare) {
          const peer = viewers[rng.int(viewers.length)];
          if (peer !== v) src = peer;
        }
        const a = payments!.pay(ctx, v, src, serving);
        count(a);
        let refused = a === "refused";
        if (!refused && creators.length > 0) {
          const b = payments!.pay(ctx, v, creators[i % creators.length], content);
          count(b);
          refused = b === "refused";
        }
        ctx.schedule(refused ? pauseUs : segmentUs, segment, i);
      });
      const start = k.register("test.start", (ctx) => {
        for (let i = 0; i < viewers.length; i++) {
          if (nodes.isUp(viewers[i])) payments!.prepare(ctx, viewers[i]);
          ctx.schedule(rng.int(segmentUs), segment, i);
        }
      });
      k.schedule(0, start);
    },
    async finish(w) {
      await payments!.finish(w.metrics);
    },
  };
  const result = await runScenario({ scenario, plugins: [chainPlugin, driver], checkMode: o.check ?? false });
  const metric = (name: string): number => {
    const row = result.metrics.find((m) => m.name === name);
    if (row === undefined) throw new Error(`no metric ${name}`);
    return row.value;
  };
  return { result, payments: payments!, evm: chainPlugin.evm!, chain: chainPlugin.chain!, world: world!, outcomes, metric };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
function merge(base: unknown, over: unknown): unknown {
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const k of Object.keys(over)) out[k] = k in base ? merge(base[k], over[k]) : over[k];
    return out;
  }
  return over === undefined ? base : over;
}
