/**
 * reports/sections.ts — the registry of report sections, one per model metric prefix.
 *
 * Purpose: html.ts lays out whatever this registry returns, so a new model (storage, chain, economy, …) gets its
 * part of the report by adding one entry here — never by editing html.ts. Metric prefixes with no entry still
 * appear: `sectionsFor` gives them a generic section (their raw time series), and the metrics table lists every
 * metric whatever its prefix.
 *
 * Contract (types in sectionKit.ts): `{ prefix: "storage.", title: "Storage", build: (data) => ({ title, html,
 * charts }) | undefined }`. `html` starts with `howToRead(...)`; chart ids are prefixed with the model's name;
 * build returns undefined when the report has nothing for the model. Helpers: `seriesChart` (time series, one
 * run or mean ± 95 % band over seeds; `mode: "rate"` for counters), `metricsChart` (final values with CIs across
 * seeds), `seriesWithPrefix`/`metricsWithPrefix`.
 *
 * Method: entries run in registry order, then generic sections for the remaining prefixes in the order their
 * series first appear. The spine's sections below read nodes, network, probe traffic, churn and faults.
 */
import type { ReportData } from "./queries.ts";
import { storageSection } from "./sections/storage.ts";
import { economySection } from "./sections/economy.ts";
import { parseMetricName } from "./format.ts";
import {
  charts, howToRead, metricsChart, metricsWithPrefix, MULTI_RUN_NOTE, seriesChart, seriesWithPrefix,
  type ReportSection, type SectionEntry,
} from "./sectionKit.ts";

const multiNote = (data: ReportData) => (data.multi ? " " + MULTI_RUN_NOTE : "");
/** A section only if it has something to show (a run that failed early may have no series). */
const section = (s: ReportSection): ReportSection | undefined => (s.charts.length > 0 ? s : undefined);
const specs = (names: readonly string[]) => names.map((name) => ({ name, label: parseMetricName(name).quantity }));

const nodes: SectionEntry = {
  prefix: "nodes.",
  title: "Nodes",
  build(data) {
    const up = seriesWithPrefix(data, "nodes.up_");
    const roleLabel = (n: string) => n.slice("nodes.up_".length);
    return section({
      title: "Nodes online",
      html: howToRead(
        "Each line is the number of nodes of one role that were up at each sample. Dips are churn (sessions ending, " +
        "departures), region outages (every node of the region down at once) and crashes from the fault timeline; " +
        "rises are recoveries, returns and arrivals. Viewers outnumber the other roles by orders of magnitude, so " +
        "they have their own chart; compare a line with its own start rather than with the others." + multiNote(data)),
      charts: charts(
        seriesChart(data, { id: "nodes-up-viewers", title: "Viewers up", yTitle: "nodes up", series: up.filter((n) => n === "nodes.up_viewers").map((name) => ({ name, label: roleLabel(name) })), legendTitle: "role" }),
        seriesChart(data, { id: "nodes-up-infra", title: "Masternodes, delegates and creators up", yTitle: "nodes up", series: up.filter((n) => n !== "nodes.up_viewers").map((name) => ({ name, label: roleLabel(name) })), legendTitle: "role" }),
        metricsChart(data, { id: "nodes-up-final", title: "Nodes up at the end, across runs", xTitle: "nodes up", metrics: metricsWithPrefix(data, "nodes.up_").map((name) => ({ name, label: roleLabel(name) })) }),
      ),
    });
  },
};

const net: SectionEntry = {
  prefix: "net.",
  title: "Network",
  build(data) {
    const msg = (q: string) => `net.messages_${q}`;
    const have = new Set(seriesWithPrefix(data, "net."));
    const pick = (names: string[]) => specs(names.filter((n) => have.has(n)));
    const drops = ["lost", "receiver_down", "sender_down", "partitioned", "queue_full"].map(msg);
    return section({
      title: "Network",
      html: howToRead(
        "Rates are per second of simulated time, averaged over each sampling interval (a step covers the interval " +
        "that ends where it ends). ‘sent’ counts every message handed to the network; each one is later delivered " +
        "or dropped: ‘lost’ by random loss, ‘receiver_down’/‘sender_down’ because an end was offline, ‘partitioned’ " +
        "across a partition, ‘queue_full’ at a full uplink queue. Drops concentrated at one time usually line up " +
        "with a fault on the timeline. Throughput counts payload and header bytes." + multiNote(data)),
      charts: charts(
        seriesChart(data, { id: "net-messages", title: "Messages per second", yTitle: "messages/s", mode: "rate", series: pick([msg("sent"), msg("delivered")]) }),
        seriesChart(data, { id: "net-drops", title: "Dropped messages per second, by cause", yTitle: "messages/s", mode: "rate", series: pick(drops), dropAllZero: true }),
        seriesChart(data, { id: "net-throughput", title: "Network throughput", yTitle: "Mbit/s", mode: "rate", scale: 8 / 1e6, series: pick(["net.bytes_sent", "net.bytes_delivered"]) }),
        metricsChart(data, { id: "net-drops-final", title: "Dropped messages over the run, across runs", xTitle: "messages", xZero: true, metrics: specs(drops.filter((n) => data.metricNames.includes(n))) }),
      ),
    });
  },
};

const traffic: SectionEntry = {
  prefix: "traffic.",
  title: "Probe traffic",
  build(data) {
    const have = new Set(seriesWithPrefix(data, "traffic."));
    const started = ["traffic.fetches", "traffic.fetches_completed"].filter((n) => have.has(n));
    const failed = ["traffic.fetches_timed_out", "traffic.fetches_no_server", "traffic.fetches_abandoned"].filter((n) => have.has(n));
    const latency = metricsWithPrefix(data, "traffic.fetch_latency_s.").filter((n) => parseMetricName(n).stat !== "count");
    return section({
      title: "Probe traffic (segment fetches)",
      html: howToRead(
        "Online viewers fetch video segments from masternodes. The first two charts show, per second of simulated " +
        "time, fetches started and completed, then the ones that failed: ‘timed_out’ (no last byte in time), " +
        "‘no_server’ (no masternode reachable) and ‘abandoned’ (the viewer went offline); failures are a small " +
        "fraction, so they have their own scale. The success ratio is completed ÷ ended " +
        "fetches so far, so it moves slowly late in a run. Fetch latency is the time from request to last byte; its " +
        "quantiles come from log buckets (±2.2 %)." + multiNote(data)),
      charts: charts(
        seriesChart(data, { id: "traffic-fetches", title: "Fetches started and completed per second", yTitle: "fetches/s", mode: "rate", series: specs(started) }),
        seriesChart(data, { id: "traffic-failures", title: "Failed fetches per second, by cause", yTitle: "fetches/s", mode: "rate", series: specs(failed), dropAllZero: true }),
        seriesChart(data, { id: "traffic-success", title: "Fetch success ratio (cumulative)", yTitle: "success ratio", yFormat: ".2%", yZero: false, series: specs(["traffic.success_ratio"].filter((n) => have.has(n))) }),
        metricsChart(data, {
          id: "traffic-latency", title: data.multi ? "Fetch latency, across runs" : "Fetch latency", xTitle: "seconds", single: true, xZero: true,
          caption: data.multi ? "Each grey dot is one run; the diamond is the mean and the bar its 95 % confidence interval." : "Mean and quantiles of the request-to-last-byte time.",
          metrics: latency.map((name) => ({ name, label: `latency ${parseMetricName(name).stat ?? ""}`.trim() })),
        }),
        metricsChart(data, { id: "traffic-success-final", title: "Fetch success ratio at the end, across runs", xTitle: "success ratio", xFormat: ".2%", metrics: specs(["traffic.success_ratio"].filter((n) => data.metricNames.includes(n))) }),
      ),
    });
  },
};

const counterSection = (prefix: string, title: string, heading: string, text: string): SectionEntry => ({
  prefix,
  title,
  build(data) {
    const names = seriesWithPrefix(data, prefix);
    const model = prefix.slice(0, -1);
    return section({
      title: heading,
      html: howToRead(text + multiNote(data)),
      charts: charts(
        seriesChart(data, { id: `${model}-totals`, title: `${title}: running totals`, yTitle: "count so far", series: specs(names), interpolate: "step-after", dropAllZero: true }),
        metricsChart(data, { id: `${model}-final`, title: `${title} over the run, across runs`, xTitle: "count", xZero: true, metrics: specs(metricsWithPrefix(data, prefix)) }),
      ),
    });
  },
});

const churn = counterSection("churn.", "Churn", "Churn",
  "Running totals since the start: ‘sessions_ended’ counts nodes going offline at the end of an on-session, " +
  "‘departures’ nodes leaving for good, ‘arrivals’ new nodes joining. A steeper slope means more churn per hour; " +
  "the slope should match the scenario's session-length distributions.");

const faults = counterSection("faults.", "Faults", "Fault timeline",
  "Running totals of the actions the scenario's fault timeline applied: crashes, recoveries, region outages and " +
  "partitions. Each step is one timeline entry taking effect; compare its time with dips in the nodes and " +
  "traffic charts above.");

/**
 * The chain: SDPoS consensus (models/chain/consensus.ts) and, with `models.chain.evm`, its contracts in the EVM
 * (models/chain/evmExecutor.ts). Finality, liveness (missed slots, LIB), safety (forks, reorgs, conflicting
 * irreversible blocks), decentralization (Nakamoto coefficients, Gini) over time, then what the contracts cost:
 * gas, LIT, the supply's split as of each audit.
 */
const chain: SectionEntry = {
  prefix: "chain.",
  title: "Chain",
  build(data) {
    const have = new Set(seriesWithPrefix(data, "chain."));
    const pick = (names: string[]) => specs(names.filter((n) => have.has(n)));
    const metric = (names: string[]) => names.filter((n) => data.metricNames.includes(n));
    const statOf = (n: string) => parseMetricName(n).stat ?? "";
    const finality = metricsWithPrefix(data, "chain.finality_latency_s.").filter((n) => statOf(n) !== "count");
    const gasKinds = ["vote", "stake", "masternode", "evidence", "evm_call", "lit_consume"];
    const gasMeans = metric(gasKinds.map((k) => `chain.gas_${k}.mean`));
    return section({
      title: "Chain (SDPoS consensus and contracts)",
      html: howToRead(
        "Finality latency is the time from a block's slot to the moment a majority of the honest delegates hold it " +
        "as irreversible (the last irreversible block, LIB, needs ⌊2N/3⌋+1 distinct producers to build on a block); " +
        "its quantiles come from log buckets (±2.2 %). Head and LIB heights should rise together, the LIB about 15 " +
        "blocks behind: a flat LIB under a rising head is a finality stall (more than N − q producers missing). " +
        "The missed-slot rate is missed ÷ scheduled slots so far. Reorg depth is the deepest branch switch any " +
        "delegate made; conflicting irreversible blocks count heights at which two honest delegates finalized " +
        "different blocks — it must stay 0 while equivocators are within the safety bound. The Nakamoto " +
        "coefficients count the fewest entities (a cartel and an equivocating coalition count as one each) holding " +
        "a third of the active seats or of the stake; lower is more concentrated, and 1 means one entity can halt " +
        "finality. With the EVM on, transactions run when their block becomes final: gas and LIT are per second of " +
        "simulated time, LIT sufficiency is the share of transactions whose sender had enough LIT (the others are " +
        "refused, with no effect), and the supply split is read from the contracts at each audit." + multiNote(data)),
      charts: charts(
        metricsChart(data, {
          id: "chain-finality", title: data.multi ? "Finality latency, across runs" : "Finality latency", xTitle: "seconds", single: true, xZero: true,
          caption: data.multi ? "Each grey dot is one run; the diamond is the mean and the bar its 95 % confidence interval." : "Mean and quantiles of slot-to-irreversible time.",
          metrics: finality.map((name) => ({ name, label: `finality ${statOf(name)}`.trim() })),
        }),
        seriesChart(data, { id: "chain-heights", title: "Head and last irreversible block", yTitle: "block height", series: pick(["chain.head_height", "chain.lib_height"]) }),
        seriesChart(data, { id: "chain-missed", title: "Missed-slot rate (cumulative)", yTitle: "missed ÷ scheduled", yFormat: ".1%", series: pick(["chain.missed_slot_rate"]) }),
        seriesChart(data, { id: "chain-safety", title: "Forks: deepest reorg and conflicting irreversible blocks", yTitle: "blocks", interpolate: "step-after", series: pick(["chain.reorg_depth_max", "chain.conflicting_irreversible"]) }),
        seriesChart(data, { id: "chain-stall", title: "Longest LIB stall so far", yTitle: "seconds", interpolate: "step-after", series: pick(["chain.lib_stall_max_s"]) }),
        seriesChart(data, { id: "chain-nakamoto", title: "Nakamoto coefficients and cartel seats", yTitle: "entities / seats", interpolate: "step-after", series: pick(["chain.nakamoto_seats", "chain.nakamoto_stake", "chain.cartel_seats"]), dropAllZero: true }),
        seriesChart(data, { id: "chain-gini", title: "Stake Gini coefficient", yTitle: "Gini", yZero: false, series: pick(["chain.stake_gini"]) }),
        seriesChart(data, { id: "chain-gas", title: "Gas used per second (final blocks)", yTitle: "gas/s", mode: "rate", series: pick(["chain.gas_used"]) }),
        seriesChart(data, { id: "chain-lit", title: "LIT burned per second and transactions refused for LIT", yTitle: "per second", mode: "rate", series: pick(["chain.lit_consumed", "chain.txs_refused_lit"]), dropAllZero: true }),
        seriesChart(data, { id: "chain-lit-sufficiency", title: "LIT sufficiency (cumulative)", yTitle: "share with enough LIT", yFormat: ".0%", yZero: false, series: pick(["chain.lit_sufficiency"]) }),
        seriesChart(data, { id: "chain-supply", title: "POP locked in contracts and burned (as of each audit)", yTitle: "POP", series: pick(["chain.staked_pop", "chain.bonded_pop", "chain.escrow_pop", "chain.ticket_deposits_pop", "chain.burned_pop"]), dropAllZero: true }),
        metricsChart(data, { id: "chain-gas-kind", title: data.multi ? "Mean gas per transaction, by kind, across runs" : "Mean gas per transaction, by kind", xTitle: "gas", single: true, xZero: true, metrics: gasMeans.map((name) => ({ name, label: parseMetricName(name).quantity.replace(/^gas_/, "") })) }),
      ),
    });
  },
};

/**
 * The registry, in display order. To add a model's section: write its `SectionEntry` (here or in
 * `reports/sections/<model>.ts`) and list it here.
 */
export const SECTIONS: readonly SectionEntry[] = [nodes, traffic, net, churn, faults, storageSection, chain, economySection];

/** Prefixes that are only run bookkeeping: shown in the metrics table, never as a section. */
const TABLE_ONLY_PREFIXES = new Set(["run."]);

function genericSection(prefix: string): SectionEntry {
  const model = prefix.slice(0, -1);
  return {
    prefix,
    title: model,
    build(data) {
      const names = seriesWithPrefix(data, prefix);
      if (names.length === 0) return undefined;
      const chunks: string[][] = [];
      for (let i = 0; i < names.length; i += 6) chunks.push(names.slice(i, i + 6));
      return {
        title: `${model} (raw time series)`,
        html: howToRead(
          `The '${model}' model has no report section yet, so these are its time series as sampled: counters are ` +
          "running totals since the start, gauges the value at each sample. A model adds its own section in " +
          "reports/sections.ts." + multiNote(data)),
        charts: charts(...chunks.map((c, i) => seriesChart(data, {
          id: `${model.replace(/[^A-Za-z0-9_-]/g, "_")}-raw-${i + 1}`, title: `${model}: time series${chunks.length > 1 ? ` (${i + 1}/${chunks.length})` : ""}`,
          yTitle: "value", series: specs(c),
        }))),
      };
    },
  };
}

/** Every prefix in the report, in order of first appearance (metrics first, then series-only names). */
export function prefixesOf(data: ReportData): string[] {
  const out: string[] = [];
  for (const n of [...data.metricNames, ...data.seriesNames]) {
    const p = parseMetricName(n).prefix;
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** The title the metrics table uses for a prefix. */
export function prefixTitle(prefix: string, registry: readonly SectionEntry[] = SECTIONS): string {
  if (prefix === "") return "other";
  if (prefix === "run.") return "Run";
  return registry.find((e) => e.prefix === prefix)?.title ?? prefix.slice(0, -1);
}

export interface BuiltSection extends ReportSection {
  prefix: string;
}

/** The sections of a report: registered ones with data, then generic ones for unregistered prefixes. */
export function sectionsFor(data: ReportData, registry: readonly SectionEntry[] = SECTIONS): BuiltSection[] {
  const present = new Set(prefixesOf(data));
  const out: BuiltSection[] = [];
  for (const e of registry) {
    if (!present.has(e.prefix)) continue;
    const s = e.build(data);
    if (s !== undefined) out.push({ ...s, prefix: e.prefix });
  }
  for (const p of prefixesOf(data)) {
    if (p === "" || TABLE_ONLY_PREFIXES.has(p) || registry.some((e) => e.prefix === p)) continue;
    const s = genericSection(p).build(data);
    if (s !== undefined) out.push({ ...s, prefix: p });
  }
  return out;
}
