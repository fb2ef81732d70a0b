/**
 * Storage benchmark: `npx tsx models/storage/storage.bench.ts` (npm run bench:storage).
 *
 * Purpose: the cost side of byte mode — how fast Reed–Solomon encode/decode run next to AES-256-GCM on the
 * same bytes in the same process (so the ratio is meaningful even on a busy machine), and how many segments
 * per second each placement policy handles at the scale metadata-mode runs use (100k segments, 1,000 nodes).
 *
 * Method: one deterministic 8 MiB payload from a seeded Prng; every measurement is warmed up first, then
 * repeated, and the best and median of the repeats are printed (best approximates the machine's capability,
 * median its typical behaviour under load). Decoding erases the largest number of *data* shards the code can
 * lose — min(k, n − k) — which forces the most reconstruction work. Wall-clock timing is allowed here, and
 * only here: a benchmark measures the machine, not the simulation.
 *
 * The model run (issue 3 item 10): the storage model in metadata mode, 100k segments (RS 10/12/14/16) on 1,000
 * masternodes that churn (daily sessions, lognormal gaps, 5 % departures per session, arrivals), with audits and
 * lazy repair through the network model, over two simulated days. It prints setup (placement of 100k segments)
 * and the run's events per second, and beside them the kernel's PHOLD rate (1,000 LPs × 10 in flight, the
 * kernel benchmark's workload) measured in the same process, so the ratio says what the model costs per event
 * relative to a bare kernel event whatever the machine's load. `STORAGE_BENCH_MODEL=0` skips it.
 */
import { Prng } from "../../sim/kernel/prng.ts";
import { deriveVideoKey, encryptSegment, shardHash } from "./encrypt.ts";
import { buildPlacementTable, placeRandom, placeRendezvous, spreadPolicy, type MasternodeInfo } from "./placement.ts";
import { createCode } from "./reedSolomon.ts";
import { pholdKernel } from "../../sim/kernel/workloads.ts";
import { buildWorld, runScenario } from "../../sim/runner/run.ts";
import { scenarioFrom } from "../../scenarios/load.ts";
import { StorageModel, storagePlugin } from "./model.ts";

const PAYLOAD_BYTES = 8 * 1024 * 1024;
const WARMUP_RUNS = 2;
const MEASURED_RUNS = 9;
const PLACEMENT_SEGMENTS = 100_000;
const PLACEMENT_NODES = 1_000;
const PLACEMENT_RUNS = 3;
const MB = 1e6;

interface Timing {
  bestMs: number;
  medianMs: number;
}

function measure(runs: number, warmups: number, work: () => void): Timing {
  for (let i = 0; i < warmups; i++) work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { bestMs: samples[0], medianMs: samples[Math.floor(samples.length / 2)] };
}

const rate = (units: number, ms: number): number => units / (ms / 1000);
const pad = (s: string, width: number): string => s.padEnd(width);
const fixed = (x: number, digits: number, width: number): string => x.toFixed(digits).padStart(width);

function main(): void {
  const payload = new Prng("storage-bench", "payload").bytes(PAYLOAD_BYTES);
  const key = deriveVideoKey("storage-bench-secret", "bench-video");
  console.log(
    `popsim storage bench: ${PAYLOAD_BYTES / 1024 / 1024} MiB payload, node ${process.version}, ` +
      `best/median of ${MEASURED_RUNS} runs after ${WARMUP_RUNS} warm-ups (MB = 10^6 bytes)`,
  );

  const rows: { label: string; timing: Timing }[] = [];
  const aes = measure(MEASURED_RUNS, WARMUP_RUNS, () => {
    encryptSegment(key, "bench-video", 0, payload);
  });
  rows.push({ label: "AES-256-GCM encrypt", timing: aes });

  for (const [k, n] of [[10, 14], [29, 80]] as const) {
    const code = createCode(k, n);
    const shards = code.encode(payload);
    rows.push({ label: `RS(${k},${n}) encode`, timing: measure(MEASURED_RUNS, WARMUP_RUNS, () => void code.encode(payload)) });
    const erased = Math.min(k, n - k);
    const damaged: (Uint8Array | null)[] = shards.slice();
    for (let j = 0; j < erased; j++) damaged[j] = null;
    // Check once outside the timed loop that the decode being timed is a correct one.
    const check = code.decode(damaged, payload.length);
    if (Buffer.compare(Buffer.from(check), Buffer.from(payload)) !== 0) throw new Error(`RS(${k},${n}) bench decode is wrong`);
    rows.push({
      label: `RS(${k},${n}) decode, ${erased} data shards erased`,
      timing: measure(MEASURED_RUNS, WARMUP_RUNS, () => void code.decode(damaged, payload.length)),
    });
    if (k === 29) {
      rows.push({
        label: `SHA-256 shard hashes (${n} shards)`,
        timing: measure(MEASURED_RUNS, WARMUP_RUNS, () => void shards.forEach(shardHash)),
      });
    }
  }

  for (const { label, timing } of rows) {
    const best = rate(PAYLOAD_BYTES / MB, timing.bestMs);
    const median = rate(PAYLOAD_BYTES / MB, timing.medianMs);
    // Ratios compare like with like (best with best, median with median), both measured in this process.
    const ratioBest = timing.bestMs === 0 ? 0 : aes.bestMs / timing.bestMs;
    const ratioMedian = timing.medianMs === 0 ? 0 : aes.medianMs / timing.medianMs;
    console.log(
      `${pad(label, 40)} best ${fixed(best, 1, 7)} MB/s   median ${fixed(median, 1, 7)} MB/s   ` +
        `vs AES: best ${fixed(ratioBest, 3, 6)}×  median ${fixed(ratioMedian, 3, 6)}×`,
    );
  }

  const nodes: MasternodeInfo[] = Array.from({ length: PLACEMENT_NODES }, (_, i) => ({
    nodeId: 100_000 + i,
    regionId: `region-${i % 10}`,
    operatorId: `operator-${i % 250}`,
    stakeBondedWei: 50_000n * 10n ** 18n,
    departed: false,
    capacityShards: 1_000_000,
  }));
  const table = buildPlacementTable(nodes, 50_000n * 10n ** 18n);
  const policy = spreadPolicy(table, 80);
  const rng = new Prng("storage-bench", "placement");
  let relaxed = 0;
  const rendezvous = measure(PLACEMENT_RUNS, 1, () => {
    for (let s = 0; s < PLACEMENT_SEGMENTS; s++) relaxed += placeRendezvous(table, s, policy).relaxedCount;
  });
  const random = measure(PLACEMENT_RUNS, 1, () => {
    for (let s = 0; s < PLACEMENT_SEGMENTS; s++) placeRandom(table, 80, rng);
  });
  const placementLabel = `${PLACEMENT_SEGMENTS / 1000}k segments × n=80 on ${PLACEMENT_NODES} nodes`;
  for (const [name, timing] of [["rendezvous", rendezvous], ["random", random]] as const) {
    console.log(
      `${pad(`placement ${name}`, 22)}${pad(placementLabel, 36)} best ${fixed(rate(PLACEMENT_SEGMENTS, timing.bestMs), 0, 8)} ` +
        `segments/s   median ${fixed(rate(PLACEMENT_SEGMENTS, timing.medianMs), 0, 8)} segments/s   ` +
        `(${(timing.medianMs / 1000).toFixed(2)} s per 100k)`,
    );
  }
  console.log(
    `placement policy: at most ${policy.regionShardsMax} shards per region (10 regions), ` +
      `${policy.operatorShardsMax} per operator (250 operators); shards placed with caps relaxed: ${relaxed}`,
  );
}

function modelBench(): Promise<void> {
  const scenario = scenarioFrom({
    seed: 1,
    duration: "2d",
    metrics: { interval: "1h" },
    population: { viewers: 0, creators: 0, masternodes: PLACEMENT_NODES, delegates: 0 },
    traffic: { enabled: false },
    churn: {
      masternode: {
        enabled: true,
        online: { dist: "exponential", mean: 86_400 },
        offline: { dist: "lognormal", mean: 3600, cv: 1.5 },
        departure: 0.05,
        arrivalsPerDay: 50,
        initialOnline: 0.97,
      },
    },
    models: {
      storage: {
        enabled: true, mode: "metadata", k: 10, m: 12, o: 14, n: 16, videos: 1000, segmentsPerVideo: 100,
        audit: { interval: "6h" }, repair: { detectionDelay: "1h", concurrencyMax: 64 },
      },
    },
  });
  // Setup alone (world + placement of every segment), to separate it from the event rate.
  const setupStart = performance.now();
  new StorageModel(buildWorld(scenario), scenario.models.storage);
  const setupMs = performance.now() - setupStart;
  const phold = measure(3, 1, () => void pholdKernel(1000, 10, 2_000_000, 1));
  const pholdRate = rate(2_000_000, phold.bestMs);
  const runStart = performance.now();
  return runScenario({ scenario, plugins: [storagePlugin] }).then((r) => {
    const totalMs = performance.now() - runStart;
    const eventsPerS = rate(r.outcome.events, totalMs - setupMs);
    const get = (name: string) => r.metrics.find((x) => x.name === name)?.value ?? 0;
    console.log(
      `storage model, metadata mode: 100k segments on ${PLACEMENT_NODES} masternodes, 2 simulated days with churn — ` +
        `setup ${(setupMs / 1000).toFixed(2)} s, ${r.outcome.events.toLocaleString("en-US")} events in ${((totalMs - setupMs) / 1000).toFixed(2)} s`,
    );
    console.log(
      `  ${get("storage.repairs_completed").toLocaleString("en-US")} repairs, ${get("storage.audits").toLocaleString("en-US")} audits, ` +
        `${(get("storage.repair_bytes") / 1e9).toFixed(1)} GB repair traffic, ${get("storage.segments_lost")} segments lost`,
    );
    console.log(
      `  ${fixed(eventsPerS, 0, 9)} events/s   vs kernel PHOLD ${fixed(pholdRate, 0, 9)} events/s (best of 3, same process): ` +
        `${(eventsPerS / pholdRate).toFixed(3)}×`,
    );
  });
}

main();
if (process.env.STORAGE_BENCH_MODEL !== "0") await modelBench();
