/**
 * The economy report section (reports/sections/economy.ts) from stored runs with made-up economy metrics: a run
 * with the full set gets the section, every chart as a non-empty SVG (static and interactive specs compile), and
 * the tables (token flows, Lorenz statistics, moderation, attacks shown only when nonzero); a run without economy
 * metrics gets no economy section; an older run with a few economy names still gets a section without failing;
 * three seeds give mean ± CI tables and banded charts; the same runs give the same bytes.
 *
 * The numbers are synthetic (shaped like an economy-baseline run: 9 samples, 15 min apart), so the test is fast
 * and checks the report's reading of metric names, not the models.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Metric, type Store } from "../sim/store/store.ts";
import { buildReport, type ReportResult } from "../reports/html.ts";
import { loadReportData } from "../reports/queries.ts";
import { renderSvg } from "../reports/charts.ts";
import { economySection, lorenzChart } from "../reports/sections/economy.ts";
import { SECTIONS } from "../reports/sections.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-report-economy-"));
let store: Store;

const SAMPLES = 9;
const STEP_US = 900e6;
const ROLES = ["masternode", "delegate", "staker", "ephemeral"];
const ATTACKS = ["stop_paying", "stale_voucher", "early_settle", "grief"];
const ATTACK_Q = ["attempts", "succeeded", "gain_pop", "honest_loss_pop", "lit", "locked_pop_h"];

/** Time series: counters rise linearly (times `k`), gauges are set per name; the final value is also a summary. */
function economyRun(seed: number, o: { attack?: boolean } = {}): { metrics: Metric[]; ts: { tUs: number[]; name: string[]; value: number[] } } {
  const j = 1 + seed / 100; // seeds differ a little
  const series = new Map<string, (i: number) => number>();
  const counter = (name: string, perStep: number) => series.set(name, (i) => Math.round(perStep * j * i));
  const gauge = (name: string, f: (i: number) => number) => series.set(name, f);
  counter("agents.content_payments", 1500);
  counter("agents.serving_payments", 1500);
  counter("agents.payments_refused", 15);
  gauge("agents.viewers_online", (i) => 30 + (i % 3));
  counter("channels.payments", 3000);
  counter("channels.payments_on_credit", 200);
  counter("channels.lit_fees", 6000);
  counter("channels.onchain_txs_open", 50);
  counter("channels.onchain_txs_approve", 25);
  counter("channels.onchain_txs_claim", 0);
  counter("channels.payment_failures_credit_limit", 15);
  counter("channels.payment_failures_no_funds", 0);
  gauge("channels.payments_per_onchain_tx", (i) => (i === 0 ? 0 : 40 * j * (1 - 1 / (i + 1))));
  gauge("channels.capital_locked_pop", (i) => 200 * i * j);
  gauge("channels.claimed_pop", (i) => 5 * i);
  gauge("channels.credit_outstanding_pop", () => 0.2);
  for (const a of ATTACKS) for (const q of ATTACK_Q) gauge(`channels.attack_${a}_${q}`, (i) => (o.attack && a === "stop_paying" ? (q === "attempts" ? 3 * i : q === "succeeded" ? i : 0.5 * i) : 0));
  gauge("distribution.offload", (i) => (i === 0 ? 0 : 0.05 * i * j));
  gauge("distribution.viewers_watching", (i) => 10 + 2 * i);
  gauge("moderation.queue_length", () => 0);
  counter("moderation.uploads", 2);
  counter("moderation.published", 2);
  counter("moderation.taken_down", 0);
  gauge("economy.pop_usd", (i) => 0.01 * (1 + 0.001 * i * j));
  gauge("economy.reward_pool_pop", (i) => 320e6 - 1500 * i * j);
  gauge("economy.rewards_emitted_pop", (i) => 4500 * i);
  gauge("economy.rewards_allocated_pop", (i) => 1600 * i * j);
  gauge("economy.rewards_unallocated_pop", (i) => 700 * Math.min(i, 2));
  gauge("economy.rewards_claimed_pop", (i) => 1500 * i * j);
  ROLES.forEach((r, k) => gauge(`economy.rewards_claimed_${r}_pop`, (i) => (k === 3 ? 0 : (1500 / 3) * i * j)));
  gauge("economy.operators_profitable_share", (i) => Math.min(1, 0.1 * i * j));
  gauge("economy.operator_revenue_usd", (i) => 17 * i * j);
  gauge("economy.operator_cost_usd", (i) => 1.2 * i);
  gauge("economy.staking_ratio", (i) => (i === 0 ? 0 : 0.89 + 0.001 * i));
  gauge("economy.circulating_pop", () => 3.08e7);
  const ts = { tUs: [] as number[], name: [] as string[], value: [] as number[] };
  const metrics: Metric[] = [];
  for (const [name, f] of series) {
    for (let i = 0; i < SAMPLES; i++) { ts.tUs.push(i * STEP_US); ts.name.push(name); ts.value.push(f(i)); }
    metrics.push({ name, value: f(SAMPLES - 1) });
  }
  const summary = (name: string, value: number) => metrics.push({ name, value });
  for (const [s, v] of [["p50", 0.5], ["p90", 2.6], ["p99", 2.8], ["mean", 1.1]] as const) summary(`distribution.startup_delay_s.${s}`, v * j);
  for (const [s, v] of [["p50", 0], ["p90", 0.001], ["p99", 0.02], ["mean", 0.002]] as const) summary(`distribution.rebuffer_ratio.${s}`, v * j);
  for (const [s, v] of [["p50", 0.5], ["p90", 2.5], ["p99", 3.9]] as const) summary(`distribution.segment_latency_s.${s}`, v * j);
  summary("distribution.stall_ratio_total", 0.0009 * j);
  summary("moderation.wrongful_takedowns", 0);
  summary("moderation.harmful_views_served", 0);
  for (const [s, v] of [["p50", 28], ["p90", 120], ["p99", 124]] as const) summary(`moderation.time_to_publish_s.${s}`, v * j);
  summary("moderation.creator_revenue_lost_pop", 0);
  summary("agents.masternodes_withholding", o.attack ? 2 : 0);
  summary("agents.creators", 100);
  summary("economy.operators", 50);
  for (const [s, v] of [["p10", -0.05], ["p50", 3.39], ["p90", 3.4], ["mean", 2.5]] as const) summary(`economy.operator_profit_usd.${s}`, v * j);
  summary("economy.creator_revenue_pop", 22.6 * j);
  summary("economy.viewer_paid_pop", 62.2 * j);
  summary("economy.creator_revenue_gini", 0.68);
  summary("economy.creator_revenue_hhi", 0.057);
  summary("economy.creator_long_tail_share", 0.288);
  [0.0001, 0.01, 0.027, 0.051, 0.086, 0.135, 0.203, 0.288, 0.412].forEach((v, i) => summary(`economy.creator_lorenz_p${(i + 1) * 10}`, v * j));
  summary("economy.velocity_per_day", 0.068);
  if (o.attack) { summary("economy.sybil_gain_pop", 12); summary("economy.sybil_cost_pop", 30); summary("economy.sybil_net_pop", -18); }
  summary("run.sim_time_s", (SAMPLES - 1) * STEP_US / 1e6);
  return { metrics, ts };
}

async function storeRun(runId: string, seed: number, data: { metrics: Metric[]; ts: { tUs: number[]; name: string[]; value: number[] } }, scenario = "economy-fake", sweepId: string | null = null): Promise<void> {
  await store.beginRun({ runId, scenario, params: { name: scenario, seed }, seed, codeVersion: "test0000", codeDirty: false, sweepId });
  await store.finishRun(runId, { status: "completed", reason: "test", traceHash: "00", simTimeUs: (SAMPLES - 1) * STEP_US, events: 1, wallTimeS: 0.1 }, data.metrics, data.ts);
}

beforeAll(async () => {
  store = await openStore(join(dir, "runs.duckdb"));
  await storeRun("econ-attack-s1", 1, economyRun(1, { attack: true }));
  for (const seed of [1, 2, 3]) await storeRun(`econ-multi-s${seed}`, seed, economyRun(seed), "economy-fake", "sweep-econ");
  // A run without economy metrics (nodes only).
  const ts = { tUs: [0, STEP_US, 2 * STEP_US], name: ["nodes.up_viewers", "nodes.up_viewers", "nodes.up_viewers"], value: [10, 11, 12] };
  await storeRun("plain-s1", 1, { metrics: [{ name: "nodes.up_viewers", value: 12 }], ts }, "plain");
  // An older run: a few economy names only, no channels, distribution, moderation or Lorenz metrics.
  const old = { tUs: [0, STEP_US, 2 * STEP_US], name: ["economy.reward_pool_pop", "economy.reward_pool_pop", "economy.reward_pool_pop"], value: [100, 90, 80] };
  await storeRun("old-s1", 1, { metrics: [{ name: "economy.reward_pool_pop", value: 80 }, { name: "economy.operators", value: 3 }], ts: old }, "old");
}, 60_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ECONOMY_CHARTS = [
  "economy-rewards-claimed", "economy-payments", "economy-lit-fees", "economy-operator-profit", "economy-operators-profitable",
  "economy-operator-revenue-cost", "economy-creator-lorenz", "economy-qoe-delay", "economy-qoe-rebuffer", "economy-offload", "economy-viewers",
  "economy-payments-per-tx", "economy-capital-locked", "economy-onchain-txs", "economy-payment-failures", "economy-reward-pool",
  "economy-rewards-emitted", "economy-staking-ratio", "economy-pop-usd",
];

/** `expect(text).toContain(part)` without printing the whole report when it fails. */
function has(text: string, part: string): void {
  expect(text.includes(part), `expected the report to contain ${JSON.stringify(part)}`).toBe(true);
}

function hasNot(text: string, part: string): void {
  expect(text.includes(part), `expected the report not to contain ${JSON.stringify(part)}`).toBe(false);
}

function econCharts(r: ReportResult) {
  return r.charts.filter((c) => c.id.startsWith("economy-"));
}

describe("economy report section", () => {
  it("is registered under economy. in the report's sections", () => {
    expect(SECTIONS).toContain(economySection);
    expect(economySection.prefix).toBe("economy.");
  });

  it("a run with economy metrics: the section, every chart a non-empty SVG, the tables and the attacks that happened", async () => {
    const r = await buildReport(store, "econ-attack-s1", { outDir: join(dir, "single"), png: false, warn: (m) => { throw new Error(m); } });
    const html = readFileSync(r.html, "utf8");
    has(html, '<section id="sec-economy">');
    has(html, "Economy: payments, rewards, operators, creators, viewers");
    const ids = econCharts(r).map((c) => c.id);
    expect(ids).toEqual(ECONOMY_CHARTS);
    for (const c of econCharts(r)) {
      const svg = readFileSync(c.svg, "utf8");
      expect(svg.startsWith("<svg"), c.id).toBe(true);
      expect(svg.length, c.id).toBeGreaterThan(2000);
      expect(svg, c.id).toMatch(/class="mark-(line|symbol|rule)/);
      expect(svg, c.id).not.toMatch(/NaN|undefined/);
      const spec = JSON.parse(readFileSync(c.spec, "utf8")) as { data?: { values: unknown[] }; layer: { data?: { values: unknown[] } }[] };
      const rows = (spec.data?.values.length ?? 0) + spec.layer.reduce((a, l) => a + (l.data?.values.length ?? 0), 0);
      expect(rows, c.id).toBeGreaterThan(0);
      expect(existsSync(c.svg.replace(/\.svg$/, ".vl.json")), c.id).toBe(true);
    }
    // Every chart opens with (or carries) a how-to-read note: the section paragraph and one per caption.
    const section = html.slice(html.indexOf('<section id="sec-economy">'));
    has(section, 'class="how"');
    expect((section.match(/<figcaption>How to read:/g) ?? []).length + (section.match(/<figcaption>Gini [^<]*How to read:/g) ?? []).length).toBe(ECONOMY_CHARTS.length);
    // Lorenz: the curve and the diagonal, with the Gini and long-tail share in the caption.
    const lorenz = readFileSync(econCharts(r).find((c) => c.id === "economy-creator-lorenz")!.svg, "utf8");
    has(lorenz, "share of creators, lowest revenue first");
    has(lorenz, "equality (Gini 0)");
    expect(section).toMatch(/Gini 0\.68; long-tail share \(all but the top 20 % of creators\) 28\.8 %/);
    // Tables: flows (content vs serving derived from the totals), operators, creators, pool, moderation, attacks.
    for (const t of ["Token flows over the run", "Masternode operators", "Creator revenue concentration", "Reward pool and supply", "Moderation (SuperDelegate screening)", "Attacks on payment channels", "Sybil receipts and withholding"]) {
      has(section, `<h4>${t.replace(/'/g, "&#39;")}</h4>`);
    }
    has(section, "to serving nodes (per GB; total − content)");
    has(section, '<td class="num">40</td>'); // (62.2 − 22.6) × 1.01 = 39.996
    has(section, "years until the pool is empty at that rate");
    has(section, "stop paying"); // the attack that happened …
    hasNot(section, "stale voucher"); // … and not the ones that did not
    has(section, "masternodes withholding service");
    has(section, "net gain (POP; &gt; 0 means the attack pays)");
  });

  it("the interactive specs compile too (tooltips, zoom) and the Lorenz chart has (0,0), (1,1) and the deciles", async () => {
    const data = await loadReportData(store, "econ-attack-s1");
    const built = economySection.build(data)!;
    for (const c of built.charts) expect((await renderSvg(c.interactive)).startsWith("<svg"), c.id).toBe(true);
    const chart = lorenzChart(data, { id: "t", title: "t", caption: "" })!;
    const values = (chart.spec as { data: { values: { p: number; share: number; curve: string }[] } }).data.values;
    const curve = values.filter((v) => v.curve === "creators");
    expect(curve.map((v) => v.p)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(curve[0].share).toBe(0);
    expect(curve[10].share).toBe(1);
    expect(values.filter((v) => v.curve !== "creators").map((v) => [v.p, v.share])).toEqual([[0, 0], [1, 1]]);
  });

  it("a run without economy metrics has no economy section", async () => {
    const r = await buildReport(store, "plain-s1", { outDir: join(dir, "plain"), png: false, interactive: false, warn: () => {} });
    const html = readFileSync(r.html, "utf8");
    hasNot(html, 'id="sec-economy"');
    expect(econCharts(r)).toEqual([]);
    expect(economySection.build(await loadReportData(store, "plain-s1"))).toBeUndefined();
  });

  it("an older run with a few economy metrics still gets the section, with what it has", async () => {
    const r = await buildReport(store, "old-s1", { outDir: join(dir, "old"), png: false, interactive: false, warn: () => {} });
    const html = readFileSync(r.html, "utf8");
    has(html, 'id="sec-economy"');
    expect(econCharts(r).map((c) => c.id)).toEqual(["economy-reward-pool"]);
    has(html, "<h4>Masternode operators</h4>");
    hasNot(html, "Attacks on payment channels");
    hasNot(html, "No attack was active"); // no attack metrics at all: nothing to say
  });

  it("three seeds: mean ± CI in the tables, a band around the mean, CI charts; no attack table when all attacks are zero", async () => {
    const r = await buildReport(store, "sweep-econ", { outDir: join(dir, "multi"), png: false, interactive: false, warn: (m) => { throw new Error(m); } });
    const html = readFileSync(r.html, "utf8");
    const section = html.slice(html.indexOf('<section id="sec-economy">'));
    expect(econCharts(r).map((c) => c.id)).toEqual(ECONOMY_CHARTS);
    has(section, "mean ± 95 % CI (3 runs)");
    expect(section).toMatch(/<td class="num">[0-9.,]+ ± [0-9.,]+<\/td>/);
    has(section, "No attack was active");
    const band = readFileSync(econCharts(r).find((c) => c.id === "economy-reward-pool")!.svg, "utf8");
    has(band, 'class="mark-area');
    const ci = readFileSync(econCharts(r).find((c) => c.id === "economy-operator-profit")!.svg, "utf8");
    has(ci, 'class="mark-rule');
    has(readFileSync(econCharts(r).find((c) => c.id === "economy-creator-lorenz")!.svg, "utf8"), "mean of 3 runs");
  });

  it("is deterministic: the same runs give the same section bytes", async () => {
    const a = await buildReport(store, "econ-attack-s1", { outDir: join(dir, "det-a"), png: false, interactive: false, warn: () => {} });
    const b = await buildReport(store, "econ-attack-s1", { outDir: join(dir, "det-b"), png: false, interactive: false, warn: () => {} });
    expect(readFileSync(b.html, "utf8")).toBe(readFileSync(a.html, "utf8"));
    for (let i = 0; i < a.charts.length; i++) expect(readFileSync(b.charts[i].svg, "utf8"), a.charts[i].id).toBe(readFileSync(a.charts[i].svg, "utf8"));
  });
});
