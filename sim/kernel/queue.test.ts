/**
 * Event order: the kernel's heap must pop events in (time, insertion order), skip cancelled ones, and treat stale
 * handles as no-ops — checked against a simple sorted-list model under random schedule/cancel/pop sequences.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EventQueue } from "./queue.ts";
import { Kernel } from "./kernel.ts";

type Op = { op: "push"; time: number } | { op: "cancel"; which: number } | { op: "pop" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("push" as const), time: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cancel" as const), which: fc.nat(200) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("pop" as const) }) },
);

describe("EventQueue", () => {
  it("pops in (time, insertion) order with lazy cancellation, matching a sorted-list model", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const q = new EventQueue(2); // tiny capacity: exercises growth
        const model: { time: number; id: number; handle: number }[] = [];
        const handles: number[] = [];
        let id = 0;
        for (const o of ops) {
          if (o.op === "push") {
            const h = q.push(o.time, 0, id, 0, undefined);
            handles.push(h);
            model.push({ time: o.time, id, handle: h });
            id++;
          } else if (o.op === "cancel") {
            if (handles.length === 0) continue;
            const h = handles[o.which % handles.length];
            const idx = model.findIndex((m) => m.handle === h);
            expect(q.cancel(h)).toBe(idx >= 0);
            if (idx >= 0) model.splice(idx, 1);
          } else {
            model.sort((a, b) => a.time - b.time || a.id - b.id);
            const expected = model.shift();
            const slot = q.popUntil(Infinity);
            if (expected === undefined) {
              expect(slot).toBe(-1);
            } else {
              expect(slot).toBeGreaterThanOrEqual(0);
              expect(q.lastTime).toBe(expected.time);
              expect(q.target[slot]).toBe(expected.id);
              q.release(slot);
            }
          }
          expect(q.live).toBe(model.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("stays ordered with 100 k pending events", () => {
    const q = new EventQueue();
    let x = 12345;
    for (let i = 0; i < 100_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      q.push(x % 1000, 0, i, 0, undefined);
    }
    let lastT = -1, lastId = -1;
    for (let i = 0; i < 100_000; i++) {
      const s = q.popUntil(Infinity);
      const t = q.lastTime, id = q.target[s];
      expect(t > lastT || (t === lastT && id > lastId)).toBe(true);
      lastT = t; lastId = id;
      q.release(s);
    }
    expect(q.popUntil(Infinity)).toBe(-1);
  });
});

describe("Kernel", () => {
  it("runs ties FIFO, honours cancel, and reports limits as outcomes", () => {
    const k = new Kernel({ seed: 1 });
    const seen: number[] = [];
    const kind = k.register<number>("t", (_c, target) => { seen.push(target); });
    for (let i = 0; i < 10; i++) k.schedule(100, kind, i);
    const h = k.schedule(100, kind, 99);
    expect(k.cancel(h)).toBe(true);
    expect(k.cancel(h)).toBe(false);
    const out = k.run({ endTime: 1000 });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.status).toBe("completed");
    expect(out.events).toBe(10);

    const k2 = new Kernel({ seed: 1 });
    let kk = 0;
    kk = k2.register("loop", (c) => { c.schedule(1, kk); });
    k2.schedule(0, kk);
    const lim = k2.run({ endTime: 1e12, maxEvents: 500 });
    expect(lim.status).toBe("event-limit");
    expect(lim.events).toBe(500);
    expect(lim.reason).toMatch(/event limit of 500/);

    const k3 = new Kernel({ seed: 1 });
    let k3k = 0;
    k3k = k3.register("loop", (c) => { c.schedule(10, k3k); });
    k3.schedule(0, k3k);
    const end = k3.run({ endTime: 1000 });
    expect(end.status).toBe("completed");
    expect(end.time).toBe(1000);
    expect(end.events).toBe(101);
    expect(end.pending).toBe(1);
  });

  it("check mode runs checkers after every event and crashes with time and event on violation", () => {
    const k = new Kernel({ seed: 3, checkMode: true });
    let counter = 0;
    const kind = k.register("inc", () => { counter++; });
    k.addChecker("counter<5", () => (counter < 5 ? undefined : `counter reached ${counter}`));
    for (let i = 0; i < 10; i++) k.schedule(i * 10, kind);
    expect(() => k.run({ endTime: 1000 })).toThrow(/counter<5.*counter reached 5.*t=40 µs, event 5/);
  });

  it("awaits only handlers that return a promise, and the trace hash does not depend on that", async () => {
    const build = (asyncEvery: number) => {
      const k = new Kernel({ seed: 9 });
      const rng = k.rng("x");
      let kind = 0;
      kind = k.register("e", (c, target) => {
        c.schedule(rng.int(100), kind, rng.int(1000));
        if (target % asyncEvery === 0) return Promise.resolve();
      });
      for (let i = 0; i < 100; i++) k.schedule(i, kind, i);
      return k;
    };
    const a = await build(7).runAsync({ endTime: 1e9, maxEvents: 20_000 });
    const b = await build(1_000_000).runAsync({ endTime: 1e9, maxEvents: 20_000 });
    expect(a.traceHash).toBe(b.traceHash);
    expect(() => build(7).run({ endTime: 1e9, maxEvents: 20_000 })).toThrow(/returned a promise/);
  });

  it("trace hash changes when one event differs", () => {
    const hash = (delta: number) => {
      const k = new Kernel({ seed: 1 });
      const kind = k.register("e", () => {});
      for (let i = 0; i < 50; i++) k.schedule(i * 10 + (i === 25 ? delta : 0), kind, i);
      return k.run({ endTime: 1e6 }).traceHash;
    };
    expect(hash(0)).toBe(hash(0));
    expect(hash(1)).not.toBe(hash(0));
  });
});
