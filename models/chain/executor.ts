/**
 * The EVM seam (DESIGN.md "The EVM seam", STYLE.md principle 11).
 *
 * Purpose: let a block's transactions run in the EVM without the consensus code knowing about it. The producing
 * delegate calls `execute(block, txs)` after building the block and before broadcasting it; it is the only call
 * in the chain model that may return a promise, and the kernel then awaits that one event (Kernel.runAsync).
 *
 * Notes for the EVM host (models/evm/): `execute` runs at production, on the producer's branch, so it also sees
 * blocks that later lose a fork and an equivocator's two versions. State that must follow the final chain should
 * use `Chain.onCommit` instead (called, synchronously, when a block becomes irreversible at the first honest
 * delegate, in height order along one chain) — or keep per-branch state keyed by block hash. popsim's EVM does
 * the former (evmExecutor.ts, `models.chain.evm`): it executes at commit, so this production-time hook stays a
 * no-op in scenarios and is kept for tests and for models that want to see every produced block.
 * Header fields for the VM: `block.number`, `block.timestampUs` (simulated time), `block.hash`, `block.producerNode`.
 */
import type { Block, Tx } from "./types.ts";

export interface BlockExecutor {
  execute(block: Block, txs: readonly Tx[]): void | Promise<void>;
}

/** Runs nothing: the chain model on its own. */
export const noopExecutor: BlockExecutor = {
  execute(): void {},
};
