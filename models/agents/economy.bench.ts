/**
 * models/agents/economy.bench.ts — `npm run bench:economy`: what one simulated day of the streaming economy costs.
 *
 * Method
 * - Three whole runs of `economy-baseline` (one simulated day), each in a fresh child process (`popsim run --json`),
 *   so each pays its own start-up and its peak memory is its own: at 1/10 of the population, at 1× (10,000 viewers,
 *   1,000 creators, 500 masternodes; delegates stay 21) and at 10×. `BENCH_SCALES=0.1,1` skips the 10× run (it takes
 *   minutes and several GB). Wall time is the child's (`wallTimeS`, measured around the run, store writes included);
 *   peak memory is the child's max RSS (`maxRssKb` in the `--json` summary, from `process.resourceUsage`).
 * - Rates, from the run's own counters: events/s, vouchers signed/s (signatures are lazy: `channels.vouchers_signed`
 *   counts the real ones), vouchers issued/s, EVM calls/s (`chain.evm_calls`).
 * - References measured in this same process, so machine load cancels: the kernel's bare event rate (PHOLD in
 *   sim/kernel/workloads.ts, the rate no model can beat), native secp256k1 signatures per second on voucher digests,
 *   and bare EVM calls per second (a POP transfer in a fresh host). Each run's figure is printed as a ratio to its
 *   reference, and the cost growth as t(10×)/t(1×) against the goal of ≤ 12×, and t(1×) against the goal of 60 s.
 * The machines are shared: the load average is printed before and after.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pholdKernel } from "../../sim/kernel/workloads.ts";
import { bytesToHex } from "../evm/hex.ts";
import { deriveKeyPair, signVoucher } from "../evm/sign.ts";
import { systemFixture } from "../evm/testkit.ts";
import { POP } from "../evm/genesis.ts";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
const BIN = join(ROOT, "bin", "popsim.js");
const dir = mkdtempSync(join(tmpdir(), "popsim-economy-bench-"));
const scales = (process.env.BENCH_SCALES ?? "0.1,1,10").split(",").map(Number);
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const clock = () => performance.now() / 1000;

function kernelRate(): number {
  const events = 2_000_000;
  const t0 = clock();
  pholdKernel(1000, 10, events, 1);
  return events / (clock() - t0);
}

function signRate(): number {
  const key = deriveKeyPair(1, "bench/voucher").privateKey;
  const contract = deriveKeyPair(1, "bench/contract").address;
  const n = 3_000;
  const t0 = clock();
  for (let i = 0; i < n; i++) signVoucher(key, { contract, chainId: 0x504f50n, channelId: bytesToHex(new Uint8Array(32).fill(i & 0xff)), payment: BigInt(i + 1) });
  return n / (clock() - t0);
}

async function evmRate(): Promise<number> {
  const t = await systemFixture(2);
  const n = 500;
  const t0 = clock();
  for (let i = 0; i < n; i++) await t.host.call(t.users[0].address, t.system.token, "transfer", [t.users[1].address, POP]);
  return n / (clock() - t0);
}

interface Run { scale: number; wallS: number; rssMb: number; events: number; signed: number; issued: number; evmCalls: number; segments: number; status: string }

function runAt(scale: number): Run {
  const pop = (n: number) => Math.max(1, Math.round(n * scale));
  const db = join(dir, `s${scale}.duckdb`);
  const out = execFileSync(process.execPath, [BIN, "run", "economy-baseline", "--json", "--db", db,
    "--set", `population.viewers=${pop(10_000)}`, "--set", `population.creators=${pop(1_000)}`, "--set", `population.masternodes=${pop(500)}`],
  { cwd: ROOT, maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] }).toString();
  const s = JSON.parse(out.trim().split("\n").pop()!);
  const m = s.metrics as Record<string, number>;
  return {
    scale, wallS: s.wallTimeS, rssMb: (s.maxRssKb ?? 0) / 1024, events: s.events, status: s.status,
    signed: m["channels.vouchers_signed"] ?? 0, issued: m["channels.vouchers_issued"] ?? 0, evmCalls: m["chain.evm_calls"] ?? 0,
    segments: m["distribution.segments_delivered"] ?? 0,
  };
}

console.log(`bench:economy — economy-baseline, one simulated day, at ${scales.join("×, ")}× population; load ${load()}`);
const refKernel = kernelRate();
const refSign = signRate();
const refEvm = await evmRate();
console.log(`references (this process): kernel PHOLD ${(refKernel / 1e6).toFixed(2)} M events/s · native secp256k1 ${refSign.toFixed(0)} signatures/s · bare EVM ${refEvm.toFixed(0)} calls/s`);
const runs: Run[] = [];
for (const scale of scales) {
  const r = runAt(scale);
  runs.push(r);
  console.log(
    `  ${String(scale).padStart(4)}×  ${r.status}  wall ${r.wallS.toFixed(1)} s · peak RSS ${r.rssMb.toFixed(0)} MB · ${r.events.toLocaleString("en")} events (${(r.events / r.wallS / 1e6).toFixed(2)} M/s = ${(r.events / r.wallS / refKernel).toFixed(3)} × bare kernel)` +
    ` · ${r.segments.toLocaleString("en")} segments · vouchers issued ${(r.issued / r.wallS).toFixed(0)}/s, signed ${(r.signed / r.wallS).toFixed(1)}/s (${r.signed} of ${r.issued}; ${(r.signed / r.wallS / refSign).toFixed(4)} × native signing rate)` +
    ` · EVM ${r.evmCalls.toLocaleString("en")} calls, ${(r.evmCalls / r.wallS).toFixed(0)}/s (${(r.evmCalls / r.wallS / refEvm).toFixed(2)} × bare EVM)`,
  );
}
const one = runs.find((r) => r.scale === 1);
if (one) console.log(`goal: one simulated day of economy-baseline ≤ 60 s — measured ${one.wallS.toFixed(1)} s (${(one.wallS / 60).toFixed(2)} × the goal)`);
const ten = runs.find((r) => r.scale === 10);
const tenth = runs.find((r) => r.scale === 0.1);
if (one && tenth) console.log(`cost growth 1/10× → 1×: ${(one.wallS / tenth.wallS).toFixed(2)}× the time for 10× the population`);
if (one && ten) console.log(`cost growth 1× → 10×: ${(ten.wallS / one.wallS).toFixed(2)}× the time (goal ≤ 12×)`);
console.log(`load after: ${load()}`);
rmSync(dir, { recursive: true, force: true });
