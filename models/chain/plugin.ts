/**
 * The chain model's hook into the runner (DESIGN.md §5): `chainPlugin` reads `scenario.models.chain`, and does
 * nothing when it is disabled; `makeChainPlugin` builds one with explicit parameters or executor (tests, the EVM).
 *
 * Other models reach the chain (e.g. moderation's `superDelegates()`) with `chainOf(world)`, which reads a
 * symbol-keyed slot this plugin sets on the world object at setup — until `World` gets a typed `chain` field.
 */
import type { ModelPlugin, World } from "../../sim/runner/run.ts";
import { Chain } from "./consensus.ts";
import { registerChainChecker } from "./checker.ts";
import { noopExecutor, type BlockExecutor } from "./executor.ts";
import { resolveChainParams, type ChainParams } from "./params.ts";

const CHAIN_SLOT = Symbol("popsim.chain");

/** The chain of a world, if the chain model is enabled in it. */
export function chainOf(world: World): Chain | undefined {
  return (world as World & { [CHAIN_SLOT]?: Chain })[CHAIN_SLOT];
}

export interface ChainPlugin extends ModelPlugin {
  /** The chain of the last world this plugin set up (tests read it after a run). */
  chain: Chain | undefined;
}

export interface ChainPluginOptions {
  /** Parameters to use instead of `scenario.models.chain`. */
  params?: ChainParams;
  executor?: BlockExecutor;
}

export function makeChainPlugin(opts: ChainPluginOptions = {}): ChainPlugin {
  const plugin: ChainPlugin = {
    name: "chain",
    chain: undefined,
    setup(world: World): void {
      const params = opts.params ?? resolveChainParams(world.scenario.models.chain);
      plugin.chain = undefined;
      if (!params.enabled) return;
      const chain = new Chain(world, params, opts.executor ?? noopExecutor);
      registerChainChecker(world.kernel, chain);
      (world as World & { [CHAIN_SLOT]?: Chain })[CHAIN_SLOT] = chain;
      plugin.chain = chain;
      chain.start();
    },
    finish(world: World): void {
      chainOf(world)?.finish(world.metrics);
    },
  };
  return plugin;
}

/** The registry entry: parameters from the scenario. */
export const chainPlugin: ChainPlugin = makeChainPlugin();
