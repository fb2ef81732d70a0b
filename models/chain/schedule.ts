/**
 * Producer schedule: rounds of n slots, one per active delegate, in an order shuffled per round.
 *
 * Purpose: every active delegate gets exactly one slot per round; nobody can choose the order.
 *
 * Method: slot s (s ≥ 1) starts at s · blockTime after genesis. The order of round r is a Fisher–Yates shuffle
 * of the active set (sorted by candidate index first, so the order depends only on the set) driven by a stream
 * seeded from the hash of the last irreversible block when the round starts and the round number:
 * `new Prng(libHash, "chain/schedule/<r>")`. Why the LIB hash rather than a named stream of the run: it is chain
 * state every honest node agrees on (the LIB is final), it changes with history so a schedule cannot be known
 * long in advance, and — because the LIB lags the head by about a round — the producer of the previous round's
 * last block cannot grind its block to pick the next order. The root seed still enters through the genesis hash.
 * During a LIB stall the hash is the same, but the round number still varies the order.
 */
import { Prng } from "../../sim/kernel/prng.ts";
import { shuffle } from "../../sim/kernel/distributions.ts";

export function shuffleProducers(active: readonly number[], seedHash: string, round: number): number[] {
  const order = active.slice().sort((a, b) => a - b);
  return shuffle(new Prng(seedHash, `chain/schedule/${round}`), order);
}

/** Start time of slot s, µs. */
export const slotTimeUs = (slot: number, blockTimeUs: number): number => slot * blockTimeUs;
