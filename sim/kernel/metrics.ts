/**
 * The metrics registry a run's models write to.
 *
 * Purpose: one place for every number a run reports, named `<model>.<quantity>[_<unit>]` (DESIGN.md §5), so the
 * store, sweeps, `compare` and reports pick up a new model's metrics without code changes.
 *
 * Kinds:
 * - counter: a monotone total (events, bytes, failures). Sampled into the time series and reported at the end.
 * - gauge: a function read at each sample and at the end (e.g. nodes up now).
 * - histogram: a distribution of observations (latencies, sizes) in logarithmic buckets of ratio 2^(1/32)
 *   (≈ 2.2 % relative resolution) with exact count, sum, min and max. Reported as count/mean/p50/p90/p99/max.
 *   Bounded memory whatever the number of observations.
 * - summary: a value set once, typically at the end of a run (e.g. a derived ratio).
 * Registration order is the reporting order; names are unique. Sums run in event order, which is deterministic.
 */
export class Counter {
  value = 0;
  constructor(readonly name: string) {}
  add(n: number): void {
    this.value += n;
  }
}

const BUCKETS_PER_OCTAVE = 32;
const MIN_EXP = -40; // 2^-40 ≈ 1e-12
const MAX_EXP = 60; // 2^60 ≈ 1e18
const BUCKETS = (MAX_EXP - MIN_EXP) * BUCKETS_PER_OCTAVE;

export class Histogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  zeros = 0;
  private readonly buckets = new Float64Array(BUCKETS);
  constructor(readonly name: string) {}

  observe(x: number): void {
    if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`histogram ${this.name}: observation must be finite and ≥ 0, got ${x}`);
    this.count++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x === 0) {
      this.zeros++;
      return;
    }
    let b = Math.floor((Math.log2(x) - MIN_EXP) * BUCKETS_PER_OCTAVE);
    if (b < 0) b = 0;
    else if (b >= BUCKETS) b = BUCKETS - 1;
    this.buckets[b]++;
  }

  get mean(): number {
    return this.count > 0 ? this.sum / this.count : NaN;
  }

  /** Quantile q ∈ [0,1]: the geometric midpoint of the bucket holding the q-th observation, clamped to [min,max]. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank <= this.zeros) return 0;
    let seen = this.zeros;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.buckets[b];
      if (seen >= rank) {
        const v = Math.pow(2, MIN_EXP + (b + 0.5) / BUCKETS_PER_OCTAVE);
        return Math.min(this.max, Math.max(this.min, v));
      }
    }
    return this.max;
  }
}

export class Metrics {
  private readonly counters: Counter[] = [];
  private readonly gauges: { name: string; read: () => number }[] = [];
  private readonly histograms: Histogram[] = [];
  private readonly summaries = new Map<string, number>();
  private readonly summaryOrder: string[] = [];
  private readonly names = new Set<string>();

  private claim(name: string): void {
    if (!/^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/.test(name)) throw new Error(`metric name "${name}" must look like <model>.<quantity>[_<unit>]`);
    if (this.names.has(name)) throw new Error(`metric "${name}" registered twice`);
    this.names.add(name);
  }

  counter(name: string): Counter {
    this.claim(name);
    const c = new Counter(name);
    this.counters.push(c);
    return c;
  }

  gauge(name: string, read: () => number): void {
    this.claim(name);
    this.gauges.push({ name, read });
  }

  histogram(name: string): Histogram {
    this.claim(name);
    const h = new Histogram(name);
    this.histograms.push(h);
    return h;
  }

  /** Set a summary value (reported once, at the end). May be set repeatedly; the last value counts. */
  summary(name: string, value: number): void {
    if (!this.summaries.has(name)) {
      this.claim(name);
      this.summaryOrder.push(name);
    }
    this.summaries.set(name, value);
  }

  /** Names and values sampled into the time series: counters then gauges, in registration order. */
  sample(out: (name: string, value: number) => void): void {
    for (const c of this.counters) out(c.name, c.value);
    for (const g of this.gauges) out(g.name, g.read());
  }

  /** Every metric's final value(s): counters, gauges, histogram statistics, summaries. */
  final(): { name: string; value: number }[] {
    const rows: { name: string; value: number }[] = [];
    for (const c of this.counters) rows.push({ name: c.name, value: c.value });
    for (const g of this.gauges) rows.push({ name: g.name, value: g.read() });
    for (const h of this.histograms) {
      rows.push({ name: `${h.name}.count`, value: h.count });
      if (h.count > 0) {
        rows.push({ name: `${h.name}.mean`, value: h.mean });
        rows.push({ name: `${h.name}.p50`, value: h.quantile(0.5) });
        rows.push({ name: `${h.name}.p90`, value: h.quantile(0.9) });
        rows.push({ name: `${h.name}.p99`, value: h.quantile(0.99) });
        rows.push({ name: `${h.name}.max`, value: h.max });
      }
    }
    for (const n of this.summaryOrder) rows.push({ name: n, value: this.summaries.get(n)! });
    return rows;
  }
}
