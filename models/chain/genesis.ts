/**
 * Genesis: who holds stake, how they vote at t = 0, and which delegates the adversary controls.
 *
 * Purpose: turn the scenario's chain section and the world's nodes into an initial ledger — the "policies
 * propose" half of the voter model (STYLE.md principle 9); consensus.ts applies later votes as transactions.
 *
 * Method (all draws from named streams, nodes in id order):
 * - Every viewer, creator, masternode and delegate node holds one account; its stake is the role's amount, or a
 *   Pareto(α) draw with that mean ("chain/stake"). A delegate approves only itself with its self-stake.
 * - Candidates have a popularity, lognormal with mean 1 ("chain/popularity"). A non-delegate holder votes with
 *   probability `participation`; it approves k ~ U{1..K} distinct candidates drawn by popularity without
 *   replacement ("chain/votes").
 * - The genesis election ranks candidates. The adversary's delegates are taken from the genesis *active* set
 *   (preferring `adversary.region`), in an order shuffled by "chain/adversary": first the equivocators, then the
 *   offline ones. The cartel's candidates come from the remaining candidates, standbys first (the cartel's aim is
 *   to get elected), same stream.
 * - The cartel's stake is s/(1−s) times everyone else's, split evenly over its candidates' self-accounts; each
 *   approves up to K cartel candidates, rotating, so with m ≤ K every cartel candidate is backed by the whole
 *   cartel stake.
 */
import type { Prng } from "../../sim/kernel/prng.ts";
import { lognormalMeanCv, pareto, shuffle, weightedIndex } from "../../sim/kernel/distributions.ts";
import { ROLE_IDS, type NodeTable } from "../../sim/net/nodes.ts";
import { electDelegates } from "./election.ts";
import { Ledger } from "./ledger.ts";
import type { ChainParams } from "./params.ts";
import { popToWei } from "./types.ts";

export const Behaviour = { Honest: 0, Offline: 1, Equivocator: 2 } as const;
export type Behaviour = (typeof Behaviour)[keyof typeof Behaviour];

export interface Genesis {
  ledger: Ledger;
  popularity: Float64Array;
  /** By candidate. */
  behaviour: Uint8Array;
  /** Cartel candidates (candidate indices), in choice order. */
  cartel: number[];
  /** By account: 1 if the cartel decides its votes (its own accounts, and bribed voters later). */
  cartelControlled: Uint8Array;
  /** Non-delegate accounts, in id order: the voters that may re-vote or be bribed. */
  voterAccounts: number[];
}

export interface GenesisInput {
  p: ChainParams;
  nodes: NodeTable;
  candidateNodes: readonly number[];
  /** Region index of `p.adversary.region`, or −1 for "anywhere". */
  adversaryRegion: number;
  genesisHash: string;
  rng: (label: string) => Prng;
}

/** k distinct candidates drawn by weight without replacement, k ~ U{1..min(K, C)}; returned ascending. */
export function drawApprovals(rng: Prng, popularity: ArrayLike<number>, approvalsMax: number): number[] {
  const w = Float64Array.from(popularity as ArrayLike<number>);
  let positive = 0;
  for (let i = 0; i < w.length; i++) if (w[i] > 0) positive++;
  const k = 1 + rng.int(Math.max(1, Math.min(approvalsMax, positive)));
  const out: number[] = [];
  for (let i = 0; i < k && positive > 0; i++) {
    const c = weightedIndex(rng, w);
    out.push(c);
    w[c] = 0;
    positive--;
  }
  return out.sort((a, b) => a - b);
}

function roleStakePop(p: ChainParams, role: number): number {
  switch (role) {
    case ROLE_IDS.viewer: return p.stake.viewerPop;
    case ROLE_IDS.creator: return p.stake.creatorPop;
    case ROLE_IDS.masternode: return p.stake.masternodePop;
    default: return p.stake.delegatePop;
  }
}

export function makeGenesis(input: GenesisInput): Genesis {
  const { p, nodes, candidateNodes } = input;
  const C = candidateNodes.length;
  const K = p.approvalsMax;
  const ledger = new Ledger(C, K, input.genesisHash);
  const candidateOfNode = new Map<number, number>();
  candidateNodes.forEach((node, c) => candidateOfNode.set(node, c));

  // Stake.
  const stakeRng = input.rng("chain/stake");
  const alpha = p.stake.paretoAlpha;
  const voterAccounts: number[] = [];
  for (let node = 0; node < nodes.count; node++) {
    const role = nodes.role[node];
    const mean = roleStakePop(p, role);
    const pop = alpha > 1 && mean > 0 ? pareto(stakeRng, (mean * (alpha - 1)) / alpha, alpha) : mean;
    const account = ledger.addAccount(node, popToWei(pop));
    const c = candidateOfNode.get(node);
    if (c !== undefined) ledger.selfAccount[c] = account;
    else voterAccounts.push(account);
  }

  // Popularity and genesis votes.
  const popRng = input.rng("chain/popularity");
  const popularity = new Float64Array(C);
  for (let c = 0; c < C; c++) popularity[c] = p.voting.popularityCv > 0 ? lognormalMeanCv(popRng, 1, p.voting.popularityCv) : 1;
  const voteRng = input.rng("chain/votes");
  for (const account of voterAccounts) {
    if (!(voteRng.float() < p.voting.participation)) continue;
    ledger.applyVote(account, drawApprovals(voteRng, popularity, K));
  }
  for (let c = 0; c < C; c++) ledger.applyVote(ledger.selfAccount[c], [c]);

  // The adversary's delegates, from the genesis active set.
  const advRng = input.rng("chain/adversary");
  const { active } = electDelegates(ledger.approvalWei, ledger.eligible(), p.activeDelegates);
  const inRegion = shuffle(advRng, active.filter((c) => nodes.region[candidateNodes[c]] === input.adversaryRegion));
  const elsewhere = shuffle(advRng, active.filter((c) => nodes.region[candidateNodes[c]] !== input.adversaryRegion));
  const adversaryOrder = [...inRegion, ...elsewhere];
  const want = p.adversary.equivocators + p.adversary.offline;
  if (want > adversaryOrder.length) {
    throw new Error(`models.chain.adversary: ${p.adversary.equivocators} equivocators + ${p.adversary.offline} offline exceed the ${adversaryOrder.length} active delegates`);
  }
  const behaviour = new Uint8Array(C);
  adversaryOrder.slice(0, p.adversary.equivocators).forEach((c) => (behaviour[c] = Behaviour.Equivocator));
  adversaryOrder.slice(p.adversary.equivocators, want).forEach((c) => (behaviour[c] = Behaviour.Offline));

  // The cartel.
  const cartelControlled = new Uint8Array(ledger.accountCount);
  const cartel: number[] = [];
  if (p.cartel.candidates > 0) {
    const activeSet = new Set(active);
    const free = (c: number) => behaviour[c] === Behaviour.Honest;
    const standbys = shuffle(advRng, [...Array(C).keys()].filter((c) => free(c) && !activeSet.has(c)));
    const actives = shuffle(advRng, active.filter(free));
    cartel.push(...[...standbys, ...actives].slice(0, p.cartel.candidates));
    if (p.cartel.stakeShare > 0 && cartel.length > 0) {
      const sPpm = BigInt(Math.round(p.cartel.stakeShare * 1e6));
      let othersWei = 0n;
      const cartelAccounts = new Set(cartel.map((c) => ledger.selfAccount[c]));
      for (let a = 0; a < ledger.accountCount; a++) if (!cartelAccounts.has(a)) othersWei += ledger.stakeWei[a];
      const cartelWei = (othersWei * sPpm) / (1_000_000n - sPpm);
      const each = cartelWei / BigInt(cartel.length);
      cartel.forEach((c, i) => {
        const account = ledger.selfAccount[c];
        ledger.setStake(account, each);
        const backed: number[] = [];
        for (let j = 0; j < Math.min(K, cartel.length); j++) backed.push(cartel[(i + j) % cartel.length]);
        ledger.applyVote(account, backed.sort((a, b) => a - b));
      });
    }
    for (const c of cartel) cartelControlled[ledger.selfAccount[c]] = 1;
  }
  return { ledger, popularity, behaviour, cartel, cartelControlled, voterAccounts };
}
