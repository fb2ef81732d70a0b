/**
 * The chain's invariants, observed from outside the state machine (STYLE.md principle 5).
 *
 * Checked (registered with `kernel.addChecker`):
 * - chain.safety: no two honest replicas ever hold different irreversible blocks at one height — while the
 *   equivocators in the active set have stayed within the safety bound f < 2q − N in every round. Once a round
 *   exceeded it, conflicts are what the bound predicts and are only measured (`chain.conflicting_irreversible`). The checker keeps its own record of
 *   the first irreversible block per height, filled by walking each honest replica's LIB back through parent links
 *   to where it last looked, so it does not trust the model's own bookkeeping.
 * - chain.lib_monotone: no replica's LIB number ever decreases, and a LIB never changes block at a height.
 * - chain.head_descends_from_lib: each honest replica's head descends from its LIB (walking parents from the
 *   head); one replica per check, round-robin, so a check costs O(head − LIB), not O(N · (head − LIB)).
 */
import type { Kernel } from "../../sim/kernel/index.ts";
import type { Chain } from "./consensus.ts";
import { Behaviour } from "./genesis.ts";
import { IdWindow } from "./window.ts";

export function registerChainChecker(kernel: Kernel, chain: Chain): void {
  const n = chain.replicas.length;
  const lastLib = new Float64Array(n);
  const lastLibId = new Float64Array(n);
  /** First irreversible block id seen per height by this checker (forgotten below the pruned bound). */
  const firstFinal = new IdWindow<number>();
  firstFinal.push(0);
  const conflicts = new Set<number>();
  let turn = 0;

  const honest = chain.replicas.filter((r) => r.behaviour !== Behaviour.Equivocator);

  kernel.addChecker("chain.lib_monotone", () => {
    for (const r of chain.replicas) {
      if (r.libNumber < lastLib[r.cand]) return `replica ${r.cand} LIB went from ${lastLib[r.cand]} down to ${r.libNumber}`;
      if (r.libNumber === lastLib[r.cand] && r.libId !== lastLibId[r.cand] && lastLib[r.cand] > 0) return `replica ${r.cand} LIB at ${r.libNumber} changed block`;
      lastLib[r.cand] = r.libNumber;
      lastLibId[r.cand] = r.libId;
    }
    return undefined;
  });

  const seenUpTo = new Float64Array(n);
  kernel.addChecker("chain.safety", () => {
    for (const r of honest) {
      if (r.libNumber <= seenUpTo[r.cand]) continue;
      // Walk from the LIB down to the last height this checker recorded for r (or to the pruned bound: a replica
      // moved to a checkpoint skips heights it never held).
      const stop = Math.max(seenUpTo[r.cand], chain.prunedBelow - 1);
      const ids: number[] = [];
      for (let b = chain.block(r.libId); b.number > stop; ) {
        ids.push(b.id);
        if (b.number - 1 > stop) b = chain.block(b.parentId);
        else break;
      }
      for (let i = ids.length - 1; i >= 0; i--) {
        const b = chain.block(ids[i]);
        const first = firstFinal.get(b.number);
        if (first === undefined) firstFinal.set(b.number, b.id);
        else if (first !== b.id) conflicts.add(b.number);
      }
      seenUpTo[r.cand] = r.libNumber;
    }
    firstFinal.dropBelow(chain.prunedBelow);
    if (conflicts.size > 0 && chain.safetyBoundHeld()) {
      return `conflicting irreversible blocks at ${conflicts.size} height(s) between honest replicas, with the equivocators always within the safety bound`;
    }
    return undefined;
  });

  kernel.addChecker("chain.head_descends_from_lib", () => {
    if (honest.length === 0) return undefined;
    const r = honest[turn++ % honest.length];
    let b = chain.block(r.headId);
    while (b.number > r.libNumber) b = chain.block(b.parentId);
    return b.id === r.libId ? undefined : `replica ${r.cand}: head ${chain.block(r.headId).number} does not descend from its LIB ${r.libNumber}`;
  });
}
