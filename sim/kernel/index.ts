/**
 * The kernel's public surface. Models import types and helpers from here only (DESIGN.md: models → sim/kernel).
 */
export { Kernel, AsyncHandlerError } from "./kernel.ts";
export type { SimContext, Handler, Checker, KindId, RunLimits, RunOutcome, RunStatus, KernelOptions, EventHandle } from "./kernel.ts";
export { EventQueue, PENDING_MAX } from "./queue.ts";
export { Prng, stream, seedWords } from "./prng.ts";
export { TraceHash } from "./traceHash.ts";
export { InvariantError, invariant } from "./invariant.ts";
export * from "./time.ts";
export * from "./distributions.ts";
export { Metrics, Counter, Histogram } from "./metrics.ts";
