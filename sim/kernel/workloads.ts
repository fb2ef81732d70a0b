/**
 * Reference workloads on the kernel with known theory, shared by the kernel benchmark and the theory tests:
 * - M/M/1 (Poisson arrivals at rate λ, exponential service at rate μ, one server, FIFO): mean wait in queue
 *   Wq = ρ/(μ − λ) with ρ = λ/μ. Waits are reported as batch means (50 batches) because successive waits are
 *   correlated; the batch means are close to independent, so a t-interval over them is honest.
 * - PHOLD (Fujimoto's synthetic benchmark): each event schedules one new event at a random logical process after
 *   an exponential delay, so the number in flight stays constant.
 * One model time unit is 1 s = 1e6 µs, so rounding delays to whole microseconds is negligible.
 */
import { Kernel, type SimContext } from "./kernel.ts";
import { exponential } from "./distributions.ts";

const UNIT = 1_000_000;

export interface MM1Result { events: number; meanWait: number; batchMeans: number[] }

export function mm1Kernel(customers: number, seed: number, lambda = 0.9, mu = 1): MM1Result {
  const k = new Kernel({ seed });
  const ra = k.rng("mm1/arrivals"), rs = k.rng("mm1/service");
  const queue = new Float64Array(customers);
  let qHead = 0, qTail = 0, busy = false, arrived = 0, served = 0;
  let waitSum = 0;
  const batches = 50, perBatch = Math.floor(customers / batches);
  const batchMeans: number[] = []; let batchSum = 0, batchN = 0;
  const record = (w: number) => { waitSum += w; batchSum += w; batchN++; if (batchN === perBatch) { batchMeans.push(batchSum / perBatch); batchSum = 0; batchN = 0; } };
  let departure = 0;
  const arrival = k.register("mm1.arrival", (ctx: SimContext) => {
    arrived++;
    if (arrived < customers) ctx.schedule(Math.round(exponential(ra, 1 / lambda) * UNIT), arrival);
    if (!busy) { busy = true; ctx.schedule(Math.round(exponential(rs, 1 / mu) * UNIT), departure); record(0); }
    else queue[qTail++] = ctx.now;
  });
  departure = k.register("mm1.departure", (ctx: SimContext) => {
    served++;
    if (qHead < qTail) { record((ctx.now - queue[qHead++]) / UNIT); ctx.schedule(Math.round(exponential(rs, 1 / mu) * UNIT), departure); }
    else busy = false;
    if (served === customers) ctx.stop("all customers served");
  });
  k.schedule(Math.round(exponential(ra, 1 / lambda) * UNIT), arrival);
  const out = k.run({ endTime: Number.MAX_SAFE_INTEGER });
  return { events: out.events, meanWait: waitSum / customers, batchMeans };
}


export function pholdKernel(lps: number, perLp: number, events: number, seed: number): number {
  const k = new Kernel({ seed });
  const rng = k.rng("phold");
  let kind = 0;
  kind = k.register("phold.event", (ctx: SimContext) => {
    ctx.schedule(Math.round(exponential(rng, 1) * UNIT), kind, rng.int(lps));
  });
  for (let lp = 0; lp < lps; lp++) for (let j = 0; j < perLp; j++) k.schedule(Math.round(exponential(rng, 1) * UNIT), kind, lp);
  return k.run({ endTime: Number.MAX_SAFE_INTEGER, maxEvents: events }).events;
}

