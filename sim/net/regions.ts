/**
 * Built-in regions and their one-way latencies.
 *
 * Source: approximate median round-trip times between the corresponding public-cloud regions (N. Virginia,
 * Oregon, Ireland, Frankfurt, Singapore, Tokyo, São Paulo, Sydney, Mumbai), as shown by public inter-region
 * latency dashboards (e.g. cloudping.co's AWS inter-region table, 2023–2024), rounded to 5 ms. One-way latency is
 * taken as half the round trip. Intra-region latency (`INTRA_REGION_RTT_MS`) stands for the access network
 * between home users and servers in the same metro area. These are backbone figures: a scenario adds jitter,
 * and access links add serialisation time through bandwidth (network.ts).
 */
export const REGION_NAMES = [
  "us-east", "us-west", "eu-west", "eu-central", "ap-southeast", "ap-northeast", "sa-east", "ap-south", "oceania",
] as const;
export type RegionName = (typeof REGION_NAMES)[number];

export const INTRA_REGION_RTT_MS = 10;

// Round-trip times in ms, upper triangle in REGION_NAMES order.
const RTT: Record<string, number> = {
  "us-east|us-west": 65, "us-east|eu-west": 70, "us-east|eu-central": 90, "us-east|ap-southeast": 215,
  "us-east|ap-northeast": 145, "us-east|sa-east": 115, "us-east|ap-south": 190, "us-east|oceania": 200,
  "us-west|eu-west": 125, "us-west|eu-central": 145, "us-west|ap-southeast": 165, "us-west|ap-northeast": 100,
  "us-west|sa-east": 175, "us-west|ap-south": 220, "us-west|oceania": 140,
  "eu-west|eu-central": 25, "eu-west|ap-southeast": 180, "eu-west|ap-northeast": 210, "eu-west|sa-east": 180,
  "eu-west|ap-south": 120, "eu-west|oceania": 255,
  "eu-central|ap-southeast": 160, "eu-central|ap-northeast": 225, "eu-central|sa-east": 200,
  "eu-central|ap-south": 110, "eu-central|oceania": 250,
  "ap-southeast|ap-northeast": 70, "ap-southeast|sa-east": 325, "ap-southeast|ap-south": 55, "ap-southeast|oceania": 95,
  "ap-northeast|sa-east": 255, "ap-northeast|ap-south": 125, "ap-northeast|oceania": 105,
  "sa-east|ap-south": 300, "sa-east|oceania": 310,
  "ap-south|oceania": 150,
};

/** Round-trip time in ms between two built-in regions. */
export function rttMs(a: RegionName, b: RegionName): number {
  if (a === b) return INTRA_REGION_RTT_MS;
  const v = RTT[`${a}|${b}`] ?? RTT[`${b}|${a}`];
  if (v === undefined) throw new Error(`no latency figure for ${a} ↔ ${b}`);
  return v;
}

/** One-way latency matrix in µs for the given regions, row-major (R × R). */
export function oneWayMatrixUs(regions: readonly RegionName[]): Float64Array {
  const r = regions.length;
  const m = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) m[i * r + j] = Math.round((rttMs(regions[i], regions[j]) / 2) * 1000);
  return m;
}
