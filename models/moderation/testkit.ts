/**
 * A tiny world for the moderation tests: a bare kernel, a metrics registry, a `Moderation` with logging hooks, and
 * a Poisson upload stream — no chain, network or agents.
 *
 * Why: the moderation model must be testable on its own (its seam is `superDelegates()` and two hooks), and its
 * theory tests need tens of thousands of uploads in well under a second each. The stream draws each upload with
 * `Moderation.drawUpload` (so class shares, base rates and adversarial shares are the params'), or with a caller's
 * override; creators are assigned round-robin (`creators` of them, ids 0..creators−1) so target sets are exact.
 * Checkers run after every event (check mode), so every test also exercises the accounting invariant.
 */
import { Kernel } from "../../sim/kernel/kernel.ts";
import { Metrics } from "../../sim/kernel/metrics.ts";
import { exponential } from "../../sim/kernel/distributions.ts";
import { SECOND } from "../../sim/kernel/time.ts";
import type { Prng } from "../../sim/kernel/prng.ts";
import { Moderation, type Upload } from "./moderation.ts";
import { moderationParams, type ModerationParams } from "./params.ts";

export interface Harness {
  kernel: Kernel;
  metrics: Metrics;
  mod: Moderation;
  params: ModerationParams;
  /** Hook calls in order: [video, "published" | "takenDown" | "rejected", time µs]. */
  log: { video: number; what: "published" | "takenDown" | "rejected"; atUs: number }[];
  /** Per video: submit time (µs), creator, harmful. */
  submitUs: number[];
  creator: number[];
  harmful: boolean[];
}

export interface HarnessOptions {
  seed?: number;
  superDelegates?: () => readonly number[];
  nodes?: { isUp(id: number): boolean };
  checkMode?: boolean;
}

export function harness(overrides: object, opts: HarnessOptions = {}): Harness {
  const kernel = new Kernel({ seed: opts.seed ?? 1, checkMode: opts.checkMode ?? true });
  const metrics = new Metrics();
  const params = moderationParams(overrides);
  const log: Harness["log"] = [];
  const mod = new Moderation({ kernel, metrics, nodes: opts.nodes }, params, opts.superDelegates ?? (() => []), {
    published: (ctx, video) => { log.push({ video, what: "published", atUs: ctx.now }); },
    takenDown: (ctx, video) => { log.push({ video, what: "takenDown", atUs: ctx.now }); },
    rejected: (ctx, video) => { log.push({ video, what: "rejected", atUs: ctx.now }); },
  });
  return { kernel, metrics, mod, params, log, submitUs: [], creator: [], harmful: [] };
}

export interface StreamOptions {
  /** Uploads to submit. */
  count: number;
  /** Poisson arrival rate, uploads per second. */
  ratePerS: number;
  /** Creators, assigned round-robin (default 100). */
  creators?: number;
  /** Replace the params' draw for upload i. */
  upload?: (i: number, rng: Prng) => Omit<Upload, "video" | "creator">;
}

/** Schedule a Poisson stream of `count` uploads starting at t = 0 (video ids 0..count−1). */
export function stream(h: Harness, o: StreamOptions): void {
  const creators = o.creators ?? 100;
  let i = 0;
  const kind = h.kernel.register("test.upload", (ctx) => {
    const rng = ctx.rng("test/uploads");
    const u = o.upload ? o.upload(i, rng) : h.mod.drawUpload(rng);
    const creator = i % creators;
    h.submitUs[i] = ctx.now;
    h.creator[i] = creator;
    h.harmful[i] = u.harmful;
    h.mod.submit(ctx, { video: i, creator, ...u });
    i++;
    if (i < o.count) ctx.schedule(exponential(ctx.rng("test/arrivals"), SECOND / o.ratePerS), kind);
  });
  h.kernel.schedule(0, kind);
}

/** Run until no event is left (all decisions and appeals done), or to `endUs`. */
export function runAll(h: Harness, endUs = Number.MAX_SAFE_INTEGER): void {
  const out = h.kernel.run({ endTime: endUs });
  if (out.status !== "completed") throw new Error(`run ended ${out.status}: ${out.reason}`);
}

/** A binomial proportion's standard error. */
export function se(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / Math.max(1, n));
}
