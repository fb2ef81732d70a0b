/**
 * Test support: run the chain model inside a real world (kernel, network, faults) from a few options, and read
 * its metrics. Used by the *.test.ts files beside it; not part of any run.
 */
import { scenarioFrom } from "../../scenarios/load.ts";
import { runScenario, type RunResult } from "../../sim/runner/run.ts";
import type { Chain } from "./consensus.ts";
import type { EvmChain } from "./evmExecutor.ts";
import type { BlockExecutor } from "./executor.ts";
import { chainParams } from "./params.ts";
import { makeChainPlugin } from "./plugin.ts";

export interface ChainRunOptions {
  duration?: string;
  seed?: number;
  delegates?: number;
  viewers?: number;
  masternodes?: number;
  /** Region weights (exact apportionment of delegates), e.g. [["us-east", 7], ["eu-west", 6]]. */
  regions?: [string, number][];
  timeline?: object[];
  network?: object;
  /** Overrides of the chain section (over the defaults, enabled). */
  chain?: object;
  check?: boolean;
  executor?: BlockExecutor;
  /** Called after setup, before the run (e.g. to submit transactions at t = 0). */
  before?: (chain: Chain, evm: EvmChain | undefined) => void | Promise<void>;
}

export interface ChainRun {
  result: RunResult;
  chain: Chain;
  /** The EVM executor, when the chain section enables it. */
  evm: EvmChain | undefined;
  metric(name: string): number;
  /** A metric's time series as [time s, value] pairs. */
  series(name: string): [number, number][];
}

export async function runChain(o: ChainRunOptions = {}): Promise<ChainRun> {
  const partial: Record<string, unknown> = {
    seed: o.seed ?? 1,
    duration: o.duration ?? "10min",
    metrics: { interval: "1min" },
    population: { viewers: o.viewers ?? 100, creators: 0, masternodes: o.masternodes ?? 0, delegates: o.delegates ?? 21 },
    traffic: { enabled: false },
    faults: { timeline: o.timeline ?? [] },
  };
  if (o.regions !== undefined) partial.regions = o.regions.map(([name, weight]) => ({ name, weight }));
  if (o.network !== undefined) partial.network = o.network;
  const scenario = scenarioFrom(partial);
  const plugin = makeChainPlugin({ params: chainParams(o.chain ?? {}), executor: o.executor });
  if (o.before !== undefined) {
    const setup = plugin.setup.bind(plugin);
    const before = o.before;
    plugin.setup = async (world) => {
      await setup(world);
      await before(plugin.chain!, plugin.evm);
    };
  }
  const result = await runScenario({ scenario, plugins: [plugin], checkMode: o.check ?? false });
  const chain = plugin.chain!;
  const evm = plugin.evm;
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
  return { result, chain, evm, metric, series };
}

/** The partition scenario of the safety tests: honest delegates split a | b, the adversary's f bridge both. */
export function safetySplit(a: number, b: number, f: number, seed = 1): ChainRunOptions {
  return {
    seed,
    duration: "15min",
    delegates: a + b + f,
    regions: [["us-east", a], ["eu-west", b], ["ap-southeast", f]],
    timeline: [{ at: "0s", action: "partition", region: "us-east", regions: ["eu-west"], for: "10min" }],
    chain: { adversary: { equivocators: f, region: "ap-southeast" } },
    check: true,
  };
}
