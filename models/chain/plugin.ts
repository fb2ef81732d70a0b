/**
 * The chain model's hook into the runner (DESIGN.md §5): `chainPlugin` reads `scenario.models.chain`, and does
 * nothing when it is disabled; `makeChainPlugin` builds one with explicit parameters or executor (tests).
 *
 * With `models.chain.evm.enabled`, setup also deploys the POP contracts with the chain's genesis in them and
 * attaches the EVM executor (evmExecutor.ts: transactions run at commit, the Staking contract is the source of
 * truth for stake and votes). That part is asynchronous (`ModelPlugin.setup` may await) and loads the EVM modules
 * only then, so runs without the EVM never pay for importing @ethereumjs.
 *
 * Other models reach the chain (e.g. moderation's `superDelegates()`) with `chainOf(world)`, and its EVM with
 * `evmOf(world)`, which read symbol-keyed slots this plugin sets on the world object at setup — until `World` gets
 * typed fields.
 */
import type { ModelPlugin, World } from "../../sim/runner/run.ts";
import { Chain } from "./consensus.ts";
import { registerChainChecker } from "./checker.ts";
import type { EvmChain } from "./evmExecutor.ts";
import { noopExecutor, type BlockExecutor } from "./executor.ts";
import { resolveChainParams, type ChainParams } from "./params.ts";

const CHAIN_SLOT = Symbol("popsim.chain");
const EVM_SLOT = Symbol("popsim.chain.evm");
type Slots = World & { [CHAIN_SLOT]?: Chain; [EVM_SLOT]?: EvmChain };

/** The chain of a world, if the chain model is enabled in it. */
export function chainOf(world: World): Chain | undefined {
  return (world as Slots)[CHAIN_SLOT];
}

/** The chain's EVM (host, contracts, executor) of a world, if the chain runs with the EVM. */
export function evmOf(world: World): EvmChain | undefined {
  return (world as Slots)[EVM_SLOT];
}

export interface ChainPlugin extends ModelPlugin {
  /** The chain of the last world this plugin set up (tests read it after a run). */
  chain: Chain | undefined;
  /** Its EVM executor, when `evm.enabled`. */
  evm: EvmChain | undefined;
}

export interface ChainPluginOptions {
  /** Parameters to use instead of `scenario.models.chain`. */
  params?: ChainParams;
  /** Runs at production (see executor.ts); the EVM itself runs at commit, configured by `params.evm`. */
  executor?: BlockExecutor;
}

export function makeChainPlugin(opts: ChainPluginOptions = {}): ChainPlugin {
  const plugin: ChainPlugin = {
    name: "chain",
    chain: undefined,
    evm: undefined,
    setup(world: World): void | Promise<void> {
      const params = opts.params ?? resolveChainParams(world.scenario.models.chain);
      plugin.chain = undefined;
      plugin.evm = undefined;
      if (!params.enabled) return;
      const chain = new Chain(world, params, opts.executor ?? noopExecutor);
      registerChainChecker(world.kernel, chain);
      (world as Slots)[CHAIN_SLOT] = chain;
      plugin.chain = chain;
      if (!params.evm.enabled) {
        chain.start();
        return;
      }
      return (async () => {
        const { EvmChain } = await import("./evmExecutor.ts");
        const evm = await EvmChain.attach(world, chain);
        (world as Slots)[EVM_SLOT] = evm;
        plugin.evm = evm;
        evm.start();
        chain.start();
      })();
    },
    async finish(world: World): Promise<void> {
      chainOf(world)?.finish(world.metrics);
      await evmOf(world)?.finish(world.metrics);
    },
  };
  return plugin;
}

/** The registry entry: parameters from the scenario. */
export const chainPlugin: ChainPlugin = makeChainPlugin();
