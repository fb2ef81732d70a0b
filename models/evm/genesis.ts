/**
 * Genesis: deploy popsim's contract system into an EvmHost and distribute the genesis allocations.
 *
 * Purpose: one place that wires POPToken, Unidirectional, Staking, LIT and RewardPool together with the
 * documented defaults (DOMAIN.md §b, §d, §f), so the chain, channel and economy models all start from the
 * same state. Every key is derived from the run seed; nothing is random.
 *
 * Method, in order: POPToken mints 1.6e9 POP to the genesis key; the channel, staking, LIT and reward
 * contracts are deployed by the genesis key; Staking's stake observer is set to LIT; the TicketBroker is
 * deployed last (so the earlier contracts keep the addresses they had before it existed); the reward pool is
 * funded with `rewardPoolWei` and started; then `allocations` are transferred from the genesis key, which
 * keeps the rest (the treasury).
 *
 * Allocations go out with `POPToken.transferBatch`, ALLOCATION_CHUNK holders per call: a genesis of 10,000
 * holders costs 50 calls instead of 10,000 (each call is ~1 ms of EVM time). The balances, the Transfer events
 * and every contract address are the same as with one transfer per holder; only the genesis key's nonce differs.
 */
import type { AbiValue } from "./abi.ts";
import type { AddressHex } from "./hex.ts";
import type { Contract, EvmHost } from "./host.ts";
import { type KeyPair, deriveKeyPair } from "./sign.ts";

/** Holders per `transferBatch` call: ~200 × ~30 k gas ≈ 6 M gas, well under the per-call gas limit. */
export const ALLOCATION_CHUNK = 200;

/** 1 POP in wei. */
export const POP = 10n ** 18n;
export const TOTAL_SUPPLY_WEI = 1_600_000_000n * POP;

export const RewardSchedule = { constant: 0, halving: 1, exponential: 2 } as const;
export type RewardScheduleKind = keyof typeof RewardSchedule;

/** Reward roles (index = role id in RewardPool). Masternodes get 35% (POP blog); the rest is a guess to tune. */
export const REWARD_ROLES_DEFAULT = [
  { name: "masternode", bps: 3500 },
  { name: "delegate", bps: 1500 },
  { name: "staker", bps: 2000 },
  { name: "ephemeral", bps: 3000 },
] as const;

export type GenesisOptions = {
  /** Seed for the system keys (genesis, consensus/slasher, economy/operator, meter). */
  seed: string | number | bigint;
  /** Default 20% of supply = 320M POP. */
  rewardPoolWei?: bigint;
  /** Default 50,000 POP. */
  masternodeBondWei?: bigint;
  /** Default 7 days. */
  unbondingPeriodS?: bigint;
  /** Default 30 approvals per voter (EOS). */
  maxApprovals?: bigint;
  /** Default 0. */
  delegateMinStakeWei?: bigint;
  /** Default 1,200 blocks (1 h at 3 s blocks). */
  minSettlingPeriodBlocks?: bigint;
  /** TicketBroker: blocks between `unlock` and `withdraw` (the recipients' redemption window). Default 1,200. */
  ticketUnlockPeriodBlocks?: bigint;
  /** TicketBroker: a recipient may draw at most 1/this of a sender's reserve. Default 20. */
  ticketReserveShares?: bigint;
  /** Default halving with a 365-day half-life. */
  rewardSchedule?: { kind: RewardScheduleKind; periodS: bigint; decayPerPeriodWad?: bigint };
  /** Basis points per role, summing to 10,000. Default REWARD_ROLES_DEFAULT. */
  rewardRoleBps?: readonly number[];
  /** LIT capacity of the whole network per window, in resource units. Default 1,000,000. */
  litCapacityPerWindow?: bigint;
  /** Default 1 day. */
  litWindowS?: bigint;
  /** Transfers from the genesis key, in order. */
  allocations?: readonly { address: AddressHex; amountWei: bigint }[];
};

export type PopSystem = {
  keys: { genesis: KeyPair; consensus: KeyPair; economy: KeyPair; meter: KeyPair };
  token: Contract;
  channels: Contract;
  staking: Contract;
  lit: Contract;
  rewardPool: Contract;
  tickets: Contract;
  options: Required<Omit<GenesisOptions, "allocations">>;
};

export function genesisDefaults(seed: string | number | bigint): Required<Omit<GenesisOptions, "allocations">> {
  return {
    seed,
    rewardPoolWei: (TOTAL_SUPPLY_WEI * 20n) / 100n,
    masternodeBondWei: 50_000n * POP,
    unbondingPeriodS: 7n * 86_400n,
    maxApprovals: 30n,
    delegateMinStakeWei: 0n,
    minSettlingPeriodBlocks: 1_200n,
    // The same window as a channel's settling period: a recipient that checks hourly never loses a winning ticket.
    ticketUnlockPeriodBlocks: 1_200n,
    // A viewer pays a few dozen nodes a day; each may recover at most 5 % of its reserve from over-issued tickets.
    ticketReserveShares: 20n,
    rewardSchedule: { kind: "halving", periodS: 365n * 86_400n, decayPerPeriodWad: 0n },
    rewardRoleBps: REWARD_ROLES_DEFAULT.map((r) => r.bps),
    litCapacityPerWindow: 1_000_000n,
    litWindowS: 86_400n,
  };
}

async function must(host: EvmHost, from: AddressHex, contract: Contract, fn: string, args: AbiValue[]): Promise<void> {
  const result = await host.call(from, contract, fn, args);
  if (!result.ok) throw new Error(`genesis: ${contract.name}.${fn} failed: ${result.revertReason}`);
}

/** Deploy and wire the system in the host's current block. */
export async function deployPopSystem(host: EvmHost, options: GenesisOptions): Promise<PopSystem> {
  const o = { ...genesisDefaults(options.seed), ...options };
  const keys = {
    genesis: deriveKeyPair(o.seed, "system/genesis"),
    consensus: deriveKeyPair(o.seed, "system/consensus"),
    economy: deriveKeyPair(o.seed, "system/economy"),
    meter: deriveKeyPair(o.seed, "system/meter"),
  };
  const g = keys.genesis.address;
  const token = await host.deploy(g, "POPToken", [g]);
  const channels = await host.deploy(g, "Unidirectional", [token.address, o.minSettlingPeriodBlocks]);
  const staking = await host.deploy(g, "Staking", [
    token.address,
    keys.consensus.address,
    o.masternodeBondWei,
    o.unbondingPeriodS,
    o.maxApprovals,
    o.delegateMinStakeWei,
  ]);
  const lit = await host.deploy(g, "LIT", [staking.address, keys.meter.address, o.litCapacityPerWindow, o.litWindowS]);
  await must(host, g, staking, "setStakeObserver", [lit.address]);
  const rewardPool = await host.deploy(g, "RewardPool", [
    token.address,
    keys.economy.address,
    o.rewardPoolWei,
    BigInt(RewardSchedule[o.rewardSchedule.kind]),
    o.rewardSchedule.periodS,
    o.rewardSchedule.decayPerPeriodWad ?? 0n,
    o.rewardRoleBps.map((b) => BigInt(b)),
  ]);
  const tickets = await host.deploy(g, "TicketBroker", [token.address, o.ticketUnlockPeriodBlocks, o.ticketReserveShares]);
  await must(host, g, token, "transfer", [rewardPool.address, o.rewardPoolWei]);
  await must(host, keys.economy.address, rewardPool, "start", []);
  const allocations = options.allocations ?? [];
  for (let i = 0; i < allocations.length; i += ALLOCATION_CHUNK) {
    const chunk = allocations.slice(i, i + ALLOCATION_CHUNK);
    await must(host, g, token, "transferBatch", [chunk.map((a) => a.address), chunk.map((a) => a.amountWei)]);
  }
  const { allocations: _ignored, ...resolved } = o;
  return { keys, token, channels, staking, lit, rewardPool, tickets, options: resolved };
}
