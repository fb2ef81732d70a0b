/**
 * bench:kernel — the popsim kernel against a bare typed-array heap loop, in the same process.
 *
 * Workloads (issue 2, item 9):
 *  (a) M/M/1, λ = 0.9, μ = 1, 1 M customers — also checks the mean wait in queue against theory
 *      Wq = ρ/(μ−λ) = 9.0, with a batch-means 95 % confidence interval;
 *  (b) PHOLD, 1,000 logical processes × 10 events in flight, exponential delays, 5 M events;
 *  (c) PHOLD with 100 k events in flight (10,000 LPs × 10), 5 M events.
 * The yardstick is a minimal binary heap over (time, seq, target) in typed arrays with the workload inlined: no
 * dispatch, no trace hash, no cancellation support. Both sides draw from the same kind of Prng with the same
 * labels, so they process the same events. Each figure is the best of `REPS` repetitions (noise on a shared
 * machine only ever slows a run down). The last line is the minimum ratio over the workloads.
 * Wall-clock timing is used here and only here: this file is a benchmark, not part of any run.
 */
import { Prng, exponential } from "./index.ts";
import { tStudentCritical95 } from "./benchStats.ts";
import { mm1Kernel, pholdKernel, type MM1Result } from "./workloads.ts";

const REPS = Number(process.env.BENCH_REPS ?? 3);
const SCALE = Number(process.env.BENCH_SCALE ?? 1); // <1 for a quick smoke run
const UNIT = 1_000_000; // one model time unit = 1 s = 1e6 µs, so rounding to whole µs is negligible

// ---------------------------------------------------------------------------------------------------------------
// The bare yardstick heap.
class BareHeap {
  t = new Float64Array(1 << 17);
  s = new Float64Array(1 << 17);
  v = new Int32Array(1 << 17);
  n = 0;
  seq = 0;
  push(time: number, val: number): void {
    if (this.n === this.t.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => { const b = new (a.constructor as any)(a.length * 2); b.set(a); return b; };
      this.t = grow(this.t); this.s = grow(this.s); this.v = grow(this.v);
    }
    const t = this.t, s = this.s, v = this.v;
    const seq = this.seq++;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t[p] < time || (t[p] === time && s[p] < seq)) break;
      t[i] = t[p]; s[i] = s[p]; v[i] = v[p];
      i = p;
    }
    t[i] = time; s[i] = seq; v[i] = val;
  }
  /** Pops the top; returns its value; its time is left in `topTime`. */
  topTime = 0;
  pop(): number {
    const t = this.t, s = this.s, v = this.v;
    const out = v[0];
    this.topTime = t[0];
    const n = --this.n;
    const lt = t[n], ls = s[n], lv = v[n];
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < n && (t[r] < t[c] || (t[r] === t[c] && s[r] < s[c]))) c = r;
      if (lt < t[c] || (lt === t[c] && ls < s[c])) break;
      t[i] = t[c]; s[i] = s[c]; v[i] = v[c];
      i = c;
    }
    t[i] = lt; s[i] = ls; v[i] = lv;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// M/M/1
const ARRIVAL = 0, DEPARTURE = 1;

function mm1Bare(customers: number, seed: number): MM1Result {
  const ra = new Prng(seed, "mm1/arrivals"), rs = new Prng(seed, "mm1/service");
  const h = new BareHeap();
  const queue = new Float64Array(customers); // arrival times of waiting customers (FIFO ring not needed: bounded)
  let qHead = 0, qTail = 0, busy = false, arrived = 0, served = 0, events = 0;
  let waitSum = 0;
  const batches = 50, perBatch = Math.floor(customers / batches);
  const batchMeans: number[] = []; let batchSum = 0, batchN = 0;
  h.push(Math.round(exponential(ra, 1 / 0.9) * UNIT), ARRIVAL);
  while (h.n > 0 && served < customers) {
    const kind = h.pop(); const now = h.topTime; events++;
    if (kind === ARRIVAL) {
      arrived++;
      if (arrived < customers) h.push(now + Math.round(exponential(ra, 1 / 0.9) * UNIT), ARRIVAL);
      if (!busy) { busy = true; h.push(now + Math.round(exponential(rs, 1) * UNIT), DEPARTURE); const w = 0; waitSum += w; batchSum += w; batchN++; }
      else queue[qTail++] = now;
    } else {
      served++;
      if (qHead < qTail) {
        const w = (now - queue[qHead++]) / UNIT; waitSum += w; batchSum += w; batchN++;
        h.push(now + Math.round(exponential(rs, 1) * UNIT), DEPARTURE);
      } else busy = false;
    }
    if (batchN === perBatch) { batchMeans.push(batchSum / perBatch); batchSum = 0; batchN = 0; }
  }
  return { events, meanWait: waitSum / customers, batchMeans };
}

// ---------------------------------------------------------------------------------------------------------------
// PHOLD
function pholdBare(lps: number, perLp: number, events: number, seed: number): number {
  const rng = new Prng(seed, "phold");
  const h = new BareHeap();
  for (let lp = 0; lp < lps; lp++) for (let j = 0; j < perLp; j++) h.push(Math.round(exponential(rng, 1) * UNIT), lp);
  let n = 0;
  while (n < events) {
    h.pop(); n++;
    const now = h.topTime;
    h.push(now + Math.round(exponential(rng, 1) * UNIT), rng.int(lps));
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
function time<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

function bestOf(f: () => number): { events: number; rate: number } {
  let best = 0, events = 0;
  for (let r = 0; r < REPS; r++) {
    const { value, seconds } = time(f);
    events = value;
    best = Math.max(best, value / seconds);
  }
  return { events, rate: best };
}

const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M events/s`;
const ratios: number[] = [];

function compare(name: string, kernelF: () => number, bareF: () => number): void {
  // Interleave warm-up so both sides are optimised before measuring.
  kernelF(); bareF();
  const b = bestOf(bareF);
  const k = bestOf(kernelF);
  const ratio = k.rate / b.rate;
  ratios.push(ratio);
  console.log(`${name.padEnd(34)} kernel ${fmt(k.rate).padStart(18)}   bare ${fmt(b.rate).padStart(18)}   ratio ${ratio.toFixed(3)}   (${k.events} events, best of ${REPS})`);
}

const customers = Math.round(1_000_000 * SCALE);
const pholdEvents = Math.round(5_000_000 * SCALE);
console.log(`bench:kernel — node ${process.version}, reps=${REPS}, scale=${SCALE}`);
compare("M/M/1 (λ=0.9, μ=1)", () => mm1Kernel(customers, 1).events, () => mm1Bare(customers, 1).events);
compare("PHOLD 1,000 LPs × 10 in flight", () => pholdKernel(1000, 10, pholdEvents, 2), () => pholdBare(1000, 10, pholdEvents, 2));
compare("PHOLD 100 k in flight", () => pholdKernel(10_000, 10, pholdEvents, 3), () => pholdBare(10_000, 10, pholdEvents, 3));

// Theory check: M/M/1 mean wait in queue, Wq = ρ/(μ − λ) = 0.9 / 0.1 = 9.0.
const mm = mm1Kernel(customers, 11);
const bm = mm.batchMeans;
const mean = bm.reduce((a, b) => a + b, 0) / bm.length;
const sd = Math.sqrt(bm.reduce((a, b) => a + (b - mean) ** 2, 0) / (bm.length - 1));
const half = tStudentCritical95(bm.length - 1) * sd / Math.sqrt(bm.length);
console.log(`M/M/1 mean wait in queue: ${mm.meanWait.toFixed(3)} (batch means ${mean.toFixed(3)} ± ${half.toFixed(3)}, 95 % CI over ${bm.length} batches); theory 9.000 — ${Math.abs(mean - 9) <= half ? "inside" : "OUTSIDE"} the interval`);
console.log(`kernel/bare ratio: ${Math.min(...ratios).toFixed(3)}`);
