/**
 * Chain benchmark (`npm run bench:chain`): what on-chain actions cost popsim in wall time and memory.
 *
 * Measures, in one process and interleaved so machine noise hits both sides alike:
 *  - ERC-20 transfers/s, channel opens/s and claims/s through EvmHost.call versus raw `evm.runCall` with
 *    pre-encoded calldata on an identical second host (same contracts, same state manager): the ratio is the
 *    host's overhead (ABI encode/decode, log decoding, gas accounting, per-call journal cleanup). Goal ≥ 0.5.
 *  - blocks/s for executeBlock with 100 transfers per block.
 *  - blocks/s for blocks of 100 vote transactions through the whole chain path — SDPoS consensus in a simulated
 *    world, commit, the EVM executor (LIT.consume + Staking.vote per transaction, ledger mirror, receipts) — versus
 *    the host alone executing the same calls (executeBlock with 100 consume + vote pairs) on the same contracts,
 *    in the same process, alternating; the ratio is what the chain path costs beyond the EVM work itself.
 *  - state-size scaling: raw transfers/s with 100 vs 10,100 token holders, JournalStateManager versus
 *    @ethereumjs's SimpleStateManager (which copies all state at every call-frame checkpoint).
 *  - heap bytes per 10k accounts (token holders = one storage slot each; EOAs = one account record each),
 *    measured after forced GC.
 * Wall-clock timing is allowed here (bench files only). These machines are noisy (two shared vCPUs): each rate
 * is the median of PAIRED_ROUNDS (host vs raw, alternating which runs first) or ROUNDS rounds, with min–max.
 */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { SimpleStateManager } from "@ethereumjs/statemanager";
import { Address } from "@ethereumjs/util";
import { createVM } from "@ethereumjs/vm";
import type { StateManagerInterface } from "@ethereumjs/common";
import { POP, deployPopSystem, type PopSystem } from "./genesis.ts";
import { type AddressHex, type Hex, bytesToHex, concatBytes, hexToBytes, uint256ToBytes } from "./hex.ts";
import { type EvmHost, createHost, createPopCommon } from "./host.ts";
import { CRYPTO_BACKEND, type KeyPair, deriveKeyPair, keccak256, signVoucher } from "./sign.ts";
import { loadArtifacts } from "./compile.ts";
import { AbiIndex, encodeParams } from "./abi.ts";
import { JournalStateManager } from "./stateManager.ts";
import { runChain } from "../chain/testkit.ts";
import type { EvmChain } from "../chain/evmExecutor.ts";

setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;

const ROUNDS = 3;
/** Host-versus-raw rounds: more, shorter, alternating which side goes first, to cancel drift. */
const PAIRED_ROUNDS = 6;
const MAX = (1n << 256n) - 1n;

type Env = { host: EvmHost; system: PopSystem; sender: KeyPair; receiver: KeyPair };

async function makeEnv(): Promise<Env> {
  const host = await createHost();
  host.setBlock({ number: 1, timestampUs: 0 });
  const sender = deriveKeyPair("bench", "sender");
  const receiver = deriveKeyPair("bench", "receiver");
  const system = await deployPopSystem(host, {
    seed: "bench",
    allocations: [
      { address: sender.address, amountWei: 100_000_000n * POP },
      { address: receiver.address, amountWei: 1n * POP },
    ],
  });
  await host.call(sender.address, system.token, "approve", [system.channels.address, MAX]);
  return { host, system, sender, receiver };
}

function holder(i: number): AddressHex {
  return bytesToHex(keccak256(uint256ToBytes(BigInt(i))).subarray(12)) as AddressHex;
}

function channelId(tag: string, i: number): Hex {
  return bytesToHex(keccak256(new TextEncoder().encode(`${tag}/${i}`)));
}

async function raw(env: Env, from: AddressHex, to: AddressHex, data: Uint8Array): Promise<void> {
  const caller = env.host.address(from);
  const r = await env.host.evm.runCall({
    block: env.host.evmBlock,
    caller,
    origin: caller,
    to: env.host.address(to),
    data,
    gasLimit: 16_000_000n,
  });
  if (r.execResult.exceptionError !== undefined) throw new Error(`raw call failed: ${r.execResult.exceptionError.error}`);
}

async function rate(n: number, body: (i: number) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await body(i);
  return (n * 1000) / (performance.now() - t0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function report(label: string, hostRates: number[], rawRates: number[]): void {
  const h = median(hostRates);
  const r = median(rawRates);
  const ratios = hostRates.map((x, i) => x / rawRates[i]);
  console.log(
    `${label.padEnd(16)} host ${fmt(h).padStart(6)}/s [${fmt(Math.min(...hostRates))}–${fmt(Math.max(...hostRates))}]` +
      `   raw runCall ${fmt(r).padStart(6)}/s [${fmt(Math.min(...rawRates))}–${fmt(Math.max(...rawRates))}]` +
      `   ratio ${median(ratios).toFixed(2)} [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]`,
  );
}

async function hostVersusRaw(): Promise<void> {
  const a = await makeEnv();
  const b = await makeEnv();
  const tokenAbi = a.system.token.abi;
  const channelsAbi = a.system.channels.abi;
  const settling = a.system.options.minSettlingPeriodBlocks;

  // Warm up both paths (JIT, caches).
  for (let i = 0; i < 200; i++) {
    await a.host.call(a.sender.address, a.system.token, "transfer", [holder(1_000_000 + i), 1n]);
    await raw(b, b.sender.address, b.system.token.address, tokenAbi.encodeCall("transfer", [holder(1_000_000 + i), 1n]));
  }

  const transfers = { host: [] as number[], raw: [] as number[] };
  const opens = { host: [] as number[], raw: [] as number[] };
  const claims = { host: [] as number[], raw: [] as number[] };
  const N_TRANSFER = 1_000;
  const N_OPEN = 500;
  const N_CLAIM = 500;
  const paired = async (target: { host: number[]; raw: number[] }, onHost: () => Promise<number>, onRaw: () => Promise<number>, round: number) => {
    if (round % 2 === 0) {
      target.host.push(await onHost());
      target.raw.push(await onRaw());
    } else {
      target.raw.push(await onRaw());
      target.host.push(await onHost());
    }
  };
  for (let round = 0; round < PAIRED_ROUNDS; round++) {
    const base = round * N_TRANSFER;
    // Transfers to fresh holders (zero → non-zero slot, the common case for payouts).
    const data = Array.from({ length: N_TRANSFER }, (_, i) => tokenAbi.encodeCall("transfer", [holder(base + i), 1n]));
    await paired(
      transfers,
      () => rate(N_TRANSFER, (i) => a.host.call(a.sender.address, a.system.token, "transfer", [holder(base + i), 1n]).then(() => undefined)),
      () => rate(N_TRANSFER, (i) => raw(b, b.sender.address, b.system.token.address, data[i])),
      round,
    );

    // Channel opens.
    const ids = Array.from({ length: N_OPEN }, (_, i) => channelId(`open-${round}`, i));
    const openArgs = (i: number) => [ids[i], a.receiver.address, settling, 10n * POP];
    const openData = ids.map((_, i) => channelsAbi.encodeCall("open", openArgs(i)));
    await paired(
      opens,
      () =>
        rate(N_OPEN, async (i) => {
          const r = await a.host.call(a.sender.address, a.system.channels, "open", openArgs(i));
          if (!r.ok) throw new Error(r.revertReason);
        }),
      () => rate(N_OPEN, (i) => raw(b, b.sender.address, b.system.channels.address, openData[i])),
      round,
    );

    // Claims of those channels with pre-signed vouchers (signing is the wallet's cost, measured below).
    const sigs = (env: Env) =>
      ids.map((id) => signVoucher(env.sender.privateKey, { contract: env.system.channels.address, chainId: env.host.chainId, channelId: id, payment: 3n * POP }));
    const sigsA = sigs(a);
    const sigsB = sigs(b);
    const claimData = ids.map((id, i) => channelsAbi.encodeCall("claim", [id, 3n * POP, sigsB[i]]));
    await paired(
      claims,
      () =>
        rate(N_CLAIM, async (i) => {
          const r = await a.host.call(a.receiver.address, a.system.channels, "claim", [ids[i], 3n * POP, sigsA[i]]);
          if (!r.ok) throw new Error(r.revertReason);
        }),
      () => rate(N_CLAIM, (i) => raw(b, b.receiver.address, b.system.channels.address, claimData[i])),
      round,
    );
  }
  report("ERC-20 transfer", transfers.host, transfers.raw);
  report("channel open", opens.host, opens.raw);
  report("channel claim", claims.host, claims.raw);

  const gas = async (fn: string, args: Parameters<EvmHost["call"]>[3], from: AddressHex, to = a.system.channels) =>
    (await a.host.call(from, to, fn, args)).gasUsed;
  const id = channelId("gas", 0);
  const openGas = await gas("open", [id, a.receiver.address, settling, 10n * POP], a.sender.address);
  const sig = signVoucher(a.sender.privateKey, { contract: a.system.channels.address, chainId: a.host.chainId, channelId: id, payment: 1n });
  const claimGas = await gas("claim", [id, 1n, sig], a.receiver.address);
  const transferGas = await gas("transfer", [holder(9_999_999), 1n], a.sender.address, a.system.token);
  console.log(`gas per call     transfer (new holder) ${transferGas}, open ${openGas}, claim ${claimGas}`);

  const nSign = 5_000;
  const signRate = (nSign * 1000) / (await timeSync(() => {
    for (let i = 0; i < nSign; i++) signVoucher(a.sender.privateKey, { contract: a.system.channels.address, chainId: 1n, channelId: id, payment: BigInt(i) });
  }));
  console.log(`voucher signing  ${fmt(signRate)}/s (secp256k1 backend: ${CRYPTO_BACKEND})`);
}

async function timeSync(f: () => void): Promise<number> {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function blocks(): Promise<void> {
  const env = await makeEnv();
  const BLOCKS = 30;
  const TXS = 100;
  const rates: number[] = [];
  let next = 5_000_000;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    for (let k = 0; k < BLOCKS; k++) {
      const txs = Array.from({ length: TXS }, () => ({
        from: env.sender.address,
        to: env.system.token,
        fn: "transfer",
        args: [holder(next++), 1n],
      }));
      const n = env.host.blockNumber + 1n;
      const res = await env.host.executeBlock({ number: n, timestampUs: Number(n) * 3_000_000 }, txs);
      if (res.receipts.some((r) => !r.ok)) throw new Error("block tx failed");
    }
    rates.push((BLOCKS * 1000) / (performance.now() - t0));
  }
  console.log(
    `blocks of ${TXS} transfers: ${fmt(median(rates))} blocks/s [${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}] = ${fmt(median(rates) * TXS)} tx/s`,
  );
}

/**
 * Blocks of 100 votes through consensus + commit + executor, versus the host alone on the same calls. The chain
 * run's wall time is measured from the end of setup (genesis excluded) to the end of the run; its slots after
 * the last full block cost a few ms of consensus and are included (they are part of the path).
 */
async function chainPath(): Promise<void> {
  const BLOCKS = 20;
  const TXS = 100;
  const VOTERS = 400;
  const lit = { capacityPerWindow: 1_000_000_000_000, windowS: 86_400, costPerTx: 100 };
  const viaChain: number[] = [];
  const viaHost: number[] = [];
  let lastEvm: EvmChain | undefined;
  const runViaChain = async (): Promise<number> => {
    let t0 = 0;
    const run = await runChain({
      duration: `${3 * (BLOCKS + 20)}s`,
      viewers: VOTERS,
      chain: { voting: { revotesPerDay: 0 }, blocks: { txsMax: TXS }, evm: { enabled: true, lit, topUpsPerDay: 0, registrationsPerDay: 0 } },
      before(chain) {
        const voters: number[] = [];
        for (let a = 0; a < chain.ledger.accountCount; a++) if (!chain.candidateNodes.includes(chain.ledger.accountNode[a])) voters.push(a);
        for (let i = 0; i < BLOCKS * TXS; i++) chain.submitTx({ kind: "vote", account: voters[i % voters.length], candidates: [i % 21, (i + 7) % 21] });
        t0 = performance.now();
      },
    });
    const ms = performance.now() - t0;
    const full = run.metric("chain.txs_executed") / TXS;
    if (full !== BLOCKS || run.metric("chain.txs_refused_lit") > 0) throw new Error(`chain path: ${full} full blocks executed, ${run.metric("chain.txs_refused_lit")} refused`);
    lastEvm = run.evm;
    return (BLOCKS * 1000) / ms;
  };
  const runViaHost = async (): Promise<number> => {
    const evm = lastEvm!;
    const { host, system, accounts } = evm;
    const meter = system.keys.meter.address;
    let n = 0;
    const t0 = performance.now();
    for (let k = 0; k < BLOCKS; k++) {
      const txs = [];
      for (let i = 0; i < TXS; i++, n++) {
        const voter = accounts.address[n % VOTERS];
        txs.push({ from: meter, to: system.lit, fn: "consume", args: [voter, 100n] });
        txs.push({ from: voter, to: system.staking, fn: "vote", args: [[accounts.candidateAddress[n % 21], accounts.candidateAddress[(n + 7) % 21]]] });
      }
      const number = host.blockNumber + 1n;
      const res = await host.executeBlock({ number, timestampUs: Number(host.timestampS - host.genesisTimestampS) * 1_000_000 + 3_000_000 }, txs);
      if (res.receipts.some((r) => !r.ok)) throw new Error("host path: a call failed");
    }
    return (BLOCKS * 1000) / (performance.now() - t0);
  };
  await runViaChain(); // warm-up (JIT, module loading)
  for (let round = 0; round < ROUNDS; round++) {
    viaChain.push(await runViaChain());
    viaHost.push(await runViaHost());
  }
  const ratios = viaChain.map((x, i) => x / viaHost[i]);
  console.log(
    `blocks of ${TXS} votes: chain path ${fmt(median(viaChain))} blocks/s [${fmt(Math.min(...viaChain))}–${fmt(Math.max(...viaChain))}]` +
      `   host alone ${fmt(median(viaHost))} blocks/s [${fmt(Math.min(...viaHost))}–${fmt(Math.max(...viaHost))}]` +
      `   ratio ${median(ratios).toFixed(2)} [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]   (a vote = LIT.consume + Staking.vote)`,
  );
}

/** Raw runCall transfers on a bare VM with the given state manager, before and after adding many holders. */
async function scaling(label: string, make: () => StateManagerInterface, extraHolders: number): Promise<[number, number]> {
  const common = createPopCommon();
  const vm = await createVM({ common, stateManager: make() });
  const artifacts = loadArtifacts();
  const token = new AbiIndex(artifacts.contracts.POPToken.abi);
  const genesis = deriveKeyPair("bench", "scaling");
  const caller = new Address(hexToBytes(genesis.address));
  const deployed = await vm.evm.runCall({
    caller,
    data: concatBytes(hexToBytes(artifacts.contracts.POPToken.bytecode), encodeParams(token.constructorInputs, [genesis.address])),
    gasLimit: 16_000_000n,
  });
  const to = deployed.createdAddress!;
  const call = async (i: number) => {
    const r = await vm.evm.runCall({ caller, origin: caller, to, data: token.encodeCall("transfer", [holder(i), 1n]), gasLimit: 1_000_000n });
    if (r.execResult.exceptionError !== undefined) throw new Error("transfer failed");
  };
  for (let i = 0; i < 500; i++) await call(i); // warm-up, and the "small state" baseline
  const small = await rate(500, (i) => call(10_000_000 + i));
  for (let i = 0; i < extraHolders; i++) await call(500 + i);
  const large = await rate(500, (i) => call(20_000_000 + i));
  console.log(`${label.padEnd(28)} ${fmt(small).padStart(6)}/s at ~1k holders, ${fmt(large).padStart(6)}/s at ~${(extraHolders + 1_500) / 1000}k holders`);
  return [small, large];
}

async function heap(): Promise<void> {
  const env = await makeEnv();
  const measure = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const N = 10_000;
  const h0 = measure();
  for (let i = 0; i < N; i++) {
    const r = await env.host.call(env.sender.address, env.system.token, "transfer", [holder(30_000_000 + i), 1n]);
    if (!r.ok) throw new Error("transfer failed");
  }
  const h1 = measure();
  for (let i = 0; i < N; i++) await env.host.setNativeBalance(holder(40_000_000 + i), 1n);
  const h2 = measure();
  const stats = env.host.stateManager.stats();
  console.log(
    `heap per 10k: token holders ${((h1 - h0) / 1024 / 1024).toFixed(2)} MiB (one storage slot each), ` +
      `EOA accounts ${((h2 - h1) / 1024 / 1024).toFixed(2)} MiB (account record + cached Address)   ` +
      `[state: ${stats.accounts} accounts, ${stats.slots} slots, ${stats.contracts} contracts]`,
  );
}

console.log(
  `popsim chain bench — node ${process.version}, secp256k1 ${CRYPTO_BACKEND}; median [min–max] of ${PAIRED_ROUNDS} paired rounds (host vs raw) or ${ROUNDS} rounds`,
);
await hostVersusRaw();
await blocks();
await chainPath();
console.log("state-size scaling (raw evm.runCall ERC-20 transfers):");
await scaling("  JournalStateManager", () => new JournalStateManager(), 5_000);
await scaling("  SimpleStateManager", () => new SimpleStateManager(), 5_000);
await heap();


