/**
 * Property tests (fast-check) for the moderation model's invariants, over random params and random upload streams:
 * every upload ends in exactly one of backlog / under review / published / taken down / rejected; the hook calls a
 * video receives form one of the legal sequences ([], [published], [takenDown], [takenDown, published],
 * [rejected]) and agree with its state; uploads = published + taken_down + rejected + queue_length; derived counts
 * never exceed what they are drawn from; and with at least one SD up, nothing is left queued once the run drains.
 * The accounting checker also runs after every event (check mode). fast-check prints its seed and path on failure.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Kernel } from "../../sim/kernel/kernel.ts";
import { Metrics } from "../../sim/kernel/metrics.ts";
import { SECOND } from "../../sim/kernel/time.ts";
import { Moderation, UploadState } from "./moderation.ts";
import { moderationParams } from "./params.ts";

const arbUpload = fc.record({
  gapS: fc.integer({ min: 0, max: 30 }),
  creator: fc.integer({ min: 0, max: 5 }),
  contentClass: fc.integer({ min: 0, max: 1 }),
  harmful: fc.boolean(),
  adversarial: fc.boolean(),
});

const arbConfig = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  fallbackCount: fc.integer({ min: 1, max: 9 }),
  quorumRule: fc.constantFrom("bft", "majority", "unanimous", "fraction"),
  quorumFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  reviewsPerHour: fc.constantFrom(60, 600, 36_000),
  service: fc.constantFrom("deterministic", "exponential"),
  errorCorrelation: fc.double({ min: 0, max: 1, noNaN: true }),
  reviewMax: fc.integer({ min: 1, max: 6 }),
  backlogMax: fc.integer({ min: 0, max: 6 }),
  appealProbability: fc.constantFrom(0, 0.5, 1),
  appealAccuracy: fc.double({ min: 0, max: 1, noNaN: true }),
  colluders: fc.integer({ min: 0, max: 4 }),
  targetCreators: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  blockRandomProbability: fc.constantFrom(0, 0.3),
  blockAppeals: fc.boolean(),
  /** undefined: fallback SDs; otherwise a chain set of this many with this many down. */
  chain: fc.option(fc.record({ size: fc.integer({ min: 1, max: 8 }), down: fc.integer({ min: 0, max: 8 }) }), { nil: undefined }),
  /** Stop early at this fraction of the arrivals' span (1 = drain). */
  stopAt: fc.constantFrom(0.3, 0.7, 1),
});

describe("moderation invariants (property)", () => {
  it("every upload in exactly one state; hooks, states and counters agree", () => {
    fc.assert(
      fc.property(arbConfig, fc.array(arbUpload, { minLength: 1, maxLength: 60 }), (cfg, uploads) => {
        const params = moderationParams({
          classes: [
            { name: "a", share: 2, harmfulRate: 0.2, recall: 0.8, precision: 0.5, latencyS: { dist: "exponential", mean: 5 } },
            { name: "b", share: 1, harmfulRate: 0.05, recall: 0.9, precision: 0.9, latencyS: { dist: "constant", value: 2 } },
          ],
          superDelegates: { fallbackCount: cfg.fallbackCount, quorumRule: cfg.quorumRule, quorumFraction: cfg.quorumFraction, reviewsPerHour: cfg.reviewsPerHour, service: cfg.service, errorCorrelation: cfg.errorCorrelation },
          queue: { reviewMax: cfg.reviewMax, backlogMax: cfg.backlogMax, retryS: 30 },
          appeals: { probability: cfg.appealProbability, accuracy: cfg.appealAccuracy, latencyS: { dist: "exponential", mean: 100 } },
          colluders: { count: cfg.colluders, targetCreators: cfg.targetCreators, blockRandomProbability: cfg.blockRandomProbability, blockAppeals: cfg.blockAppeals },
        });
        const kernel = new Kernel({ seed: cfg.seed, checkMode: true });
        const chainIds = cfg.chain ? Array.from({ length: cfg.chain.size }, (_, k) => 1000 + k) : [];
        const downCount = cfg.chain ? Math.min(cfg.chain.down, cfg.chain.size) : 0;
        const isUp = (id: number) => id - 1000 >= downCount;
        const hooks = new Map<number, string[]>();
        const note = (video: number, what: string) => { const l = hooks.get(video) ?? []; l.push(what); hooks.set(video, l); };
        const mod = new Moderation({ kernel, metrics: new Metrics(), nodes: { isUp } }, params, () => chainIds, {
          published: (_c, v) => note(v, "published"),
          takenDown: (_c, v) => note(v, "takenDown"),
          rejected: (_c, v) => note(v, "rejected"),
        });
        let t = 0, i = 0;
        const kind = kernel.register("test.upload", (ctx, _target, u: (typeof uploads)[number]) => {
          mod.submit(ctx, { video: i++, creator: u.creator, contentClass: u.contentClass, harmful: u.harmful, adversarial: u.adversarial });
        });
        for (const u of uploads) {
          t += u.gapS * SECOND;
          kernel.scheduleAt(t, kind, 0, u);
        }
        const anyUp = !cfg.chain || downCount < cfg.chain.size;
        // Draining with every SD down would retry forever: stop an hour after the last arrival then.
        const end = cfg.stopAt === 1 ? t + (anyUp ? 1e9 : 3600) * SECOND : Math.round(t * cfg.stopAt);
        kernel.run({ endTime: end, maxEvents: 1_000_000 });

        const s = mod.snapshot();
        const byState = new Map<number, number>();
        for (let v = 0; v < i; v++) {
          const st = mod.stateOf(v);
          byState.set(st, (byState.get(st) ?? 0) + 1);
          const h = (hooks.get(v) ?? []).join(",");
          const legal: Record<number, string[]> = {
            [UploadState.Backlog]: [""], [UploadState.Review]: [""], [UploadState.Rejected]: ["rejected"],
            [UploadState.Published]: ["published", "takenDown,published"], [UploadState.TakenDown]: ["takenDown"],
          };
          expect(legal[st], `video ${v} state ${st}`).toBeDefined();
          expect(legal[st]).toContain(h);
        }
        const count = (st: number) => byState.get(st) ?? 0;
        expect(s.uploads).toBe(i);
        expect(count(UploadState.Published)).toBe(s.published + s.appealsOverturned);
        expect(count(UploadState.TakenDown)).toBe(s.takenDown - s.appealsOverturned);
        expect(count(UploadState.Rejected)).toBe(s.rejected);
        expect(count(UploadState.Backlog) + count(UploadState.Review)).toBe(s.queued);
        expect(s.published + s.takenDown + s.rejected + s.queued).toBe(s.uploads);
        expect(s.wrongfulTakedowns).toBeLessThanOrEqual(s.takenDown);
        expect(s.censored).toBeLessThanOrEqual(s.takenDown);
        expect(s.appealsOverturned + s.appealsBlocked).toBeLessThanOrEqual(s.appeals);
        expect(s.appeals).toBeLessThanOrEqual(s.takenDown);
        expect(s.harmfulPublished).toBeLessThanOrEqual(uploads.filter((u) => u.harmful).length);
        if (cfg.stopAt === 1 && anyUp) expect(s.queued).toBe(0);
        if (cfg.colluders === 0 && cfg.blockRandomProbability === 0) expect(s.censored).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
