/**
 * reports/sections/economy.ts — the streaming economy's report section: where the POP goes, who profits, what
 * viewers get for it, what the chain costs, whether the reward pool lasts, what moderation does and what attacks
 * gain.
 *
 * Purpose: answer the researchers' questions of a run with the agents plugin on (models/agents/plugin.ts wires
 * distribution, channels, moderation and economy) on one page — the economy's metrics live under five prefixes
 * (`economy.`, `channels.`, `distribution.`, `moderation.`, `agents.`), so this section reads all five; it is
 * registered under `economy.` and appears only when a run has economy metrics.
 *
 * Method: everything is read by metric name (models/economy/rewards.ts, models/channels/payments.ts,
 * models/distribution/swarm.ts and models/moderation/moderation.ts document the names), so the section needs no
 * code from models/. A missing name leaves out its row, line or chart, never the section (older runs).
 * - Time series (counters as running totals, gauges as sampled) through `seriesChart`: rewards claimed by role,
 *   payments made, LIT fees, operator revenue and cost, the reward pool, staking ratio, POP/USD, channels.
 * - Run summaries through `metricsChart` (`single`): operator profit quantiles and QoE quantiles; with several runs
 *   each run is a dot and the mean has its 95 % interval.
 * - The creator revenue Lorenz curve is drawn here from `economy.creator_lorenz_p10…p90` plus (0, 0) and (1, 1),
 *   beside the equality diagonal; with several runs, each decile is the mean over a group's completed runs.
 * - Flows that exist only as run totals (POP paid to creators and to servers, LIT, velocity), moderation counters
 *   and attack outcomes are tables: one value for one run; mean ± 95 % CI half-width (Student t) per run group for
 *   several. Attack rows appear only when some run has a nonzero value.
 * - Charts carry their own "how to read" in the caption (what is drawn, what a good or bad value looks like); the
 *   section opens with the overview. Floats are fine here (STYLE.md: floats belong in reports/).
 */
import type { Chart, VlSpec } from "../charts.ts";
import { CHART_CONFIG, CHART_WIDTH, cleanNumber } from "../charts.ts";
import { escapeHtml, formatNumber } from "../format.ts";
import { summarize } from "../stats.ts";
import {
  charts, howToRead, metricsChart, MULTI_RUN_NOTE, seriesChart,
  type MetricSpec, type ReportData, type SectionEntry, type SeriesSpec,
} from "../sectionKit.ts";


const ROLES = ["masternode", "delegate", "staker", "ephemeral"] as const;
const LORENZ_DECILES = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
const ATTACK_QUANTITIES = ["attempts", "succeeded", "gain_pop", "honest_loss_pop", "lit", "locked_pop_h"] as const;
const ATTACK_HEAD = ["attempts", "succeeded", "attacker gain (POP)", "honest loss (POP)", "LIT spent", "capital locked (POP·h)"];
const SYBIL = [
  ["economy.sybil_masternodes", "sybil masternodes"],
  ["economy.sybil_fake_gb", "fake serving receipts (GB)"],
  ["economy.sybil_gain_pop", "extra reward gained (POP)"],
  ["economy.sybil_cost_pop", "cost of the attack (POP)"],
  ["economy.sybil_net_pop", "net gain (POP; > 0 means the attack pays)"],
  ["economy.sybil_lit_stake_pop", "stake needed for the sybils' LIT (POP)"],
  ["agents.masternodes_withholding", "masternodes withholding service"],
] as const;

type Values = ReadonlyMap<string, number>;

// ─── Tables ─────────────────────────────────────────────────────────────────────────────────────────────────

/** A table column: one run, or the completed runs of one group (mean ± 95 % CI half-width). */
interface Column {
  head: string;
  runs: Values[];
}

function columns(data: ReportData): Column[] {
  if (!data.multi) return data.runs.length > 0 ? [{ head: "value", runs: [data.runs[0].metricMap] }] : [];
  const groups = data.groups.filter((g) => g.included.length > 0);
  return groups.map((g) => ({
    head: `${groups.length > 1 ? g.label : "mean ± 95 % CI"} (${g.included.length} run${g.included.length === 1 ? "" : "s"})`,
    runs: g.included.map((r) => r.metricMap),
  }));
}

interface Row {
  label: string;
  /** Drawn indented under the row above (a part of it). */
  sub?: boolean;
  unit?: string;
  get: (m: Values) => number | undefined;
  format?: (v: number) => string;
}

const num = (v: number) => formatNumber(v);
const pct = (v: number) => `${formatNumber(Number((v * 100).toPrecision(4)))} %`;
const metric = (name: string) => (m: Values) => m.get(name);

function cell(col: Column, row: Row): string | undefined {
  const vs = col.runs.map(row.get);
  if (vs.every((v) => v === undefined)) return undefined;
  const f = row.format ?? num;
  if (col.runs.length === 1) return f(vs[0]!);
  const s = summarize(vs.map((v) => v ?? NaN));
  const text = Number.isFinite(s.ciHalf) ? `${f(s.mean)} ± ${f(s.ciHalf)}` : f(s.mean);
  return s.n < col.runs.length ? `${text} (${s.n} of ${col.runs.length} runs)` : text;
}

/** An HTML table of `rows` (rows with no value in any column are left out); "" when nothing is left. */
function valueTable(cols: readonly Column[], rows: readonly Row[], first = "quantity"): string {
  const body: string[] = [];
  const withUnit = rows.some((r) => r.unit !== undefined);
  for (const r of rows) {
    const cells = cols.map((c) => cell(c, r));
    if (cells.every((c) => c === undefined)) continue;
    body.push(`<tr><td${r.sub ? ' style="padding-left:1.8rem"' : ""}>${escapeHtml(r.label)}</td>${withUnit ? `<td>${escapeHtml(r.unit ?? "")}</td>` : ""}` +
      cells.map((c) => `<td class="num">${escapeHtml(c ?? "—")}</td>`).join("") + "</tr>");
  }
  if (body.length === 0) return "";
  const head = `<th>${escapeHtml(first)}</th>${withUnit ? "<th>unit</th>" : ""}${cols.map((c) => `<th class="num">${escapeHtml(c.head)}</th>`).join("")}`;
  return `<div class="scroll"><table class="metrics"><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table></div>`;
}

const block = (title: string, table: string, note: string) =>
  table === "" ? "" : `<h4>${escapeHtml(title)}</h4>${table}<p class="note">${escapeHtml(note)}</p>`;

const difference = (a: string, b: string) => (m: Values) => {
  const x = m.get(a), y = m.get(b);
  return x === undefined || y === undefined ? undefined : x - y;
};

/** Average emission per day over the run, from the schedule's cumulative emission and the run's length. */
const emissionPerDay = (m: Values) => {
  const e = m.get("economy.rewards_emitted_pop"), s = m.get("run.sim_time_s");
  return e === undefined || s === undefined || s <= 0 ? undefined : e / (s / 86_400);
};

const yearsLeft = (m: Values) => {
  const pool = m.get("economy.reward_pool_pop"), rate = emissionPerDay(m);
  return pool === undefined || rate === undefined || rate <= 0 ? undefined : pool / rate / 365;
};

function flowsTable(cols: readonly Column[]): string {
  const rows: Row[] = [
    { label: "viewers paid, in total", unit: "POP", get: metric("economy.viewer_paid_pop") },
    { label: "to creators (content, per minute of video)", sub: true, unit: "POP", get: metric("economy.creator_revenue_pop") },
    { label: "to serving nodes (per GB; total − content)", sub: true, unit: "POP", get: difference("economy.viewer_paid_pop", "economy.creator_revenue_pop") },
    { label: "what an hour of viewing cost a viewer", unit: "POP/h", get: metric("economy.viewer_cost_per_hour_pop") },
    { label: "content payments made", unit: "count", get: metric("agents.content_payments") },
    { label: "serving payments made", unit: "count", get: metric("agents.serving_payments") },
    { label: "payments refused (session ended unpaid)", unit: "count", get: metric("agents.payments_refused") },
    { label: "rewards emitted by the schedule", unit: "POP", get: metric("economy.rewards_emitted_pop") },
    { label: "allocated to members with shares", sub: true, unit: "POP", get: metric("economy.rewards_allocated_pop") },
    { label: "unallocated (a role had no shares yet)", sub: true, unit: "POP", get: metric("economy.rewards_unallocated_pop") },
    { label: "rewards claimed, all roles", unit: "POP", get: metric("economy.rewards_claimed_pop") },
    ...ROLES.map((r): Row => ({ label: `by ${r}s`, sub: true, unit: "POP", get: metric(`economy.rewards_claimed_${r}_pop`) })),
    { label: "channel escrow claimed on chain by payees", unit: "POP", get: metric("channels.claimed_pop") },
    { label: "capital locked in channels at the end", unit: "POP", get: metric("channels.capital_locked_pop") },
    { label: "payee credit lost (unfunded vouchers)", unit: "POP", get: metric("channels.credit_lost_pop") },
    { label: "payee funds lost while offline", unit: "POP", get: metric("channels.funds_lost_offline_pop") },
    { label: "LIT burned by channel transactions", unit: "LIT", get: metric("channels.lit_fees") },
    { label: "channel transactions refused for lack of LIT", unit: "count", get: metric("channels.txs_refused_lit") },
    { label: "on-chain POP transfer volume", unit: "POP", get: metric("economy.transfer_volume_pop") },
  ];
  return block("Token flows over the run", valueTable(cols, rows),
    "Totals at the end of the run. POP amounts per payment exist only as run totals, so they are here; the charts below show the same flows over time as counts (payments) and running totals (rewards, LIT). " +
    "Serving payments go to masternodes and to viewers serving as ephemeral peers. LIT is the chain's transaction allowance (regenerated from stake), not POP.");
}

function operatorsTable(cols: readonly Column[]): string {
  const rows: Row[] = [
    { label: "masternode operators", unit: "count", get: metric("economy.operators") },
    { label: "share of operators in profit (end)", get: metric("economy.operators_profitable_share"), format: pct },
    { label: "profit per operator, 10th percentile", unit: "USD", get: metric("economy.operator_profit_usd.p10") },
    { label: "profit per operator, median", unit: "USD", get: metric("economy.operator_profit_usd.p50") },
    { label: "profit per operator, 90th percentile", unit: "USD", get: metric("economy.operator_profit_usd.p90") },
    { label: "profit per operator, mean", unit: "USD", get: metric("economy.operator_profit_usd.mean") },
    { label: "revenue, all operators", unit: "USD", get: metric("economy.operator_revenue_usd") },
    { label: "cost, all operators", unit: "USD", get: metric("economy.operator_cost_usd") },
    { label: "reward earned per operator, mean", unit: "POP", get: metric("economy.operator_reward_pop.mean") },
  ];
  return block("Masternode operators", valueTable(cols, rows),
    "Over the run: revenue = serving payments + reward earned (claimed + pending) at each interval's POP/USD; cost = bandwidth + storage + fixed cost + the capital cost of the bond. " +
    "A healthy network has most operators in profit and a 10th percentile above 0; a negative median means the typical operator loses money and would leave.");
}

function creatorsTable(cols: readonly Column[]): string {
  const rows: Row[] = [
    { label: "creators", unit: "count", get: metric("agents.creators") },
    { label: "creator revenue, all creators", unit: "POP", get: metric("economy.creator_revenue_pop") },
    { label: "Gini coefficient of creator revenue", get: metric("economy.creator_revenue_gini") },
    { label: "Herfindahl–Hirschman index (HHI)", get: metric("economy.creator_revenue_hhi") },
    { label: "long-tail share (revenue of all but the top 20 %)", get: metric("economy.creator_long_tail_share"), format: pct },
  ];
  return block("Creator revenue concentration", valueTable(cols, rows),
    "Gini 0 means every creator earns the same, 1 that one creator earns everything; the long-tail share is what the 80 % of creators outside the top 20 % earn together (80 % under equality). " +
    "Views follow a Zipf law over creators, so some concentration is expected; a long-tail share near 0 means revenue does not reach the long tail.");
}

function poolTable(cols: readonly Column[]): string {
  const rows: Row[] = [
    { label: "reward pool left at the end", unit: "POP", get: metric("economy.reward_pool_pop") },
    { label: "average emission over the run", unit: "POP/day", get: emissionPerDay },
    { label: "years until the pool is empty at that rate", unit: "years", get: yearsLeft },
    { label: "circulating supply at the end", unit: "POP", get: metric("economy.circulating_pop") },
    { label: "staking ratio at the end (staked ÷ circulating, which includes staked)", get: metric("economy.staking_ratio"), format: pct },
    { label: "velocity (on-chain transfer volume per day ÷ mean circulating)", unit: "per day", get: metric("economy.velocity_per_day") },
    { label: "POP price at the end", unit: "USD", get: metric("economy.pop_usd") },
  ];
  return block("Reward pool and supply", valueTable(cols, rows),
    "Years until empty divides what is left by the run's average emission: a straight-line projection. A halving or exponential schedule emits less later, so it outlasts this figure; a constant schedule empties on it. " +
    "Velocity counts on-chain transfers only (off-chain vouchers are not transfers until claimed).");
}

function moderationTable(cols: readonly Column[]): string {
  const mod = (q: string) => metric(`moderation.${q}`);
  const rows: Row[] = [
    { label: "uploads screened", get: mod("uploads") },
    { label: "published by the quorum", get: mod("published") },
    { label: "taken down", get: mod("taken_down") },
    { label: "rejected (review backlog full)", get: mod("rejected") },
    { label: "wrongful takedowns (benign uploads)", get: mod("wrongful_takedowns") },
    { label: "harmful uploads published", get: mod("harmful_published") },
    { label: "views of screened videos", get: mod("views") },
    { label: "harmful views served", get: mod("harmful_views_served") },
    { label: "appeals", get: mod("appeals") },
    { label: "appeals overturned", get: mod("appeals_overturned") },
    { label: "of which wrongful takedowns repaired", sub: true, get: mod("wrongful_overturned") },
    { label: "appeals blocked by colluders", get: mod("appeals_blocked") },
    { label: "censored (colluders' votes decided a takedown)", get: mod("censored") },
    { label: "time to publish, median (s)", get: mod("time_to_publish_s.p50") },
    { label: "time to publish, 90th percentile (s)", get: mod("time_to_publish_s.p90") },
    { label: "time to publish, 99th percentile (s)", get: mod("time_to_publish_s.p99") },
    { label: "creator revenue lost to takedowns (POP, estimate)", get: mod("creator_revenue_lost_pop") },
    { label: "creator revenue delayed by screening (POP, estimate)", get: mod("creator_revenue_delayed_pop") },
    { label: "SuperDelegates reviewing (last upload)", get: mod("superdelegates") },
    { label: "quorum of those (last upload)", get: mod("quorum") },
  ];
  return block("Moderation (SuperDelegate screening)", valueTable(cols, rows),
    "Every upload waits for the SuperDelegates' votes before it may be distributed. Good: wrongful takedowns, harmful uploads published, harmful views and censorship near 0, and a time to publish short next to a video's life. " +
    "Lost revenue is an estimate (revenue per published-video-second × seconds withheld), not an observation.");
}

/** Attack outcomes (channels.attack_<kind>_*), the sybil-receipt attack and withholding: only what is nonzero. */
function attacksHtml(data: ReportData, cols: readonly Column[]): string {
  const kinds: string[] = [];
  let attackMetrics = 0;
  const re = new RegExp(`^channels\\.attack_(.+?)_(${ATTACK_QUANTITIES.join("|")})$`);
  for (const n of data.metricNames) {
    const m = re.exec(n);
    if (m === null) continue;
    attackMetrics++;
    if (!kinds.includes(m[1])) kinds.push(m[1]);
  }
  const allRuns = cols.flatMap((c) => c.runs);
  const nonZero = (names: readonly string[]) => allRuns.some((m) => names.some((n) => (m.get(n) ?? 0) !== 0));
  const activeKinds = kinds.filter((k) => nonZero(ATTACK_QUANTITIES.map((q) => `channels.attack_${k}_${q}`)));
  const sybil = SYBIL.filter(([n]) => nonZero([n]));
  const out: string[] = [];
  if (activeKinds.length > 0) {
    const head = ["attack", ...(cols.length > 1 ? ["runs"] : []), ...ATTACK_HEAD].map((h, i) => `<th${i === 0 || (cols.length > 1 && i === 1) ? "" : ' class="num"'}>${escapeHtml(h)}</th>`).join("");
    const body = activeKinds.flatMap((k) => cols.map((c) => {
      const cells = ATTACK_QUANTITIES.map((q) => cell(c, { label: q, get: metric(`channels.attack_${k}_${q}`) }) ?? "—");
      return `<tr><td>${escapeHtml(k.replace(/_/g, " "))}</td>${cols.length > 1 ? `<td>${escapeHtml(c.head)}</td>` : ""}${cells.map((x) => `<td class="num">${escapeHtml(x)}</td>`).join("")}</tr>`;
    })).join("");
    out.push(`<h4>Attacks on payment channels</h4><div class="scroll"><table class="metrics"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>` +
      `<p class="note">${escapeHtml(
        "Per attack: attempts and successes, what the attackers gained, what honest parties lost, and what the attack cost its authors (LIT spent, POP locked × hours). " +
        "The payment design holds when honest loss stays near 0 and the gain is smaller than the cost; " +
        (data.multi ? "with several runs, cells are mean ± 95 % CI half-width over completed runs." : "values are totals over the run."))}</p>`);
  }
  if (sybil.length > 0) {
    out.push(block("Sybil receipts and withholding", valueTable(cols, sybil.map(([name, label]) => ({ label, get: metric(name) }))),
      "Sybil masternodes post fake serving receipts to earn a larger reward share; the gain is exact (a shadow pool without the fake bytes), the cost is modelled (content payments for the fake bytes, channel capital, stake for LIT). " +
      "The reward design resists the attack when the net gain is ≤ 0. Withholding masternodes hold shards but refuse to serve."));
  }
  if (out.length === 0 && attackMetrics > 0) out.push(`<p class="note">No attack was active: every attack metric (channels.attack_*, economy.sybil_*) is zero.</p>`);
  return out.join("");
}

// ─── Charts ─────────────────────────────────────────────────────────────────────────────────────────────────

/** The creator revenue Lorenz curve (deciles plus (0, 0) and (1, 1)) beside the equality diagonal. */
export function lorenzChart(data: ReportData, o: { id: string; title: string; caption: string }): Chart | undefined {
  const names = LORENZ_DECILES.map((d) => `economy.creator_lorenz_p${d * 10}`);
  const groups = data.multi ? data.groups.filter((g) => g.included.length > 0) : data.groups.slice(0, 1);
  const curves: { label: string; share: number[] }[] = [];
  for (const g of groups) {
    const runs = data.multi ? g.included : data.runs.slice(0, 1);
    const share = names.map((n) => summarize(runs.map((r) => r.metricMap.get(n) ?? NaN)).mean);
    if (share.every((v) => !Number.isFinite(v))) continue;
    const label = !data.multi ? "creators" : groups.length > 1 ? g.label : `mean of ${runs.length} runs`;
    curves.push({ label, share });
  }
  if (curves.length === 0) return undefined;
  const EQUAL = "equality (Gini 0)";
  const values: VlSpec[] = [{ p: 0, share: 0, curve: EQUAL }, { p: 1, share: 1, curve: EQUAL }];
  for (const c of curves) {
    values.push({ p: 0, share: 0, curve: c.label });
    c.share.forEach((v, i) => { if (Number.isFinite(v)) values.push({ p: LORENZ_DECILES[i] / 10, share: cleanNumber(v), curve: c.label }); });
    values.push({ p: 1, share: 1, curve: c.label });
  }
  const domain = [EQUAL, ...curves.map((c) => c.label)];
  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
  const legend = { orient: "bottom", direction: "vertical", symbolType: "stroke", symbolStrokeWidth: 2 };
  const encoding = (interactive: boolean): VlSpec => ({
    x: { field: "p", type: "quantitative", title: "share of creators, lowest revenue first", scale: { domain: [0, 1], nice: false }, axis: { format: ".0%" } },
    y: { field: "share", type: "quantitative", title: "share of all creator revenue", scale: { domain: [0, 1], nice: false }, axis: { format: ".0%" } },
    color: { field: "curve", type: "nominal", title: "curve", sort: domain, scale: { domain, range: ["#888", ...curves.map((_, i) => palette[i % palette.length])] }, legend },
    strokeDash: { field: "curve", type: "nominal", title: "curve", sort: domain, scale: { domain, range: [[5, 4], ...curves.map(() => [1, 0])] }, legend },
    ...(interactive ? { tooltip: [{ field: "curve", title: "curve" }, { field: "p", title: "creators", format: ".0%" }, { field: "share", title: "their revenue", format: ".1%" }] } : {}),
  });
  const layer = (interactive: boolean): VlSpec[] => [
    { mark: { type: "line", strokeWidth: 2, point: { filled: true, size: 28 } }, encoding: encoding(interactive) },
  ];
  const base: VlSpec = { title: { text: o.title }, width: Math.min(CHART_WIDTH, 360), height: 300, config: CHART_CONFIG, data: { values } };
  return { id: o.id, title: o.title, caption: o.caption, spec: { ...base, layer: layer(false) }, interactive: { ...base, layer: layer(true) } };
}

/** Series specs for names that exist in the report, with labels. */
function present(data: ReportData, specs: readonly SeriesSpec[]): SeriesSpec[] {
  const have = new Set(data.seriesNames);
  return specs.filter((s) => have.has(s.name));
}

function presentMetrics(data: ReportData, specs: readonly MetricSpec[]): MetricSpec[] {
  const have = new Set(data.metricNames);
  return specs.filter((s) => have.has(s.name));
}

const firstValue = (data: ReportData, name: string): number | undefined => {
  const run = data.multi ? data.groups.find((g) => g.included.length > 0)?.included[0] : data.runs[0];
  return run?.metricMap.get(name);
};

function lorenzCaption(data: ReportData): string {
  const parts: string[] = [];
  const cols = columns(data);
  const gini = cell(cols[0] ?? { head: "", runs: [] }, { label: "", get: metric("economy.creator_revenue_gini") });
  const tail = cell(cols[0] ?? { head: "", runs: [] }, { label: "", get: metric("economy.creator_long_tail_share"), format: pct });
  if (gini !== undefined) parts.push(`Gini ${gini}`);
  if (tail !== undefined) parts.push(`long-tail share (all but the top 20 % of creators) ${tail}`);
  const stats = parts.length > 0 ? `${parts.join("; ")}${cols.length > 1 ? ` (${cols[0].head}; the table above has every group)` : ""}. ` : "";
  return `${stats}How to read: a point (x, y) says the x poorest creators earn y of all creator revenue. The dashed diagonal is perfect equality; ` +
    "the further the curve sags below it, the more concentrated revenue is (Gini = twice the area between them). A curve that hugs the x axis until 90 % means a few stars take almost everything." +
    (data.multi ? " With several runs each point is the mean of that decile over a group's completed runs." : "");
}

export function economyCharts(data: ReportData): Chart[] {
  const ec = (q: string) => `economy.${q}`;
  const ch = (q: string) => `channels.${q}`;
  const statLabels = (prefix: string, what: string, stats: readonly string[]): MetricSpec[] =>
    stats.map((s) => ({ name: `${prefix}.${s}`, label: `${what} ${s}` }));
  const failures = data.seriesNames.filter((n) => n.startsWith("channels.payment_failures_"));
  const txKinds = data.seriesNames.filter((n) => n.startsWith("channels.onchain_txs_"));
  const profitable = firstValue(data, ec("operators_profitable_share"));
  return charts(
    // 1. Token flows.
    seriesChart(data, {
      id: "economy-rewards-claimed", title: "Rewards claimed from the pool, by role (running total)", yTitle: "POP claimed so far", legendTitle: "role", interpolate: "step-after", dropAllZero: true,
      series: present(data, [...ROLES.map((r) => ({ name: ec(`rewards_claimed_${r}_pop`), label: `${r}s` })), { name: ec("rewards_claimed_pop"), label: "all roles" }]),
      caption: "How to read: each line is the POP that members of one role have claimed from the RewardPool so far (claims are on-chain transactions sent once a member's pending reward passes a threshold). " +
        "Steady rises for every role mean rewards reach each role; a flat role means its members are not earning or cannot afford to claim (LIT).",
    }),
    seriesChart(data, {
      id: "economy-payments", title: "Viewer payments made (running total)", yTitle: "payments so far", legendTitle: "payment", dropAllZero: true,
      series: present(data, [
        { name: "agents.content_payments", label: "viewer → creator (content)" },
        { name: "agents.serving_payments", label: "viewer → server (serving)" },
        { name: "channels.payments_on_credit", label: "accepted on credit" },
        { name: "agents.payments_refused", label: "refused" },
      ]),
      caption: "How to read: one content and one serving payment per delivered segment, as off-chain vouchers. The slope is payments per unit of time; " +
        "the content and serving lines coincide when every delivered segment was paid both. ‘Refused’ ends a viewing session unpaid, so it should stay a small fraction of the others. POP amounts exist only as totals (table ‘Token flows’).",
    }),
    seriesChart(data, {
      id: "economy-lit-fees", title: "LIT burned by channel transactions (running total)", yTitle: "LIT", interpolate: "step-after",
      series: present(data, [{ name: ch("lit_fees"), label: "LIT fees" }]),
      caption: "How to read: LIT is the chain's transaction allowance, regenerated from stake, not POP; every channel open, top-up, claim or settle burns some. " +
        "A steep line means the payment policy needs many on-chain transactions; compare with payments per on-chain transaction below.",
    }),
    // 2. Operators.
    metricsChart(data, {
      id: "economy-operator-profit", title: data.multi ? "Profit per masternode operator, across runs" : "Profit per masternode operator over the run", xTitle: "USD", single: true, xZero: true,
      metrics: presentMetrics(data, statLabels(ec("operator_profit_usd"), "profit", ["p10", "p50", "p90", "mean"])),
      caption: "How to read: quantiles of the operators' profit (revenue − cost, USD) over the run" + (profitable !== undefined ? `; ${pct(profitable)} of operators ended in profit` : "") +
        ". Good: the 10th percentile above 0 (nearly every operator profits); bad: a median below 0. A mean far above the median means a few operators take most of the profit." +
        (data.multi ? " Grey dots are runs, the diamond the mean, the bar its 95 % CI." : ""),
    }),
    seriesChart(data, {
      id: "economy-operators-profitable", title: "Share of masternode operators in profit", yTitle: "operators in profit", yFormat: ".0%",
      series: present(data, [{ name: ec("operators_profitable_share"), label: "in profit so far" }]),
      caption: "How to read: the fraction of operators whose revenue so far exceeds their cost so far. Early samples are noisy (fixed costs accrue before the first rewards are paid); " +
        "a share that settles high is good, one that falls over time means operators would leave.",
    }),
    seriesChart(data, {
      id: "economy-operator-revenue-cost", title: "Masternode operators: revenue and cost, all operators (running total)", yTitle: "USD",
      series: present(data, [{ name: ec("operator_revenue_usd"), label: "revenue" }, { name: ec("operator_cost_usd"), label: "cost" }]),
      caption: "How to read: revenue (serving payments + rewards earned, at each interval's POP/USD) and cost (bandwidth, storage, fixed, capital) summed over all operators. " +
        "The gap is the network's operator profit; revenue below cost means the network pays its operators less than running it costs.",
    }),
    // 3. Creators.
    lorenzChart(data, { id: "economy-creator-lorenz", title: "Creator revenue: Lorenz curve", caption: lorenzCaption(data) }),
    // 4. Quality of experience.
    metricsChart(data, {
      id: "economy-qoe-delay", title: data.multi ? "Startup delay and segment latency, across runs" : "Startup delay and segment latency", xTitle: "seconds", single: true, xZero: true,
      metrics: presentMetrics(data, [
        ...statLabels("distribution.startup_delay_s", "startup delay", ["p50", "p90", "p99"]),
        ...statLabels("distribution.segment_latency_s", "segment latency", ["p50", "p90", "p99"]),
      ]),
      caption: "How to read: startup delay is the time from pressing play to the first segment; segment latency the time from request to last byte of each segment (log-bucket quantiles, ±2.2 %). " +
        "Good: a p99 startup of a few seconds and segment latency well under the segment's duration; a p99 above the segment duration means viewers stall.",
    }),
    metricsChart(data, {
      id: "economy-qoe-rebuffer", title: data.multi ? "Rebuffer ratio per session, across runs" : "Rebuffer ratio per session", xTitle: "stalled time ÷ watch time", xFormat: "~%", single: true, xZero: true,
      metrics: presentMetrics(data, [
        ...statLabels("distribution.rebuffer_ratio", "rebuffer", ["p50", "p90", "p99", "mean"]),
        { name: "distribution.stall_ratio_total", label: "all sessions pooled" },
      ]),
      caption: "How to read: the share of a session's time spent stalled waiting for data. Good: 0 at the median and under 1 % at the 99th percentile; several percent means a visibly bad stream for that share of viewers.",
    }),
    seriesChart(data, {
      id: "economy-offload", title: "Offload: share of video bytes served by peers (cumulative)", yTitle: "bytes from peers", yFormat: ".0%",
      series: present(data, [{ name: "distribution.offload", label: "peer share of bytes so far" }]),
      caption: "How to read: bytes delivered by viewers serving as ephemeral peers ÷ all bytes delivered, since the start. Higher means less load (and serving revenue) on masternodes; it grows as viewers accumulate content to share.",
    }),
    seriesChart(data, {
      id: "economy-viewers", title: "Viewers online and watching", yTitle: "viewers", legendTitle: "viewers",
      series: present(data, [{ name: "agents.viewers_online", label: "online" }, { name: "distribution.viewers_watching", label: "watching now" }]),
      caption: "How to read: online viewers (churn) and those in a viewing session at each sample. Watching far below online means sessions fail to start or end early (no video, unpaid, no source).",
    }),
    // 5. Payment channels.
    seriesChart(data, {
      id: "economy-payments-per-tx", title: "Off-chain payments per on-chain transaction (cumulative)", yTitle: "payments per transaction",
      series: present(data, [{ name: ch("payments_per_onchain_tx"), label: "payments ÷ on-chain transactions" }]),
      caption: "How to read: how many off-chain payments each channel transaction (approve, open, top-up, claim, settle, ticket) carried so far. It starts low (channels must be opened) and should rise; " +
        "a high, rising value means the chain's cost per payment is small, a flat low one that the payment policy is chain-bound.",
    }),
    seriesChart(data, {
      id: "economy-capital-locked", title: "POP in payment channels", yTitle: "POP", dropAllZero: true,
      series: present(data, [
        { name: ch("capital_locked_pop"), label: "locked in channel escrow" },
        { name: ch("claimed_pop"), label: "claimed by payees (running total)" },
        { name: ch("credit_outstanding_pop"), label: "credit given by payees" },
      ]),
      caption: "How to read: escrow is capital viewers (or the hub) must lock up front to pay off chain; compare it with what flows through it. Less locked capital for the same payments is better; credit is what payees risk while a top-up is pending.",
    }),
    seriesChart(data, {
      id: "economy-onchain-txs", title: "On-chain channel transactions, by kind (running total)", yTitle: "transactions so far", legendTitle: "kind", interpolate: "step-after", dropAllZero: true,
      series: present(data, txKinds.map((name) => ({ name, label: name.slice("channels.onchain_txs_".length).replace(/_/g, " ") }))),
      caption: "How to read: which transactions the payment policy sends. Opens and approvals come first; claims and settles later. The total grows with channels (direct), with viewers and payees (hub), or with winning tickets (tickets).",
    }),
    seriesChart(data, {
      id: "economy-payment-failures", title: "Payment failures, by reason (running total)", yTitle: "failures so far", legendTitle: "reason", interpolate: "step-after", dropAllZero: true,
      series: present(data, failures.map((name) => ({ name, label: name.slice("channels.payment_failures_".length).replace(/_/g, " ") }))),
      caption: "How to read: payments a payee refused, by cause (no funds, credit limit reached while a top-up is pending, hub down or out of float, adversaries). Each one ends a session unpaid; good is near 0, and a single dominant reason points at the parameter to change.",
    }),
    // 6. Reward pool and token.
    seriesChart(data, {
      id: "economy-reward-pool", title: "Reward pool: POP left to pay", yTitle: "POP in the pool", yZero: false,
      series: present(data, [{ name: ec("reward_pool_pop"), label: "pool − claimed" }]),
      caption: "How to read: the RewardPool's balance (its initial size minus every claim). Its slope is the claim rate; the table ‘Reward pool and supply’ projects when it would be empty. The axis does not start at 0.",
    }),
    seriesChart(data, {
      id: "economy-rewards-emitted", title: "Rewards emitted, allocated and claimed (running total)", yTitle: "POP", dropAllZero: true,
      series: present(data, [
        { name: ec("rewards_emitted_pop"), label: "emitted by the schedule" },
        { name: ec("rewards_allocated_pop"), label: "allocated to members" },
        { name: ec("rewards_claimed_pop"), label: "claimed" },
        { name: ec("rewards_unallocated_pop"), label: "unallocated" },
      ]),
      caption: "How to read: the schedule emits continuously; emission is allocated to roles with shares (unallocated while a role has none) and members claim it later. " +
        "Allocated and unallocated are the contract's books, which advance only when it is called (share postings, claims), so they trail the schedule's line between calls. " +
        "A growing gap between allocated and claimed is reward owed but not yet claimed (claim threshold, LIT); a large unallocated total is emission nobody could earn.",
    }),
    seriesChart(data, {
      id: "economy-staking-ratio", title: "Staking ratio", yTitle: "staked share of supply", yFormat: ".1%", yZero: false,
      series: present(data, [{ name: ec("staking_ratio"), label: "staking ratio" }]),
      caption: "How to read: POP in the Staking contract (stake, bonds, unbonding) as a share of circulating supply (total − reward pool − treasury − burned), from the chain's Transfer logs. " +
        "High means security (stake) is ample but little POP is liquid; a fall means stake is leaving. A first sample at 0 precedes the model's genesis read of the contracts' balances, not an unstaked chain.",
    }),
    seriesChart(data, {
      id: "economy-pop-usd", title: "POP price path", yTitle: "USD per POP", yZero: false,
      series: present(data, [{ name: ec("pop_usd"), label: "POP/USD" }]),
      caption: "How to read: the scenario's price path (an input, not a market outcome) used to value rewards in USD for operator profit. The velocity (on-chain transfers per day ÷ circulating supply) is in the table ‘Reward pool and supply’.",
    }),
  );
}

export const economySection: SectionEntry = {
  prefix: "economy.",
  title: "Economy",
  build(data) {
    const cols = columns(data);
    const tables = [flowsTable(cols), operatorsTable(cols), creatorsTable(cols), poolTable(cols), moderationTable(cols), attacksHtml(data, cols)].join("");
    const cs = economyCharts(data);
    if (cs.length === 0 && tables === "") return undefined;
    const multi = data.multi
      ? " With several runs, tables give mean ± 95 % CI half-width over each group's completed runs, and in time-series charts " + MULTI_RUN_NOTE[0].toLowerCase() + MULTI_RUN_NOTE.slice(1)
      : "";
    return {
      title: "Economy: payments, rewards, operators, creators, viewers",
      html: howToRead(
        "Viewers pay off chain for every segment they watch: the creator per minute of video and the serving node (a masternode, or a viewer serving as an " +
        "ephemeral peer) per GB, with vouchers on payment channels whose opens, top-ups and claims are on-chain transactions paid in LIT. The RewardPool " +
        "emits POP on a schedule to masternodes (serving and storage), delegates (blocks), stakers (stake) and peers, who claim it on chain. The tables give " +
        "run totals — where the POP went, operator profit, creator revenue concentration, how long the pool lasts, what moderation did and what attacks " +
        "gained — and the charts show the same quantities over time: token flows, operator profit, the creator Lorenz curve, viewers' quality of " +
        "experience, the chain cost of payments, and the reward pool and token. Each chart's caption says what a good or a bad value looks like. " +
        "Metrics a run did not record are left out." + multi) + tables,
      charts: cs,
    };
  },
};
