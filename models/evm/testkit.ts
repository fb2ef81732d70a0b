/**
 * Test fixtures for models/evm: a host with the POP system deployed and funded users, plus helpers to move
 * simulated time. Used by the *.test.ts files here and available to other models' tests.
 */
import { expect } from "vitest";
import type { AbiValue } from "./abi.ts";
import { type GenesisOptions, POP, type PopSystem, deployPopSystem } from "./genesis.ts";
import type { AddressHex } from "./hex.ts";
import { type CallResult, type Contract, type EvmHost, createHost } from "./host.ts";
import { type KeyPair, deriveKeyPair } from "./sign.ts";

export type Fixture = { host: EvmHost; system: PopSystem; users: KeyPair[] };

/** fast-check settings: a fixed seed (override with FC_SEED) so CI is reproducible; the seed is in every failure. */
export function fcParams(numRuns: number): { seed: number; numRuns: number } {
  return { seed: Number(process.env.FC_SEED ?? 20_240_601), numRuns };
}

export async function systemFixture(
  userCount = 4,
  userBalanceWei = 1_000_000n * POP,
  options: Partial<GenesisOptions> = {},
): Promise<Fixture> {
  const host = await createHost();
  host.setBlock({ number: 1, timestampUs: 0 });
  const users = Array.from({ length: userCount }, (_, i) => deriveKeyPair("evm-test", `user/${i}`));
  const system = await deployPopSystem(host, {
    seed: "evm-test",
    ...options,
    allocations: users.map((u) => ({ address: u.address, amountWei: userBalanceWei })),
  });
  return { host, system, users };
}

/** Simulated µs of the host's current block. */
export function nowUs(host: EvmHost): number {
  return Number(host.timestampS - host.genesisTimestampS) * 1_000_000;
}

/** Move to a later block: `blocks` more blocks and `seconds` more seconds. */
export function advance(host: EvmHost, blocks: number, seconds: number): void {
  host.setBlock({ number: host.blockNumber + BigInt(blocks), timestampUs: nowUs(host) + seconds * 1_000_000 });
}

export async function ok(
  host: EvmHost,
  from: AddressHex,
  contract: Contract,
  fn: string,
  args: readonly AbiValue[] = [],
): Promise<CallResult> {
  const result = await host.call(from, contract, fn, args);
  expect(result.revertReason, `${contract.name}.${fn}`).toBeUndefined();
  expect(result.ok).toBe(true);
  return result;
}

/** Expect a revert with custom error `name` (and, if given, these arguments). */
export async function reverts(
  host: EvmHost,
  from: AddressHex,
  contract: Contract,
  fn: string,
  args: readonly AbiValue[],
  name: string,
  errorArgs?: readonly AbiValue[],
): Promise<CallResult> {
  const result = await host.call(from, contract, fn, args);
  expect(result.ok, `${contract.name}.${fn} should revert with ${name}`).toBe(false);
  expect(result.revert?.name, result.revertReason).toBe(name);
  if (errorArgs !== undefined) expect(result.revert?.args).toEqual(errorArgs);
  return result;
}

export const MAX_UINT256 = (1n << 256n) - 1n;
