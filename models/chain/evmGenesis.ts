/**
 * The chain's genesis in the EVM: deploy the POP system and write the consensus ledger's genesis into it.
 *
 * Purpose: the EVM executor (evmExecutor.ts) makes the Staking contract the source of truth for stake and votes,
 * with the consensus `Ledger` as its synchronous mirror. Both must start equal: this module writes the ledger's
 * genesis — every holder's stake, every delegate, every genesis vote — into the contracts, and bonds the
 * masternodes, so that the first audit finds them identical.
 *
 * Method (one EVM block 0 at simulated time 0, all from the genesis key unless said otherwise):
 * - Addresses: every ledger account (one per world node) gets the key `deriveKeyPair(seed, "node/<id>")`, so any
 *   model that needs a node's key (channels, vouchers) derives the same one. Candidates are their self-accounts.
 * - `deployPopSystem` deploys POPToken, Unidirectional, Staking (bond, unbonding, K = `approvalsMax`), LIT (the
 *   scenario's capacity and window) and RewardPool (20 % of supply), and transfers the liquid allocations: each
 *   holder's role amount, plus the bond for a masternode that will register during the run.
 * - Staking's bulk genesis functions (admin only, sealed afterwards): `genesisStake` with the ledger's stakes,
 *   `genesisDelegates` with every candidate in candidate order, `genesisVotes` with the ledger's approvals,
 *   `genesisMasternodes` with the masternodes bonded at genesis (a `masternodesBondedAtGenesis` share, chosen by
 *   the "chain/evm/masternodes" stream); chunks of CHUNK holders per call keep each call's gas bounded. One call
 *   per chunk instead of one transaction per holder is what makes a genesis of thousands of holders cost a
 *   second, not ten.
 * - Holders' token approvals of Staking are not made here: a holder approves once, just before its first `stake`
 *   or `registerMasternode` (evmExecutor.ts), so genesis does not pay a call for every holder that never stakes.
 * Every failed call here is a programmer error and throws.
 */
import type { Prng } from "../../sim/kernel/prng.ts";
import { shuffle } from "../../sim/kernel/distributions.ts";
import { ROLE_IDS, type NodeTable } from "../../sim/net/nodes.ts";
import type { AbiValue } from "../evm/abi.ts";
import { deployPopSystem, type PopSystem } from "../evm/genesis.ts";
import type { AddressHex } from "../evm/hex.ts";
import { type Contract, type EvmHost, createHost } from "../evm/host.ts";
import { deriveKeyPair } from "../evm/sign.ts";
import type { Ledger } from "./ledger.ts";
import type { ChainParams } from "./params.ts";
import { popToWei, type Wei } from "./types.ts";

/** Holders per bulk genesis call: ~200 × ~50 k gas ≈ 10 M gas, under a block's worth. */
const CHUNK = 200;
/** Gas limit for one bulk genesis call (they are admin calls at genesis, not user transactions). */
const GENESIS_CALL_GAS = 2_000_000_000n;
const MAX_UINT256 = (1n << 256n) - 1n;

export interface EvmAccounts {
  /** By ledger account: its address. */
  address: AddressHex[];
  /** By ledger account: its world role (ROLE_IDS). */
  role: Uint8Array;
  /** By ledger account: liquid POP allocated at genesis (besides a later registrant's bond). */
  liquidWei: Wei[];
  /** By candidate: its self-account's address. */
  candidateAddress: AddressHex[];
  /** Address (lowercase hex) → ledger account. */
  accountOf: Map<string, number>;
  /** Masternode accounts not bonded at genesis, in the order they will register. */
  unbonded: number[];
  /** Masternodes bonded at genesis. */
  bondedAtGenesis: number;
}

export interface EvmGenesis {
  host: EvmHost;
  system: PopSystem;
  accounts: EvmAccounts;
  /** EVM calls genesis made (deployments included). */
  calls: number;
}

export interface EvmGenesisInput {
  seed: number;
  params: ChainParams;
  ledger: Ledger;
  nodes: NodeTable;
  candidateNodes: readonly number[];
  rng: (label: string) => Prng;
}

function liquidPopOf(p: ChainParams, role: number): number {
  const l = p.evm.liquidPop;
  switch (role) {
    case ROLE_IDS.viewer: return l.viewer;
    case ROLE_IDS.creator: return l.creator;
    case ROLE_IDS.masternode: return l.masternode;
    default: return l.delegate;
  }
}

export async function deployChainGenesis(input: EvmGenesisInput): Promise<EvmGenesis> {
  const { params: p, ledger, nodes } = input;
  const bondWei = popToWei(p.evm.masternodeBondPop);
  const n = ledger.accountCount;

  // Addresses and roles.
  const address: AddressHex[] = [];
  const role = new Uint8Array(n);
  const accountOf = new Map<string, number>();
  for (let a = 0; a < n; a++) {
    const node = ledger.accountNode[a];
    address.push(deriveKeyPair(input.seed, `node/${node}`).address);
    role[a] = nodes.role[node];
    accountOf.set(address[a], a);
  }
  const candidateAddress = input.candidateNodes.map((_, c) => address[ledger.selfAccount[c]]);

  // Which masternodes are bonded at genesis.
  const masternodes: number[] = [];
  for (let a = 0; a < n; a++) if (role[a] === ROLE_IDS.masternode) masternodes.push(a);
  shuffle(input.rng("chain/evm/masternodes"), masternodes);
  const bondedCount = Math.round(p.evm.masternodesBondedAtGenesis * masternodes.length);
  const bonded = masternodes.slice(0, bondedCount).sort((x, y) => x - y);
  const unbonded = masternodes.slice(bondedCount);
  const registersLater = new Uint8Array(n);
  for (const a of unbonded) registersLater[a] = 1;

  // Liquid allocations.
  const liquidWei: Wei[] = [];
  const allocations: { address: AddressHex; amountWei: bigint }[] = [];
  for (let a = 0; a < n; a++) {
    liquidWei.push(popToWei(liquidPopOf(p, role[a])));
    const amountWei = liquidWei[a] + (registersLater[a] ? bondWei : 0n);
    if (amountWei > 0n) allocations.push({ address: address[a], amountWei });
  }

  const host = await createHost();
  host.setBlock({ number: 0, timestampUs: 0 });
  const callsBefore = host.callCount;
  const system = await deployPopSystem(host, {
    seed: input.seed,
    masternodeBondWei: bondWei,
    maxApprovals: BigInt(p.approvalsMax),
    litCapacityPerWindow: BigInt(p.evm.lit.capacityPerWindow),
    litWindowS: BigInt(p.evm.lit.windowS),
    allocations,
  });
  const g = system.keys.genesis.address;
  const must = async (from: AddressHex, contract: Contract, fn: string, args: readonly AbiValue[], gasLimit?: bigint) => {
    const r = await host.call(from, contract, fn, args, { gasLimit });
    if (!r.ok) throw new Error(`chain genesis: ${contract.name}.${fn} failed: ${r.revertReason}`);
  };
  const staking = system.staking;
  await must(g, system.token, "approve", [staking.address, MAX_UINT256]);

  // Stakes, delegates, votes, bonds: the ledger's genesis, in bulk.
  const stakers: number[] = [];
  for (let a = 0; a < n; a++) if (ledger.stakeWei[a] > 0n) stakers.push(a);
  for (let i = 0; i < stakers.length; i += CHUNK) {
    const chunk = stakers.slice(i, i + CHUNK);
    await must(g, staking, "genesisStake", [chunk.map((a) => address[a]), chunk.map((a) => ledger.stakeWei[a])], GENESIS_CALL_GAS);
  }
  for (let i = 0; i < candidateAddress.length; i += CHUNK) {
    await must(g, staking, "genesisDelegates", [candidateAddress.slice(i, i + CHUNK)], GENESIS_CALL_GAS);
  }
  const voters: number[] = [];
  for (let a = 0; a < n; a++) if (ledger.approvals[a].length > 0) voters.push(a);
  for (let i = 0; i < voters.length; i += CHUNK) {
    const chunk = voters.slice(i, i + CHUNK);
    const flat: AddressHex[] = [];
    for (const a of chunk) for (const c of ledger.approvals[a]) flat.push(candidateAddress[c]);
    await must(g, staking, "genesisVotes", [chunk.map((a) => address[a]), flat, chunk.map((a) => BigInt(ledger.approvals[a].length))], GENESIS_CALL_GAS);
  }
  for (let i = 0; i < bonded.length; i += CHUNK) {
    await must(g, staking, "genesisMasternodes", [bonded.slice(i, i + CHUNK).map((a) => address[a])], GENESIS_CALL_GAS);
  }
  await must(g, staking, "sealGenesis", []);

  return {
    host,
    system,
    accounts: { address, role, liquidWei, candidateAddress, accountOf, unbonded, bondedAtGenesis: bonded.length },
    // deployPopSystem and every call above go through host.call/deploy, which count themselves.
    calls: host.callCount - callsBefore,
  };
}

