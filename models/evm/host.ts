/**
 * The EVM host: popsim's one asynchronous seam (DESIGN.md "The EVM seam", STYLE.md principle 11).
 *
 * Purpose: run popsim's Solidity contracts in @ethereumjs/vm with block headers made from simulated time,
 * and give the models a small API — deploy, call, view, executeBlock — that returns decoded values, logs,
 * revert reasons and gas as plain data. Expected failures (a revert) are values (`ok: false`); a broken
 * invariant of the host itself (time running backwards, an unknown function, a view that reverts) throws.
 *
 * Method:
 *  - `Common` is explicit: Hardfork.Osaka (what solc 0.8.37 targets) and popsim's chain id. Its
 *    `customCrypto` puts native secp256k1 behind the ecrecover precompile; `CRYPTO_BACKEND` says whether the
 *    native prebuild loaded.
 *  - State lives in `JournalStateManager` (checkpoint/revert O(changes), see stateManager.ts).
 *  - Calls go through `evm.runCall` and are framed like transactions: the caller's nonce is incremented by
 *    runCall itself (never `skipNonceIncrement`, except for static views, which change nothing), so CREATE
 *    addresses follow Ethereum's (sender, nonce) rule; sender, target, coinbase and precompiles are warm
 *    (EIP-2929/3651); and the journal's warm sets and the original-storage cache are cleared after each call,
 *    so every call is metered as a fresh transaction. `runTx` is never used (no signatures, no fees: gas price
 *    is 0 and gas is only measured).
 *  - `gasUsed` is transaction gas: intrinsic (21,000 + calldata, + creation and init-code costs) + execution −
 *    refund (capped at 1/5), at least the EIP-7623 calldata floor — comparable with gas on Ethereum.
 *  - Block headers: number and timestamp come from the simulator (µs → whole seconds, offset by
 *    `genesisTimestampS`); prevRandao is keccak256(chainId ‖ number), deterministic. Numbers and timestamps
 *    must not go backwards.
 * Nothing here reads a clock or a random source; the same calls in the same order give the same state.
 */
import { type Common, Hardfork, Mainnet, createCustomCommon } from "@ethereumjs/common";
import type { EVM } from "@ethereumjs/evm";
import { Account, Address } from "@ethereumjs/util";
import { type VM, createVM } from "@ethereumjs/vm";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  AbiIndex,
  type AbiError,
  type AbiEvent,
  type AbiValue,
  type DecodedError,
  type DecodedLog,
  decodeLog,
  decodeParams,
  decodeRevert,
  encodeParams,
  formatRevert,
} from "./abi.ts";
import { type AbiParam, type Artifacts, loadArtifacts } from "./compile.ts";
import { type AddressHex, type Hex, bytesToHex, bytesToHexBare, concatBytes, hexToBytes, toAddressHex, uint256ToBytes } from "./hex.ts";
import { CRYPTO_BACKEND, evmCustomCrypto } from "./sign.ts";
import { JournalStateManager } from "./stateManager.ts";

/** "POP" in ASCII: 0x504f50. */
export const POP_CHAIN_ID = 0x504f50n;
/** Block timestamp of simulated time 0 (2024-01-01T00:00:00Z); contracts see genesis + ⌊t_µs / 1e6⌋. */
export const GENESIS_TIMESTAMP_S_DEFAULT = 1_704_067_200n;
/** Per-call gas limit: the EIP-7825 transaction cap active in Osaka. */
export const TX_GAS_LIMIT_DEFAULT = 16_777_216n;
export const BLOCK_GAS_LIMIT_DEFAULT = 60_000_000n;

// Transaction gas constants of the Osaka ruleset (they live in @ethereumjs/tx's params, not the VM's Common).
const TX_GAS = 21_000n;
const TX_CREATION_GAS = 32_000n;
const TX_DATA_ZERO_GAS = 4n;
const TX_DATA_NONZERO_GAS = 16n;
const INIT_CODE_WORD_GAS = 2n; // EIP-3860
const FLOOR_COST_PER_TOKEN = 10n; // EIP-7623
const MAX_REFUND_QUOTIENT = 5n; // EIP-3529

export type HostOptions = {
  /** Chain id seen by `block.chainid` and signed into vouchers. Default POP_CHAIN_ID. */
  chainId?: bigint;
  /** Unix seconds of simulated time 0. Default GENESIS_TIMESTAMP_S_DEFAULT. */
  genesisTimestampS?: bigint;
  /** Gas limit per call (transaction). Default TX_GAS_LIMIT_DEFAULT. */
  txGasLimit?: bigint;
  /** Compiled contracts. Default: the committed contracts/artifacts.json. */
  artifacts?: Artifacts;
};

/** A block header as the simulator knows it. */
export type BlockHeaderInput = {
  number: bigint | number;
  /** Simulated time in microseconds (an integer). */
  timestampUs: number;
  /** Producer's address (COINBASE); default zero. */
  coinbase?: AddressHex;
  gasLimit?: bigint;
};

/** A deployed contract: name (artifact), address, ABI. */
export type Contract = { readonly name: string; readonly address: AddressHex; readonly abi: AbiIndex };

export type CallResult = {
  ok: boolean;
  /** Raw return data (revert data when !ok). */
  returnValue: Hex;
  /** Decoded outputs when ok (empty for deployments and failed calls). */
  values: AbiValue[];
  /** Transaction gas (see module notes). */
  gasUsed: bigint;
  /** Execution gas only, as evm.runCall reports it. */
  executionGasUsed: bigint;
  logs: DecodedLog[];
  /** "Name(arg, …)", the Error(string) message, "Panic(0x11)", or the EVM error ("out of gas"). */
  revertReason: string | undefined;
  revert: DecodedError | undefined;
  /** Address of the created contract (deployments). */
  createdAddress: AddressHex | undefined;
};

export type CallOptions = { value?: bigint; gasLimit?: bigint };

/** A pending transaction for `executeBlock`: a call, or a deployment when `to` is absent. */
export type TxRequest =
  | { from: AddressHex; to: Contract; fn: string; args: readonly AbiValue[]; value?: bigint }
  | { from: AddressHex; deploy: string; args: readonly AbiValue[] };

export type Receipt = CallResult & { index: number; blockNumber: bigint; from: AddressHex; to: AddressHex | undefined };

export type BlockResult = {
  number: bigint;
  timestampS: bigint;
  receipts: Receipt[];
  gasUsed: bigint;
};

type EvmBlock = NonNullable<Parameters<EVM["runCall"]>[0]["block"]>;

export class ViewRevertedError extends Error {
  constructor(
    readonly fn: string,
    readonly result: CallResult,
  ) {
    super(`view ${fn} reverted: ${result.revertReason ?? "(no reason)"}`);
  }
}

export class EvmHost {
  readonly cryptoBackend = CRYPTO_BACKEND;
  readonly chainId: bigint;
  readonly genesisTimestampS: bigint;
  readonly txGasLimit: bigint;
  readonly artifacts: Artifacts;
  readonly common: Common;
  readonly vm: VM;
  readonly evm: EVM;
  readonly stateManager: JournalStateManager;
  /** Total transaction gas of all state-changing calls so far (a chain cost metric). */
  gasUsedTotal = 0n;
  callCount = 0;

  private block: EvmBlock;
  private readonly abiByName = new Map<string, AbiIndex>();
  private readonly events = new Map<Hex, AbiEvent>();
  private readonly errors = new Map<Hex, AbiError>();
  private readonly addressCache = new Map<string, Address>();
  private readonly warmAlways: string[];
  private readonly snapshots: { depth: number; block: EvmBlock; gasUsedTotal: bigint; callCount: number }[] = [];

  private constructor(vm: VM, stateManager: JournalStateManager, common: Common, opts: Required<HostOptions>) {
    this.vm = vm;
    this.evm = vm.evm as EVM;
    this.stateManager = stateManager;
    this.common = common;
    this.chainId = opts.chainId;
    this.genesisTimestampS = opts.genesisTimestampS;
    this.txGasLimit = opts.txGasLimit;
    this.artifacts = opts.artifacts;
    for (const [name, artifact] of Object.entries(opts.artifacts.contracts)) {
      const index = new AbiIndex(artifact.abi);
      this.abiByName.set(name, index);
      for (const [topic, event] of index.events) this.events.set(topic, event);
      for (const [selector, error] of index.errors) this.errors.set(selector, error);
    }
    this.warmAlways = [...this.evm.precompiles.keys()];
    this.block = this.makeBlock(0n, opts.genesisTimestampS, undefined, BLOCK_GAS_LIMIT_DEFAULT);
  }

  static async create(options: HostOptions = {}): Promise<EvmHost> {
    const opts: Required<HostOptions> = {
      chainId: options.chainId ?? POP_CHAIN_ID,
      genesisTimestampS: options.genesisTimestampS ?? GENESIS_TIMESTAMP_S_DEFAULT,
      txGasLimit: options.txGasLimit ?? TX_GAS_LIMIT_DEFAULT,
      artifacts: options.artifacts ?? loadArtifacts(),
    };
    const common = createPopCommon(opts.chainId);
    const stateManager = new JournalStateManager();
    const vm = await createVM({ common, stateManager });
    return new EvmHost(vm, stateManager, common, opts);
  }

  // ---------------------------------------------------------------------------- blocks

  get blockNumber(): bigint {
    return this.block.header.number;
  }

  get timestampS(): bigint {
    return this.block.header.timestamp;
  }

  /** The header object passed to evm.runCall (for benchmarks and tools that call the EVM directly). */
  get evmBlock(): EvmBlock {
    return this.block;
  }

  /** Make `header` the current block for subsequent calls. Numbers and timestamps never decrease. */
  setBlock(header: BlockHeaderInput): void {
    const number = BigInt(header.number);
    if (!Number.isSafeInteger(header.timestampUs) || header.timestampUs < 0) {
      throw new Error(`setBlock: timestampUs must be a non-negative integer, got ${header.timestampUs}`);
    }
    const timestamp = this.genesisTimestampS + BigInt(Math.floor(header.timestampUs / 1_000_000));
    if (number < this.block.header.number || timestamp < this.block.header.timestamp) {
      throw new Error(
        `setBlock: time went backwards (block ${this.block.header.number}@${this.block.header.timestamp} → ${number}@${timestamp})`,
      );
    }
    this.block = this.makeBlock(number, timestamp, header.coinbase, header.gasLimit ?? BLOCK_GAS_LIMIT_DEFAULT);
  }

  private makeBlock(number: bigint, timestamp: bigint, coinbase: AddressHex | undefined, gasLimit: bigint): EvmBlock {
    const prevRandao = keccak_256(concatBytes(uint256ToBytes(this.chainId), uint256ToBytes(number)));
    return {
      header: {
        number,
        timestamp,
        coinbase: coinbase === undefined ? new Address(new Uint8Array(20)) : this.address(coinbase),
        difficulty: 0n,
        prevRandao,
        gasLimit,
        baseFeePerGas: 0n,
        getBlobGasPrice: () => 1n,
      },
    };
  }

  /** Run `txs` in order in block `header`; each gets a receipt (a revert is a receipt with ok=false). */
  async executeBlock(header: BlockHeaderInput, txs: readonly TxRequest[]): Promise<BlockResult> {
    this.setBlock(header);
    const receipts: Receipt[] = [];
    let gasUsed = 0n;
    for (let index = 0; index < txs.length; index++) {
      const tx = txs[index];
      let result: CallResult;
      let to: AddressHex | undefined;
      if ("deploy" in tx) {
        result = await this.deployRaw(tx.from, tx.deploy, tx.args);
        to = undefined;
      } else {
        result = await this.call(tx.from, tx.to, tx.fn, tx.args, { value: tx.value });
        to = tx.to.address;
      }
      gasUsed += result.gasUsed;
      receipts.push({ ...result, index, blockNumber: this.block.header.number, from: tx.from, to });
    }
    return { number: this.block.header.number, timestampS: this.block.header.timestamp, receipts, gasUsed };
  }

  // ---------------------------------------------------------------------------- contracts

  abi(name: string): AbiIndex {
    const index = this.abiByName.get(name);
    if (index === undefined) throw new Error(`no artifact named ${name}`);
    return index;
  }

  /** A handle for contract `name` already deployed at `address`. */
  contractAt(name: string, address: AddressHex): Contract {
    return { name, address: toAddressHex(address), abi: this.abi(name) };
  }

  /** Deploy `name` from `from`; a failed deployment is a programmer error and throws. */
  async deploy(from: AddressHex, name: string, args: readonly AbiValue[] = []): Promise<Contract> {
    const result = await this.deployRaw(from, name, args);
    if (!result.ok || result.createdAddress === undefined) {
      throw new Error(`deploy ${name} failed: ${result.revertReason ?? "no address"}`);
    }
    return this.contractAt(name, result.createdAddress);
  }

  /** Deploy and return the call result (ok=false on failure). */
  async deployRaw(from: AddressHex, name: string, args: readonly AbiValue[] = []): Promise<CallResult> {
    const artifact = this.artifacts.contracts[name];
    if (artifact === undefined) throw new Error(`no artifact named ${name}`);
    const data = concatBytes(hexToBytes(artifact.bytecode), encodeParams(this.abi(name).constructorInputs, args));
    return this.execute(from, undefined, data, 0n, this.txGasLimit, undefined);
  }

  /** State-changing call of `fn` on `contract` from `from`. */
  async call(
    from: AddressHex,
    contract: Contract,
    fn: string,
    args: readonly AbiValue[] = [],
    options: CallOptions = {},
  ): Promise<CallResult> {
    const abiFn = contract.abi.fn(fn);
    const data = concatBytes(abiFn.selector, encodeParams(abiFn.inputs, args));
    return this.execute(
      from,
      contract.address,
      data,
      options.value ?? 0n,
      options.gasLimit ?? this.txGasLimit,
      abiFn.outputs,
    );
  }

  /** Call with pre-encoded calldata (no output decoding). */
  async callRaw(from: AddressHex, to: AddressHex, data: Uint8Array, options: CallOptions = {}): Promise<CallResult> {
    return this.execute(from, to, data, options.value ?? 0n, options.gasLimit ?? this.txGasLimit, undefined);
  }

  /** Static call; returns the result even when it reverts. Changes no state, not even a nonce. */
  async tryView(
    contract: Contract,
    fn: string,
    args: readonly AbiValue[] = [],
    from: AddressHex = ZERO,
  ): Promise<CallResult> {
    const abiFn = contract.abi.fn(fn);
    const data = concatBytes(abiFn.selector, encodeParams(abiFn.inputs, args));
    const evm = this.evm;
    const result = await evm.runCall({
      block: this.block,
      caller: this.address(from),
      origin: this.address(from),
      to: this.address(contract.address),
      data,
      gasLimit: this.txGasLimit,
      isStatic: true,
      skipNonceIncrement: true,
    });
    await this.endCall();
    return this.toResult(result, false, abiFn.outputs);
  }

  /** Static call returning decoded outputs; throws ViewRevertedError if it reverts. */
  async view(contract: Contract, fn: string, args: readonly AbiValue[] = [], from?: AddressHex): Promise<AbiValue[]> {
    const result = await this.tryView(contract, fn, args, from);
    if (!result.ok) throw new ViewRevertedError(fn, result);
    return result.values;
  }

  /** The first output of a view (most views return one value). */
  async view1<T extends AbiValue = AbiValue>(
    contract: Contract,
    fn: string,
    args: readonly AbiValue[] = [],
    from?: AddressHex,
  ): Promise<T> {
    return (await this.view(contract, fn, args, from))[0] as T;
  }

  // ---------------------------------------------------------------------------- balances and accounts

  /** Native coin balance (PVM's gas coin; popsim charges no gas, so this is usually 0). */
  async nativeBalance(address: AddressHex): Promise<bigint> {
    return (await this.stateManager.getAccount(this.address(address)))?.balance ?? 0n;
  }

  async setNativeBalance(address: AddressHex, balance: bigint): Promise<void> {
    const a = this.address(address);
    const account = (await this.stateManager.getAccount(a)) ?? new Account();
    account.balance = balance;
    await this.stateManager.putAccount(a, account);
  }

  async nonce(address: AddressHex): Promise<bigint> {
    return (await this.stateManager.getAccount(this.address(address)))?.nonce ?? 0n;
  }

  /** ERC-20 balanceOf. */
  async tokenBalance(token: Contract, holder: AddressHex): Promise<bigint> {
    return this.view1<bigint>(token, "balanceOf", [holder]);
  }

  // ---------------------------------------------------------------------------- snapshots

  /**
   * Open a snapshot: everything after it (state, block, gas counters) can be undone with `revertTo`.
   * Snapshots nest; they keep an undo log while open, so close them (`revertTo` or `release`).
   */
  async snapshot(): Promise<number> {
    await this.stateManager.checkpoint();
    this.snapshots.push({
      depth: this.stateManager.depth,
      block: this.block,
      gasUsedTotal: this.gasUsedTotal,
      callCount: this.callCount,
    });
    return this.snapshots.length;
  }

  async revertTo(id: number): Promise<void> {
    if (id !== this.snapshots.length) throw new Error(`revertTo(${id}): the innermost snapshot is ${this.snapshots.length}`);
    const snap = this.snapshots.pop()!;
    if (this.stateManager.depth !== snap.depth) throw new Error("revertTo: unbalanced state checkpoints");
    await this.stateManager.revert();
    this.block = snap.block;
    this.gasUsedTotal = snap.gasUsedTotal;
    this.callCount = snap.callCount;
  }

  /** Keep everything since snapshot `id` and close it. */
  async release(id: number): Promise<void> {
    if (id !== this.snapshots.length) throw new Error(`release(${id}): the innermost snapshot is ${this.snapshots.length}`);
    this.snapshots.pop();
    await this.stateManager.commit();
  }

  /** Canonical digest of the whole EVM state (for determinism checks; O(state)). */
  stateDigest(): Hex {
    return this.stateManager.stateDigest();
  }

  // ---------------------------------------------------------------------------- internals

  /** Cached Address objects (they are immutable in practice; the EVM never writes to them). */
  address(hex: AddressHex): Address {
    let a = this.addressCache.get(hex);
    if (a === undefined) {
      a = new Address(hexToBytes(toAddressHex(hex)));
      if (this.addressCache.size < 1_000_000) this.addressCache.set(hex, a);
    }
    return a;
  }

  private async execute(
    from: AddressHex,
    to: AddressHex | undefined,
    data: Uint8Array,
    value: bigint,
    gasLimit: bigint,
    outputs: AbiFunctionOutputs,
  ): Promise<CallResult> {
    const intrinsic = intrinsicGas(data, to === undefined);
    const caller = this.address(from);
    const target = to === undefined ? undefined : this.address(to);
    const journal = this.evm.journal;
    for (const precompile of this.warmAlways) journal.addAlwaysWarmAddress(precompile);
    journal.addAlwaysWarmAddress(bytesToHexBare(caller.bytes));
    if (target !== undefined) journal.addAlwaysWarmAddress(bytesToHexBare(target.bytes));
    journal.addAlwaysWarmAddress(bytesToHexBare(this.block.header.coinbase.bytes));
    const executionGasLimit = gasLimit > intrinsic.gas ? gasLimit - intrinsic.gas : 0n;
    const result = await this.evm.runCall({
      block: this.block,
      caller,
      origin: caller,
      to: target,
      data,
      value,
      gasLimit: executionGasLimit,
    });
    await this.endCall();
    const out = this.toResult(result, true, outputs, intrinsic);
    this.gasUsedTotal += out.gasUsed;
    this.callCount++;
    return out;
  }

  /** Forget per-transaction EVM state: warm sets, touched accounts (EIP-161 cleanup), original storage. */
  private async endCall(): Promise<void> {
    await this.evm.journal.cleanup();
    this.stateManager.originalStorageCache.clear();
  }

  private toResult(
    result: Awaited<ReturnType<EVM["runCall"]>>,
    isTx: boolean,
    outputs: AbiFunctionOutputs,
    intrinsic?: { gas: bigint; floor: bigint },
  ): CallResult {
    const exec = result.execResult;
    const ok = exec.exceptionError === undefined;
    const returnValue = exec.returnValue;
    let gasUsed = exec.executionGasUsed;
    if (isTx && intrinsic !== undefined) {
      const spent = intrinsic.gas + exec.executionGasUsed;
      const refund = ok ? (exec.gasRefund ?? 0n) : 0n;
      const capped = refund < spent / MAX_REFUND_QUOTIENT ? refund : spent / MAX_REFUND_QUOTIENT;
      gasUsed = spent - capped;
      if (gasUsed < intrinsic.floor) gasUsed = intrinsic.floor;
    }
    let revert: DecodedError | undefined;
    let revertReason: string | undefined;
    if (!ok) {
      revert = decodeRevert(this.errors, returnValue);
      const error = exec.exceptionError?.error ?? "unknown";
      revertReason = revert !== undefined ? formatRevert(revert) : returnValue.length > 0 ? bytesToHex(returnValue) : error;
    }
    const logs: DecodedLog[] = [];
    if (ok && exec.logs !== undefined) {
      for (const [address, topics, logData] of exec.logs) logs.push(decodeLog(this.events, address, topics, logData));
    }
    return {
      ok,
      returnValue: bytesToHex(returnValue),
      values: ok && outputs !== undefined && outputs.length > 0 ? decodeParams(outputs, returnValue) : [],
      gasUsed,
      executionGasUsed: exec.executionGasUsed,
      logs,
      revertReason,
      revert,
      createdAddress:
        ok && result.createdAddress !== undefined ? (bytesToHex(result.createdAddress.bytes) as AddressHex) : undefined,
    };
  }
}

type AbiFunctionOutputs = readonly AbiParam[] | undefined;

const ZERO = "0x0000000000000000000000000000000000000000" as AddressHex;

/** Intrinsic gas of a transaction carrying `data`, and its EIP-7623 floor. */
export function intrinsicGas(data: Uint8Array, isCreate: boolean): { gas: bigint; floor: bigint } {
  let zeros = 0n;
  let nonZeros = 0n;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) zeros++;
    else nonZeros++;
  }
  let gas = TX_GAS + zeros * TX_DATA_ZERO_GAS + nonZeros * TX_DATA_NONZERO_GAS;
  if (isCreate) gas += TX_CREATION_GAS + INIT_CODE_WORD_GAS * BigInt(Math.ceil(data.length / 32));
  const floor = TX_GAS + FLOOR_COST_PER_TOKEN * (zeros + 4n * nonZeros);
  return { gas, floor };
}

/** The chain configuration popsim runs: Osaka rules, `chainId`, native secp256k1 behind ecrecover. */
export function createPopCommon(chainId: bigint = POP_CHAIN_ID): Common {
  return createCustomCommon({ chainId: Number(chainId) }, Mainnet, {
    hardfork: Hardfork.Osaka,
    customCrypto: evmCustomCrypto(),
  });
}

/** Convenience: a host with the default options. */
export async function createHost(options: HostOptions = {}): Promise<EvmHost> {
  return EvmHost.create(options);
}
