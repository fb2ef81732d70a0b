/**
 * The defaults every scenario is laid over. Each value is written down here, once, with its reason; a scenario
 * file only states what differs. `popsim show-scenario <name>` prints the resolved result.
 */
import type { Scenario } from "./schema.ts";
import { STORAGE_DEFAULTS } from "../models/storage/params.ts";
import { CHAIN_DEFAULTS } from "../models/chain/params.ts";
import { AGENTS_DEFAULTS } from "../models/agents/params.ts";
import { DISTRIBUTION_DEFAULTS } from "../models/distribution/params.ts";
import { CHANNELS_DEFAULTS } from "../models/channels/params.ts";
import { MODERATION_DEFAULTS } from "../models/moderation/params.ts";
import { ECONOMY_DEFAULTS } from "../models/economy/params.ts";

const noChurn = {
  enabled: false,
  online: { dist: "exponential", mean: 3600 },
  offline: { dist: "exponential", mean: 3600 },
  departure: 0,
  arrivalsPerDay: 0,
  initialOnline: 1,
} as const;

export const DEFAULTS: Scenario = {
  name: "unnamed",
  description: "",
  seed: 1,
  duration: "1h",
  limits: { eventsMax: 500_000_000 },
  metrics: { interval: "5min" },
  check: { mode: "sampled", every: 65_536 },
  population: { viewers: 100, creators: 10, masternodes: 20, delegates: 21 },
  regions: [
    { name: "us-east", weight: 0.3 },
    { name: "eu-west", weight: 0.3 },
    { name: "ap-southeast", weight: 0.2 },
    { name: "us-west", weight: 0.1 },
    { name: "sa-east", weight: 0.1 },
  ],
  network: {
    // Lognormal jitter with a 10 % coefficient of variation around the backbone latency.
    jitterCv: 0.1,
    loss: 0.001,
    headerBytes: 64,
    // Home broadband (viewers, creators) versus hosted servers (masternodes, delegates).
    bandwidth: {
      viewer: { upMbps: 10, downMbps: 50 },
      creator: { upMbps: 20, downMbps: 100 },
      masternode: { upMbps: 200, downMbps: 200 },
      delegate: { upMbps: 100, downMbps: 100 },
    },
    uplinkQueueBytesMax: 256 * 1024 * 1024,
  },
  churn: { viewer: noChurn, creator: noChurn, masternode: noChurn, delegate: noChurn },
  faults: { timeline: [] },
  traffic: {
    enabled: true,
    // Four seconds of 2 Mbit/s video.
    segmentBytes: 1_000_000,
    fetchIntervalMeanS: 4,
    timeout: "10s",
    sameRegionPreference: 0.8,
  },
  guardrails: [],
  models: { storage: STORAGE_DEFAULTS, chain: CHAIN_DEFAULTS, agents: AGENTS_DEFAULTS, distribution: DISTRIBUTION_DEFAULTS, channels: CHANNELS_DEFAULTS, moderation: MODERATION_DEFAULTS, economy: ECONOMY_DEFAULTS },
};

/** Defaults for one fault-timeline entry: a scenario states only `at`, `action` and what it needs. */
export const FAULT_EVENT_DEFAULTS = {
  role: "all",
  fraction: 0,
  count: 0,
  region: "",
  regions: [],
  for: "0s",
} as const;
