/**
 * The chain model's public surface (SDPoS consensus). See consensus.ts for the method.
 */
export { Chain, type ChainWorld, type Replica, type SubmitResult } from "./consensus.ts";
export { chainPlugin, chainOf, evmOf, makeChainPlugin, type ChainPlugin, type ChainPluginOptions } from "./plugin.ts";
export type { EvmChain, EvmCallData, TxFailure } from "./evmExecutor.ts";
export { ChainParams, CHAIN_DEFAULTS, chainParams, resolveChainParams } from "./params.ts";
export { noopExecutor, type BlockExecutor } from "./executor.ts";
export { electDelegates, pickSuperDelegates } from "./election.ts";
export { shuffleProducers, slotTimeUs } from "./schedule.ts";
export { quorumOf, livenessFaultsMax, safetyFaultsMax, libFromLastProduced } from "./finality.ts";
export { nakamotoCoefficient, sharesByEntity, gini } from "./decentralization.ts";
export { Ledger, evidenceIdOf } from "./ledger.ts";
export { Behaviour } from "./genesis.ts";
export { registerChainChecker } from "./checker.ts";
export * from "./types.ts";
