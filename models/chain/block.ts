/**
 * Block identity: deterministic hashes of headers.
 *
 * Method: a block's hash is sha256 over its header fields joined with "|": number, parent hash, producer node,
 * slot, timestamp (µs), extra, and the transaction root (sha256 of the included transaction ids). Two blocks
 * differ in hash iff they differ in some header field — which is how an equivocator's two versions for one slot
 * are told apart. Genesis is sha256 of the run's root seed, so the seed reaches the schedule shuffle (schedule.ts).
 * Signatures are not computed: the producer's identity is the header field, and only scheduled producers' blocks
 * are accepted (the cost budget in DESIGN.md §6; a real signature would add nothing a validator decides on here).
 */
import { createHash } from "node:crypto";

export const genesisHashOf = (seed: number): string => createHash("sha256").update(`popsim/chain/genesis|${seed}`).digest("hex");

export function txRootOf(txIds: readonly number[]): string {
  if (txIds.length === 0) return "";
  return createHash("sha256").update(txIds.join(",")).digest("hex");
}

export interface HeaderFields {
  number: number;
  parentHash: string;
  producerNode: number;
  slot: number;
  timestampUs: number;
  extra: number;
  txIds: readonly number[];
}

export function blockHashOf(h: HeaderFields): string {
  return createHash("sha256")
    .update(`${h.number}|${h.parentHash}|${h.producerNode}|${h.slot}|${h.timestampUs}|${h.extra}|${txRootOf(h.txIds)}`)
    .digest("hex");
}
