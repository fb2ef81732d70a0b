/**
 * reports/format.ts — metric names, units and number formatting for reports.
 *
 * Purpose: one place that reads a metric name `<model>.<quantity>[_<unit>][.<stat>]` (DESIGN.md §5) into its
 * prefix, unit and statistic, and writes numbers the same way in every table, so a report never depends on the
 * machine's locale.
 *
 * Method: units are recognised from a fixed table of suffixes (`_s`, `_ms`, `_bytes`, `_usd`, …); a name with no
 * known suffix is a count. Histogram statistics (`.mean`, `.p99`, …) keep the quantity's unit except `.count`.
 * Thousands are grouped by hand (no `toLocaleString`, whose output depends on ICU data), so the same value
 * always prints the same text.
 */

export interface UnitInfo {
  /** The suffix as written in the name (`s`, `bytes`), or "" for a count. */
  suffix: string;
  /** How tables print it (`s`, `bytes`, `USD`); "" for counts. */
  label: string;
  /** A longer description for headers and tooltips. */
  long: string;
}

const UNITS: Record<string, Omit<UnitInfo, "suffix">> = {
  us: { label: "µs", long: "microseconds" },
  ms: { label: "ms", long: "milliseconds" },
  s: { label: "s", long: "seconds" },
  min: { label: "min", long: "minutes" },
  h: { label: "h", long: "hours" },
  d: { label: "d", long: "days" },
  bytes: { label: "bytes", long: "bytes" },
  bits: { label: "bits", long: "bits" },
  bps: { label: "bit/s", long: "bits per second" },
  mbps: { label: "Mbit/s", long: "megabits per second" },
  usd: { label: "USD", long: "US dollars" },
  wei: { label: "wei", long: "wei (10⁻¹⁸ token)" },
  pop: { label: "POP", long: "POP tokens" },
  lit: { label: "LIT", long: "LIT units" },
  gas: { label: "gas", long: "gas" },
  ratio: { label: "ratio", long: "fraction from 0 to 1" },
  fraction: { label: "fraction", long: "fraction from 0 to 1" },
  pct: { label: "%", long: "percent" },
  per_s: { label: "/s", long: "per second" },
};

const HISTOGRAM_STATS = new Set(["count", "mean", "p50", "p90", "p99", "max", "min", "sum"]);

export interface MetricName {
  name: string;
  /** `net.` — the model prefix, dot included ("" if the name has no dot). */
  prefix: string;
  /** `messages_sent` / `fetch_latency_s`. */
  quantity: string;
  /** `p99` for `traffic.fetch_latency_s.p99`, else undefined. */
  stat: string | undefined;
  unit: UnitInfo;
}

/** Reads a metric name into prefix, quantity, statistic and unit. */
export function parseMetricName(name: string): MetricName {
  const parts = name.split(".");
  if (parts.length < 2) return { name, prefix: "", quantity: name, stat: undefined, unit: unitOf(name, undefined) };
  const prefix = parts[0] + ".";
  const last = parts[parts.length - 1];
  const stat = parts.length >= 3 && HISTOGRAM_STATS.has(last) ? last : undefined;
  const quantity = parts.slice(1, stat === undefined ? parts.length : parts.length - 1).join(".");
  return { name, prefix, quantity, stat, unit: unitOf(quantity, stat) };
}

function unitOf(quantity: string, stat: string | undefined): UnitInfo {
  if (stat === "count") return { suffix: "", label: "", long: "count" };
  for (const suffix of ["per_s"]) {
    if (quantity.endsWith("_" + suffix)) return { suffix, ...UNITS[suffix] };
  }
  const us = quantity.lastIndexOf("_");
  if (us >= 0) {
    const suffix = quantity.slice(us + 1);
    const u = UNITS[suffix];
    if (u !== undefined) return { suffix, ...u };
  }
  return { suffix: "", label: "", long: "count" };
}

/** The model prefix of a metric name (`net.` for `net.messages_sent`). */
export function prefixOf(name: string): string {
  return parseMetricName(name).prefix;
}

/** Groups digits by thousands: "1234567" → "1,234,567". */
function group(intText: string): string {
  const neg = intText.startsWith("-");
  const digits = neg ? intText.slice(1) : intText;
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return (neg ? "-" : "") + out;
}

/** A number as tables print it: integers grouped, others with 4 significant digits; NaN → "—". */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return group(v.toFixed(0));
  const a = Math.abs(v);
  if (a >= 1e15) return v.toExponential(3);
  if (a >= 1000) {
    const [i, f] = v.toFixed(1).split(".");
    return `${group(i)}.${f}`;
  }
  if (a !== 0 && a < 1e-4) return v.toExponential(3);
  const p = v.toPrecision(4);
  return p.includes("e") ? p : p.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** Like formatNumber, but |v| ≥ 10⁶ as 4 significant digits with an SI prefix ("57.08 G"): for dense tables. */
export function formatCompact(v: number): string {
  const a = Math.abs(v);
  if (!Number.isFinite(v) || a < 1e6) return formatNumber(v);
  const prefixes: [number, string][] = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"]];
  for (const [f, p] of prefixes) if (a >= f) return `${(v / f).toPrecision(4)} ${p}`;
  return formatNumber(v);
}

/** Binary-free SI size ("57.58 GB") for byte counts ≥ 1000, else undefined. */
export function humanBytes(v: number): string | undefined {
  if (!Number.isFinite(v) || Math.abs(v) < 1000) return undefined;
  const units = ["kB", "MB", "GB", "TB", "PB", "EB"];
  let x = Math.abs(v) / 1000, i = 0;
  while (x >= 1000 && i < units.length - 1) { x /= 1000; i++; }
  return `${v < 0 ? "-" : ""}${x.toFixed(2)} ${units[i]}`;
}

/** A value with a human gloss where one helps (bytes → "… (57.58 GB)"). */
export function formatValue(v: number, unit: UnitInfo): string {
  const base = formatNumber(v);
  if (unit.suffix === "bytes") {
    const h = humanBytes(v);
    return h === undefined ? base : `${base} (${h})`;
  }
  return base;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A file-name-safe form of an id (run ids, sweep ids, prefixes). */
export function safeFileName(s: string): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[.]+/, "_");
  return t.length > 0 ? t.slice(0, 120) : "report";
}

/** Simulated time in µs → a short human duration ("6 h", "35 min"). */
export function formatSimTime(us: number): string {
  const s = us / 1e6;
  if (s >= 86400 * 2) return `${formatNumber(+(s / 86400).toFixed(2))} d`;
  if (s >= 7200) return `${formatNumber(+(s / 3600).toFixed(2))} h`;
  if (s >= 120) return `${formatNumber(+(s / 60).toFixed(2))} min`;
  return `${formatNumber(+s.toFixed(3))} s`;
}
